"""Services (tenants): creating one with its first admin, finding one by id or
widget key."""

from __future__ import annotations

import re
import secrets
from zoneinfo import ZoneInfo

from pynamodb.exceptions import TransactWriteError

from chalicelib import auth, clock, observe, token_keys
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.models import Operator, Service, Token, transaction
from chalicelib.services import operators, settings

_SERVICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_WIDGET_KEY = re.compile(r"^[A-Za-z0-9_-]{3,64}$")


def get_service(service_id: str) -> Service:
    try:
        return Service.get(service_id)
    except Service.DoesNotExist as exc:
        raise NotFound("no such service") from exc


def zone(service_id: str) -> ZoneInfo:
    """The service's time zone (R-TZ-1)."""
    return settings.zone_of(settings.current(get_service(service_id)))


def service_for_widget_key(widget_key: str) -> Service:
    if not _WIDGET_KEY.match(widget_key or ""):
        raise NotFound("no such widget key")
    for service in Service.by_widget_key.query(widget_key, limit=1):
        observe.tag(service_id=service.service_id)
        return service
    raise NotFound("no such widget key")


def create_service(
    service_id: str,
    name: str,
    admin_email: str,
    admin_password: str,
    widget_key: str | None = None,
    admin_name: str = "Admin",
    timezone: str = "UTC",
) -> tuple[Service, Operator]:
    """Create a service with default settings (in `timezone`) and its first
    admin, all at once."""
    if not _SERVICE_ID.match(service_id):
        raise InvalidInput("service_id", "must be 2-63 lowercase letters, digits or dashes")
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    key = widget_key or secrets.token_urlsafe(12)
    if not _WIDGET_KEY.match(key):
        raise InvalidInput("widget_key", "must be 3-64 letters, digits, '-' or '_'")
    if any(True for _ in Service.by_widget_key.query(key, limit=1)):
        raise Conflict("that widget key is taken", "widget_key_taken")
    service = Service(
        service_id=service_id,
        name=name.strip(),
        widget_key=key,
        identity_secret=secrets.token_hex(32),
        settings={**settings.defaults(), "timezone": settings.zone_name(timezone)},
        admin_count=1,
        created_at=clock.iso(clock.now()),
    )
    admin = operators.new_operator(
        service_id,
        email=admin_email,
        name=admin_name,
        password_hash=auth.hash_password(operators.checked_password(admin_password)),
        role="admin",
        max_chats=None,
    )
    try:
        with transaction() as writes:
            writes.save(service, condition=Service.service_id.does_not_exist())
            # Widget keys are unique: a guard record makes two creations race safely.
            writes.save(
                Token(token_key=token_keys.widget_key(key), payload={"service_id": service_id}),
                condition=Token.token_key.does_not_exist(),
            )
            operators.add_create_actions(writes, admin)
    except TransactWriteError as exc:
        raise Conflict("that service id, widget key or admin email is taken",
                       "service_exists") from exc
    return service, admin
