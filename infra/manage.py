"""Operations from the command line.

    python -m infra.manage create-service SERVICE_ID --name NAME \
        --admin-email EMAIL --admin-password PASSWORD [--widget-key KEY] \
        [--timezone Asia/Tokyo]

creates a service and its first admin in the DynamoDB the environment points at
(`DYNAMODB_ENDPOINT`, or AWS with `--aws`, using the usual AWS credentials and
the `TABLE_<KEY>` names or `TABLE_PREFIX` of the deployed stack); with nothing
set it targets the local stack (http://127.0.0.1:${DYNAMODB_PORT:-8000}).
It prints the service's widget key.

    python -m infra.manage [--aws] add-chat-heads

gives every open chat of a version before chat heads its head (infra/upgrade.py);
run it once right after deploying the version that brought them.

    python -m infra.manage [--aws] fold-day-counters
    python -m infra.manage [--aws] index-search-terms
    python -m infra.manage [--aws] number-tickets
    python -m infra.manage [--aws] index-customers

moves the statistics counters of versions before time zones (one per UTC day)
into the hour counters read now (infra/upgrade.py); reports read both, so it can
run any time after the deploy, once.

    python -m infra.manage [--aws] rotate-token-secret

rotates the token-signing secret (chalicelib/keys.py): a new key signs from now
on, the previous one still verifies what it signed, an older one is dropped. With
--aws it rewrites the Secrets Manager secret or SSM parameter TOKEN_SECRET_ID
names (`python -m infra.deploy env` prints it); Lambdas pick it up within 5
minutes, and at once for a token that names the new key. Without --aws it
rewrites the local stack's `.local/token-secret` (restart `make run`).
"""

from __future__ import annotations

import argparse
import os
import sys

from chalicelib.errors import DomainError


def _target_dynamodb(use_aws: bool) -> str:
    """AWS with --aws; otherwise the DynamoDB DYNAMODB_ENDPOINT names, or the
    local stack's, with what a local DynamoDB needs (it accepts any credentials,
    boto3 still wants some)."""
    if use_aws:
        os.environ.pop("DYNAMODB_ENDPOINT", None)
        return "AWS"
    endpoint = os.environ.get("DYNAMODB_ENDPOINT") or (
        f"http://127.0.0.1:{os.environ.get('DYNAMODB_PORT', '8000')}"
    )
    os.environ["DYNAMODB_ENDPOINT"] = endpoint
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
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
    create.add_argument("--timezone", default="UTC",
                        help="the service's IANA time zone, e.g. Asia/Tokyo (default UTC)")
    commands.add_parser("add-chat-heads", help="give open chats from before chat heads one")
    commands.add_parser("fold-day-counters",
                        help="move statistics day counters from before time zones into hours")
    commands.add_parser("index-search-terms",
                        help="index chats from before partial search (R-CH-3b)")
    commands.add_parser("number-tickets",
                        help="give tickets from before ticket numbers numbers (R-TK-2)")
    commands.add_parser("index-customers",
                        help="index chats from before the customer filter by customer (R-VIS-1)")
    commands.add_parser("retention",
                        help="give items from before retention their retention time (R-PRIV-1)")
    commands.add_parser("rotate-token-secret", help="a new token-signing key, keeping the last")
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command's exit code; whatever goes wrong is one line on stderr."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
    except Exception as error:  # an operator's tool: one line, not a traceback
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
    return 1


def _run(args: argparse.Namespace) -> int:
    if args.command == "rotate-token-secret":
        return _rotate_token_secret(args.aws)
    target = _target_dynamodb(args.aws)
    if args.command == "add-chat-heads":
        return _add_chat_heads(target)
    if args.command == "fold-day-counters":
        return _fold_day_counters(target)
    if args.command == "index-search-terms":
        return _index_search_terms(target)
    if args.command == "number-tickets":
        return _number_tickets(target)
    if args.command == "index-customers":
        return _index_customers(target)
    if args.command == "retention":
        return _retention(target)
    from chalicelib.services import tenants

    service, admin = tenants.create_service(
        args.service_id,
        name=args.name,
        admin_email=args.admin_email,
        admin_password=args.admin_password,
        widget_key=args.widget_key,
        admin_name=args.admin_name,
        timezone=args.timezone,
    )
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


def _fold_day_counters(target: str) -> int:
    from chalicelib import aws, config
    from infra import upgrade

    folded = upgrade.fold_day_counters(aws.client("dynamodb", config.dynamodb_endpoint()))
    print(f"folded {folded} statistics day counter(s) into hours in {target}", file=sys.stderr)
    return 0


def _index_search_terms(target: str) -> int:
    from chalicelib import aws, config
    from infra import upgrade

    indexed = upgrade.index_search_terms(aws.client("dynamodb", config.dynamodb_endpoint()))
    print(f"indexed {indexed} chat(s) and ticket(s) for partial search in {target}",
          file=sys.stderr)
    return 0


def _number_tickets(target: str) -> int:
    from chalicelib import aws, config
    from infra import upgrade

    numbered = upgrade.number_tickets(aws.client("dynamodb", config.dynamodb_endpoint()))
    print(f"numbered {numbered} ticket(s) from before ticket numbers in {target}",
          file=sys.stderr)
    return 0


def _index_customers(target: str) -> int:
    from chalicelib import aws, config
    from infra import upgrade

    indexed = upgrade.index_customers(aws.client("dynamodb", config.dynamodb_endpoint()))
    print(f"indexed {indexed} chat(s) from before the customer index in {target}",
          file=sys.stderr)
    return 0


def _retention(target: str) -> int:
    from chalicelib import aws, config
    from infra import upgrade

    done = upgrade.retention_times(aws.client("dynamodb", config.dynamodb_endpoint()))
    print(f"gave the items of {done} service(s) their retention times in {target}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())


def _rotate_token_secret(use_aws: bool) -> int:
    from chalicelib import keys

    if not use_aws:
        from infra.local.settings import LocalSettings

        path = LocalSettings.from_env().state_dir / "token-secret"
        if not path.exists():
            print(f"error: no {path}: start the local stack once first", file=sys.stderr)
            return 1
        path.write_text(keys.rotated(path.read_text()))
        print(f"rotated {path}; restart the local stack to use it", file=sys.stderr)
        return 0
    secret_id = os.environ.get("TOKEN_SECRET_ID", "")
    if not secret_id:
        print("error: set TOKEN_SECRET_ID (python -m infra.deploy env --stack NAME)",
              file=sys.stderr)
        return 1
    import boto3

    if secret_id.startswith("ssm:"):
        ssm = boto3.client("ssm")
        name = secret_id[4:]
        value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        new = keys.rotated(value)
        ssm.put_parameter(Name=name, Value=new, Type="SecureString", Overwrite=True)
    else:
        manager = boto3.client("secretsmanager")
        new = keys.rotated(manager.get_secret_value(SecretId=secret_id)["SecretString"])
        manager.put_secret_value(SecretId=secret_id, SecretString=new)
    print(f"rotated {secret_id}: new tokens are signed with key {keys.parse(new).current}",
          file=sys.stderr)
    return 0
