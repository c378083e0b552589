"""What the public widget asks before a chat: the service's widget config and a
customer session (visitor token, WebSocket ticket, identity check; R-WID-7)."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import auth, clock, config, keys, validate
from chalicelib.errors import InvalidInput, NotAllowed, NotAuthenticated
from chalicelib.models import Chat, ChatStatus, Customer, Operator, Service
from chalicelib.services import (
    blocks,
    categories,
    chat_views,
    devices,
    hours,
    ratelimit,
    settings,
    tenants,
)
from chalicelib.services.chat_json import customer_chat_json


def operators_online(service_id: str) -> int:
    return sum(1 for _ in Operator.online.query(service_id, limit=100))


def widget_config(widget_key: str) -> dict[str, Any]:
    service = tenants.service_for_widget_key(widget_key)
    current = settings.current(service)
    enabled = bool(current["chat_enabled"])
    return {
        "enabled": enabled,
        "operators_online": operators_online(service.service_id) if enabled else 0,
        "languages": current["languages"],
        "default_language": current["default_language"],
        "inquiry_form_url": current["inquiry_form_url"],
        "consent_text": settings.text_for(current, "consent_text", None)[0],
        "consent_version": current["consent_version"],
        # Each of the service's languages' texts, and the language each is in
        # (R-I18N-2): the widget shows the customer's and marks it with `lang`.
        "texts": settings.texts_by_language(current),
        "timezone": current["timezone"],
        **_when_open(service, current),
    }


def _when_open(service: Service, current: dict[str, Any]) -> dict[str, Any]:
    """Business hours and the offline form, as the widget shows them (R-BH-1,
    R-OFF-1); the server decides `open`, never the browser's clock."""
    now = clock.now()
    business = current["business_hours"]
    is_open = settings.is_open(current, now)
    next_open = None if is_open else settings.next_open_at(current, now)
    return {
        "open": is_open,
        "next_open_at": clock.iso(next_open),
        "away_message": settings.text_for(current, "away_message", None)[0],
        "business_hours": {
            "enabled": bool(business["enabled"]),
            "timezone": current["timezone"],
            "weekly": business["weekly"],
            "holiday_country": business["holiday_country"],
            "holiday_country_name": hours.country_name(business["holiday_country"]),
            "closed_dates": business["closed_dates"],
        },
        "offline_form": bool(current["offline_form"]),
        "categories": _top_categories(service.service_id) if current["offline_form"] else [],
        "attachments": dict(current["attachments"]),
    }


def _top_categories(service_id: str) -> list[dict[str, str]]:
    """The first level of the category tree, for the offline form's select."""
    top = [c for c in categories.all_categories(service_id) if not c.parent_id]
    top.sort(key=lambda c: (c.position, c.created_at, c.category_id))
    return [{"category_id": c.category_id, "name": c.name} for c in top]


def _verified_customer_id(service_id: str, external_id: str) -> str:
    # Stable per (service, user id) and unguessable without the server's secret.
    digest = hmac.new(
        keys.current().stable_key.encode(), f"{service_id}\0{external_id}".encode(),
        hashlib.sha256,
    ).hexdigest()
    return "cu_" + digest[:32]


@dataclass(frozen=True)
class UserClaim:
    """Who the host page says its signed-in user is (R-WID-7), as sent; `hash`
    is checked against the service's identity secret when the session starts."""

    id: str | None
    name: str | None
    email: str | None
    hash: str | None

    @classmethod
    def checked(cls, user: Any) -> UserClaim:
        if not isinstance(user, dict):
            raise InvalidInput("user", "must be an object")
        user_id = user.get("id")
        if user_id is not None and (not isinstance(user_id, str | int)
                                    or isinstance(user_id, bool)):
            raise InvalidInput("user.id", "must be a string")
        user_id = None if user_id is None else str(user_id)
        if user_id is not None and not 1 <= len(user_id) <= 200:
            raise InvalidInput("user.id", "must be 1 to 200 characters")
        if user_id is not None and validate.lone_surrogates(user_id):
            raise InvalidInput("user.id", "contains characters that are not valid Unicode")
        name = validate.text(user, "name", max_len=100, required=False, single_line=True)
        given_email = user.get("email") not in (None, "")
        email = validate.email(user, "email", required=False) if given_email else None
        given_hash = user.get("hash")
        if given_hash is not None and (not isinstance(given_hash, str) or user_id is None):
            raise InvalidInput("user.hash", "needs user.id and must be a hex string")
        return cls(user_id, name, email, given_hash)


def checked_page_origin(body: dict[str, Any]) -> str | None:
    """The host page's origin the widget reports (checked against the service's
    `allowed_origins` by whoever uses it)."""
    page_origin = body.get("page_origin")
    if page_origin is not None and (not isinstance(page_origin, str) or len(page_origin) > 300):
        raise InvalidInput("page_origin", "must be an origin such as https://example.com")
    return page_origin


@dataclass(frozen=True)
class SessionRequest:
    """`POST /widget/{key}/session`, checked."""

    page_origin: str | None = None
    language: str | None = None
    user: UserClaim | None = None
    visitor_token: str | None = None

    @classmethod
    def checked(cls, body: Any) -> SessionRequest:
        validate.body_object(body)
        page_origin = checked_page_origin(body)
        visitor_token = body.get("visitor_token")
        if visitor_token is not None and not isinstance(visitor_token, str):
            raise InvalidInput("visitor_token", "must be a string")
        return cls(
            page_origin=page_origin,
            language=validate.choice(body, "language", settings.LANGUAGES, required=False),
            user=None if body.get("user") is None else UserClaim.checked(body["user"]),
            visitor_token=visitor_token or None,
        )


