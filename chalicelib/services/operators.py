"""Operators and admins of a service (R-TEN-2, R-SET-7): create, change, remove,
list. Emails are unique per service; the last admin always stays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib import auth, clock, token_keys, validate
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.models import Operator, Service, Token, transaction
from chalicelib.services import audit

ROLES = ("admin", "operator")
STATUSES = ("online", "break", "offline")
MIN_PASSWORD = 10
MAX_PASSWORD = 200


def checked_password(password: Any, field: str = "password") -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(field, f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def _email_guard_key(service_id: str, email: str) -> str:
    return token_keys.operator_email(service_id, email)


def new_operator(
    service_id: str,
    *,
    email: str,
    name: str,
    password_hash: str,
    role: str,
    max_chats: int | None,
) -> Operator:
    return Operator(
        service_id=service_id,
        operator_id=auth.new_id("op"),
        email=email.lower(),
        name=name,
        role=role,
        password_hash=password_hash,
        status="offline",
        open_chats=0,
        max_chats=max_chats,
        created_at=clock.iso(clock.now()),
    )


def add_create_actions(writes: TransactWrite, operator: Operator) -> None:
    """The writes that create an operator: the item and its unique-email guard."""
    writes.save(operator, condition=Operator.operator_id.does_not_exist())
    writes.save(
        Token(
            token_key=_email_guard_key(operator.service_id, operator.email),
            payload={"operator_id": operator.operator_id},
        ),
        condition=Token.token_key.does_not_exist(),
    )


def get_operator(service_id: str, operator_id: str) -> Operator:
    try:
        return Operator.get(service_id, operator_id)
    except Operator.DoesNotExist as exc:
        raise NotFound("no such operator") from exc


def find_by_email(service_id: str, email: str) -> Operator | None:
    for key_only in Operator.by_email.query(service_id, Operator.email == email.lower(), limit=1):
        try:
            return Operator.get(service_id, key_only.operator_id, consistent_read=True)
        except Operator.DoesNotExist:
            return None
    return None


def list_operators(service_id: str) -> list[Operator]:
    return sorted(Operator.query(service_id), key=lambda op: (op.name.lower(), op.operator_id))


def effective_max_chats(operator: Operator, service_settings: dict[str, Any]) -> int:
    if operator.max_chats is not None:
        return int(operator.max_chats)
    return int(service_settings["max_chats_per_operator"])


@dataclass(frozen=True)
class NewOperator:
    """`POST /operators`, checked."""

    email: str
    name: str
    role: str
    password: str
    max_chats: int | None = None

    @classmethod
    def checked(cls, body: Any) -> NewOperator:
        validate.body_object(body)
        return cls(
            email=str(validate.email(body)),
            name=str(validate.text(body, "name", max_len=100, single_line=True)),
            role=str(validate.choice(body, "role", ROLES)),
            password=checked_password(body.get("password")),
            max_chats=validate.integer(body, "max_chats", low=1, high=50, required=False),
        )


@dataclass(frozen=True)
class OperatorChange:
    """`PUT /operators/{id}`, checked: the fields given (`max_chats` None goes
    back to the service's default when `max_chats_given`)."""

    name: str | None = None
    role: str | None = None
    password: str | None = None
    max_chats_given: bool = False
    max_chats: int | None = None

    @classmethod
    def checked(cls, body: Any) -> OperatorChange:
        validate.body_object(body)
        return cls(
            name=validate.text(body, "name", max_len=100, single_line=True)
            if "name" in body else None,
            role=validate.choice(body, "role", ROLES, required=False),
            password=checked_password(body["password"]) if "password" in body else None,
            max_chats_given="max_chats" in body,
            max_chats=validate.integer(body, "max_chats", low=1, high=50, required=False),
        )


def create(service: Service, new: NewOperator) -> Operator:
    operator = new_operator(
        service.service_id,
        email=new.email,
        name=new.name,
        password_hash=auth.hash_password(new.password),
        role=new.role,
        max_chats=new.max_chats,
    )
    try:
        with transaction() as writes:
            add_create_actions(writes, operator)
            if new.role == "admin":
                writes.update(service, actions=[Service.admin_count.add(1)])
            audit.add_to(writes, service.service_id, "operator.create", operator.operator_id,
                         {"role": new.role, "email": operator.email})
    except TransactWriteError as exc:
        raise Conflict("an operator with that email exists", "email_taken") from exc
    return operator


def update(service: Service, operator_id: str, change: OperatorChange) -> Operator:
    operator = get_operator(service.service_id, operator_id)
    actions: list[Action] = []
    if change.name is not None:
        actions.append(Operator.name.set(change.name))
    if change.password is not None:
        actions.append(Operator.password_hash.set(auth.hash_password(change.password)))
        # Tokens issued before carry the old version and stop working (R-SEC-2).
        actions.append(Operator.token_version.add(1))
    if change.max_chats_given:
        actions.append(Operator.max_chats.remove() if change.max_chats is None
                       else Operator.max_chats.set(change.max_chats))
    role = change.role
    if role is not None and role != operator.role:
        actions.append(Operator.role.set(role))
    if not actions:
        return operator
    condition = Operator.operator_id.exists()
    try:
        with transaction() as writes:
            if role is not None and role != operator.role:
                # The role is checked as it was read, so two role changes cannot
                # both count the same admin.
                condition = condition & (Operator.role == operator.role)
                if role == "admin":
                    writes.update(service, actions=[Service.admin_count.add(1)])
                else:
                    writes.update(
                        service,
                        actions=[Service.admin_count.add(-1)],
                        condition=Service.admin_count > 1,
                    )
            writes.update(operator, actions=actions, condition=condition)
            audit.add_to(writes, service.service_id, "operator.update", operator_id,
                         _changed_fields(change, operator))
    except TransactWriteError as exc:
        if role == "operator":
            raise Conflict("a service must keep at least one admin", "last_admin") from exc
        raise Conflict("the operator changed meanwhile; try again", "conflict") from exc
    return get_operator(service.service_id, operator_id)


def _changed_fields(change: OperatorChange, before: Operator) -> dict[str, Any]:
    """The audit's detail: which fields changed (never the password), and a
    role change's from and to."""
    fields = [name for name, given in (("name", change.name is not None),
                                       ("password", change.password is not None),
                                       ("max_chats", change.max_chats_given),
                                       ("role", change.role is not None
                                        and change.role != before.role)) if given]
    detail: dict[str, Any] = {"fields": fields}
    if "role" in fields:
        detail["role"] = {"from": before.role, "to": change.role}
    return detail


def delete(service: Service, operator_id: str) -> None:
    operator = get_operator(service.service_id, operator_id)
    no_chats = Operator.open_chats.does_not_exist() | (Operator.open_chats == 0)
    try:
        with transaction() as writes:
            writes.delete(
                operator,
                condition=(
                    Operator.operator_id.exists() & (Operator.role == operator.role) & no_chats
                ),
            )
            writes.delete(Token(token_key=_email_guard_key(service.service_id, operator.email)))
            audit.add_to(writes, service.service_id, "operator.delete", operator_id,
                         {"role": operator.role, "email": operator.email})
            if operator.role == "admin":
                writes.update(
                    service,
                    actions=[Service.admin_count.add(-1)],
                    condition=Service.admin_count > 1,
                )
    except TransactWriteError as exc:
        if operator.role == "admin":
            fresh = Service.get(service.service_id, consistent_read=True)
            if fresh.admin_count <= 1:
                raise Conflict("a service must keep at least one admin", "last_admin") from exc
        raise Conflict(
            "the operator still has open chats; end or reassign them first", "operator_busy"
        ) from exc


def to_json(operator: Operator, service_settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "operator_id": operator.operator_id,
        "name": operator.name,
        "email": operator.email,
        "role": operator.role,
        "status": operator.status,
        "open_chats": int(operator.open_chats or 0),
        "max_chats": effective_max_chats(operator, service_settings),
    }
