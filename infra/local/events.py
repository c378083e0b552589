"""The Lambda events API Gateway, EventBridge and SQS send, built for local runs.

Shapes follow what AWS sends for WebSocket routes ($connect, $default,
$disconnect), scheduled rules and SQS event source mappings, so handlers see
here what they see there."""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

API_ID = "local"
ACCOUNT_ID = "123456789012"


def new_connection_id() -> str:
    """An id shaped like API Gateway's (`JC1dgf9yoAMCK-g=`): 10 random bytes, base64."""
    return base64.urlsafe_b64encode(secrets.token_bytes(10)).decode()


def _request_time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class WebSocketPeer:
    """What API Gateway knows about one WebSocket connection."""

    domain_name: str
    stage: str
    source_ip: str
    user_agent: str
    connection_id: str = field(default_factory=new_connection_id)
    connected_at_ms: int = field(default_factory=_now_ms)

    def request_context(self, route_key: str, event_type: str) -> dict[str, Any]:
        now = _now_ms()
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": new_connection_id(),
            "requestTime": _request_time(now),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": self.connected_at_ms,
            "requestTimeEpoch": now,
            "identity": {"userAgent": self.user_agent, "sourceIp": self.source_ip},
            "requestId": new_connection_id(),
            "domainName": self.domain_name,
            "connectionId": self.connection_id,
            "apiId": API_ID,
        }


def _single_and_multi(
    pairs: Iterable[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """API Gateway's two views of repeated names: the last value, and all of them."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def connect_event(
    peer: WebSocketPeer,
    headers: Iterable[tuple[str, str]],
    query: Iterable[tuple[str, str]],
    forwarded_port: int,
) -> dict[str, Any]:
    """The `$connect` event: the handshake's headers and query string."""
    sent = [(name, value) for name, value in headers if name.lower() != "x-forwarded-for"]
    sent += [
        ("X-Forwarded-For", peer.source_ip),
        ("X-Forwarded-Port", str(forwarded_port)),
        ("X-Forwarded-Proto", "http"),
    ]
    single_headers, multi_headers = _single_and_multi(sent)
    event: dict[str, Any] = {
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "requestContext": peer.request_context("$connect", "CONNECT"),
        "isBase64Encoded": False,
    }
    single_query, multi_query = _single_and_multi(query)
    if single_query:
        event["queryStringParameters"] = single_query
        event["multiValueQueryStringParameters"] = multi_query
    return event


def message_event(peer: WebSocketPeer, body: str) -> dict[str, Any]:
    """A `$default` event: one text frame from the client."""
    context = peer.request_context("$default", "MESSAGE")
    context["messageId"] = new_connection_id()
    return {"requestContext": context, "body": body, "isBase64Encoded": False}


def disconnect_event(peer: WebSocketPeer, status_code: int, reason: str) -> dict[str, Any]:
    """The `$disconnect` event, sent however the connection ended."""
    context = peer.request_context("$disconnect", "DISCONNECT")
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    headers = {"Host": peer.domain_name, "X-Forwarded-For": peer.source_ip}
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }


def scheduled_event(rule_name: str, region: str, fired_at: datetime) -> dict[str, Any]:
    """What an EventBridge schedule rule delivers."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": fired_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{rule_name}"],
        "detail": {},
    }


# What Lambda's SQS event source passes on of a message's system attributes: these
# four always, the others (FIFO queues, X-Ray) when the message has them.
_SQS_ATTRIBUTES = ("ApproximateReceiveCount", "SentTimestamp", "SenderId",
                   "ApproximateFirstReceiveTimestamp")
_SQS_OPTIONAL_ATTRIBUTES = ("AWSTraceHeader", "SequenceNumber", "MessageGroupId",
                            "MessageDeduplicationId", "DeadLetterQueueSourceArn")


def sqs_queue_arn(queue: str, region: str) -> str:
    return f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{queue}"


def _sqs_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """ReceiveMessage's `{StringValue|BinaryValue, DataType}` as Lambda spells it
    (binary values in base64)."""
    attribute: dict[str, Any] = {}
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    attribute.update(stringListValues=[], binaryListValues=[], dataType=value["DataType"])
    return attribute


def sqs_record(message: dict[str, Any], queue: str, region: str) -> dict[str, Any]:
    """One received message (boto3's ReceiveMessage shape) as a record of the event."""
    received = message.get("Attributes", {})
    attributes = {name: received[name] for name in _SQS_ATTRIBUTES if name in received}
    attributes.update(
        {name: received[name] for name in _SQS_OPTIONAL_ATTRIBUTES if name in received}
    )
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": {
            name: _sqs_message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": sqs_queue_arn(queue, region),
        "awsRegion": region,
    }


def sqs_event(messages: Iterable[dict[str, Any]], queue: str, region: str) -> dict[str, Any]:
    """What an SQS event source mapping invokes its function with: one batch."""
    return {"Records": [sqs_record(message, queue, region) for message in messages]}
