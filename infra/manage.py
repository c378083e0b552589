"""Operations from the command line.

    python -m infra.manage create-service SERVICE_ID --name NAME \
        --admin-email EMAIL --admin-password PASSWORD [--widget-key KEY]

creates a service and its first admin in the DynamoDB the environment points at
(`DYNAMODB_ENDPOINT`, or AWS with `--aws`, using the usual AWS credentials and
the `TABLE_<KEY>` names or `TABLE_PREFIX` of the deployed stack); with nothing
set it targets the local stack (http://127.0.0.1:${DYNAMODB_PORT:-8000}).
It prints the service's widget key.

    python -m infra.manage [--aws] add-chat-heads

gives every open chat of a version before chat heads its head (infra/upgrade.py);
run it once right after deploying the version that brought them.
"""

from __future__ import annotations

import argparse
import os
import sys

from chalicelib.errors import DomainError


def _target_dynamodb(use_aws: bool) -> str:
    endpoint = os.environ.get("DYNAMODB_ENDPOINT")
    if use_aws:
        os.environ.pop("DYNAMODB_ENDPOINT", None)
        return "AWS"
    if not endpoint:
        endpoint = f"http://127.0.0.1:{os.environ.get('DYNAMODB_PORT', '8000')}"
        os.environ["DYNAMODB_ENDPOINT"] = endpoint
        # DynamoDB Local accepts any credentials but boto3 still wants some.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        os.environ.setdefault("TABLE_PREFIX", "local")
    return endpoint


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.manage")
    parser.add_argument("--aws", action="store_true", help="use AWS, not a local DynamoDB")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-service", help="create a service and its first admin")
    create.add_argument("service_id")
    create.add_argument("--name", required=True)
    create.add_argument("--admin-email", required=True)
    create.add_argument("--admin-password", required=True)
    create.add_argument("--admin-name", default="Admin")
    create.add_argument("--widget-key")
    commands.add_parser("add-chat-heads", help="give open chats from before chat heads one")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    target = _target_dynamodb(args.aws)
    if args.command == "add-chat-heads":
        return _add_chat_heads(target)
    from chalicelib.services import tenants

    try:
        service, admin = tenants.create_service(
            args.service_id,
            name=args.name,
            admin_email=args.admin_email,
            admin_password=args.admin_password,
            widget_key=args.widget_key,
            admin_name=args.admin_name,
        )
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    print(f"created service {service.service_id} in {target}", file=sys.stderr)
    print(f"admin: {admin.email} ({admin.operator_id})", file=sys.stderr)
    print(service.widget_key)
    return 0


def _add_chat_heads(target: str) -> int:
    from chalicelib import aws, config
    from infra import upgrade

    added = upgrade.add_missing_heads(aws.client("dynamodb", config.dynamodb_endpoint()))
    print(f"gave {added} open chat(s) a head in {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
