"""The local stack a reliability run drives: `python -m infra.local` on fixed
ports with one state directory, so stopping and starting it again keeps every
chat (DynamoDB Local keeps its files there). It also provisions a service per
scenario and runs the minute sweep on demand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

import boto3

from infra.local import events
from tests.integration.stack_runner import ROOT, Stack

STACK_ENV = {
    # Every customer of a run comes from 127.0.0.1: the per-IP session limit is
    # tested elsewhere.
    "WIDGET_SESSIONS_BURST": "5000",
    "LOG_LEVEL": "WARNING",
}
ADMIN_PASSWORD = "reliability-admin-1"
REGION = "us-east-1"


@dataclass(frozen=True)
class ServiceAccess:
    service_id: str
    widget_key: str
    admin_email: str
    admin_password: str = ADMIN_PASSWORD


class ReliabilityStack:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    @property
    def base_url(self) -> str:
        return self.stack.base_url

    def restart(self) -> None:
        """Ctrl-C, then start again on the same ports and state directory."""
        self.stack.interrupt()
        self.stack.run()

    def sweep(self) -> None:
        """Run the scheduled sweep now, through the gateway's Lambda Invoke API:
        the same function, event and environment as its minute schedule."""
        client = boto3.client(
            "lambda", endpoint_url=self.base_url, region_name=REGION,
            aws_access_key_id="local", aws_secret_access_key="local",
        )
        event = events.scheduled_event("helpdesk-chat-local-sweep-event", REGION,
                                       datetime.now(UTC))
        response = client.invoke(FunctionName="sweep", InvocationType="RequestResponse",
                                 Payload=json.dumps(event))
        assert "FunctionError" not in response, response["Payload"].read()

    def create_service(self, service_id: str) -> ServiceAccess:
        """A service of its own per scenario, made with the provisioning command
        against the stack's DynamoDB, so scenarios never share a queue."""
        access = ServiceAccess(service_id, f"key-{service_id}", f"admin@{service_id}.test")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TABLE_", "AWS_", "DYNAMODB_"))}
        env.update(DYNAMODB_ENDPOINT=f"http://127.0.0.1:{self.stack.dynamodb_port}",
                   TABLE_PREFIX="local", AWS_ACCESS_KEY_ID="local",
                   AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION="us-east-1")
        subprocess.run(
            [sys.executable, "-m", "infra.manage", "create-service", service_id,
             "--name", f"Reliability {service_id}", "--admin-email", access.admin_email,
             "--admin-password", access.admin_password, "--widget-key", access.widget_key],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=60,
        )
        return access