def _user(claim: UserClaim | None, service: Service) -> dict[str, Any] | None:
    """The host page's user, verified when its hash matches (a wrong one is 401)."""
    if claim is None:
        return None
    verified = False
    if claim.hash is not None:
        if not auth.identity_hash_ok(service.identity_secret, claim.id or "", claim.hash):
            raise NotAuthenticated("the user's identity hash does not match", "bad_identity_hash")
        verified = True
    return {"id": claim.id, "name": claim.name, "email": claim.email, "verified": verified}


def start_session(
    widget_key: str, request: SessionRequest, ip: str | None, user_agent: str | None
) -> dict[str, Any]:
    service = tenants.service_for_widget_key(widget_key)
    ratelimit.take(ratelimit.widget_sessions(), ip, time.time())
    current = settings.current(service)
    if not current["chat_enabled"]:
        raise NotAllowed("chat is disabled for this service", "chat_disabled")
    if not settings.origin_allowed(service, request.page_origin, frame_ok=False):
        raise NotAllowed("the widget is not allowed on this site", "origin_not_allowed")
    language = request.language
    user = _user(request.user, service)
    visitor_token = request.visitor_token

    customer_id, token_version = None, None
    if user and user["verified"]:
        customer_id = _verified_customer_id(service.service_id, user["id"])
    elif visitor_token:
        visitor = auth.verify_visitor_token(visitor_token, service.service_id)
        if visitor is not None:
            customer_id, token_version = visitor.customer_id, visitor.version
    blocks.check(service.service_id, customer_id=customer_id, ip=ip)  # R-BLK-1
    customer = _customer(service.service_id, customer_id, user, language, ip, user_agent,
                         token_version=token_version)
    open_chat = None
    if customer.open_chat_id:
        try:
            chat = Chat.get(customer.open_chat_id)
            if chat.service_id == service.service_id and chat.status != ChatStatus.ENDED \
                    and not chat.customer_left_at:
                open_chat = customer_chat_json(chat_views.view(chat))
        except Chat.DoesNotExist:
            open_chat = None
    ticket = auth.issue_ticket(
        {
            "role": "customer",
            "service_id": service.service_id,
            "subject_id": customer.customer_id,
        }
    )
    return {
        # A fresh token each time: it lives VISITOR_TOKEN_TTL_S from its last use.
        "visitor_token": auth.issue_visitor_token(service.service_id, customer.customer_id,
                                                  int(customer.token_version or 0)),
        "customer_id": customer.customer_id,
        "verified": bool(customer.verified),
        "ticket": ticket,
        "ws_url": config.ws_url(),
        "open_chat": open_chat,
    }


def _customer(
    service_id: str,
    customer_id: str | None,
    user: dict[str, Any] | None,
    language: str | None,
    ip: str | None,
    user_agent: str | None,
    *,
    token_version: int | None = None,
) -> Customer:
    """Find or create the customer, then record what this visit tells us. A
    visitor token of an older version (revoked) names nobody: a new customer.
    A customer who never starts a chat expires (R-SEC-4) a while after their
    last visit."""
    now = clock.now()
    forget_at = now + timedelta(seconds=auth.VISITOR_TOKEN_TTL_S)
    customer = None
    if customer_id:
        try:
            customer = Customer.get(service_id, customer_id)
        except Customer.DoesNotExist:
            customer = None
        if customer is not None and token_version is not None \
                and token_version != int(customer.token_version or 0):
            customer, customer_id = None, None  # revoked: this browser starts afresh
    if customer is None:
        customer = Customer(
            service_id=service_id,
            customer_id=customer_id or auth.new_id("cu"),
            verified=bool(user and user["verified"]),
            external_id=user["id"] if user and user["verified"] else None,
            expires_at=forget_at,
            created_at=clock.iso(now),
        )
        try:
            customer.save(condition=Customer.customer_id.does_not_exist())
        except PutError:
            customer = Customer.get(service_id, customer.customer_id, consistent_read=True)
    actions: list[Any] = []
    # Unsigned name and email are kept but shown as unverified; they never
    # overwrite what a verified identity said.
    if user and (user["verified"] or not customer.verified):
        if user["name"]:
            actions.append(Customer.name.set(user["name"]))
            actions.append(Customer.given_name.set(user["name"]))
        if user["email"]:
            actions.append(Customer.email.set(user["email"]))
    if language:
        actions.append(Customer.language.set(language))
    if ip:
        actions.append(Customer.ip.set(ip))
    if user_agent:
        actions.append(Customer.device.set(describe_device(user_agent)))
    if customer.expires_at is not None and not customer.chatted:
        _postpone_expiry(customer, actions, forget_at)
    elif actions:
        customer.update(actions=actions)
    return customer


def _postpone_expiry(customer: Customer, actions: list[Any], forget_at: datetime) -> None:
    """A visitor who has not chatted yet: record the visit and push the expiry
    back, unless a chat started meanwhile (which keeps the customer with it)."""
    try:
        customer.update(actions=[*actions, Customer.expires_at.set(forget_at)],
                        condition=Customer.expires_at.exists() & Customer.chatted.does_not_exist())
    except UpdateError:
        if actions:
            customer.update(actions=actions)


def describe_device(user_agent: str) -> str:
    """A short English description of a User-Agent (services/devices.py)."""
    return devices.describe(user_agent)
