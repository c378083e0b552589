"""Canned responses (R-CAN-1): the service's set, which admins manage, and each
operator's personal set. Any operator reads the service's set and their own.

A shortcut is unique within its set as it folds (`textfold.fold`: width, case
and kana ignored, so `ﾍﾝﾋﾟﾝ` and `へんぴん` are one shortcut): a guard record in
the tokens table, written in the transaction that writes the response, makes two
creations or renames with one shortcut fail cleanly. A set holds at most
`CAPS[scope]` responses, counted by a record in the tokens table in the same
transaction. `canned_id` starts with its set (`s.…`, `p.<operator_id>.…`), so
a set is one Query and an id alone is one GetItem."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action

from chalicelib import clock, textfold, token_keys, validate
from chalicelib.errors import Conflict, InvalidInput, NotAllowed, NotFound
from chalicelib.models import CannedResponse, Token, transaction
from chalicelib.services import retries
from chalicelib.services.access import Actor

SCOPES = ("service", "personal")
CAPS = {"service": 500, "personal": 200}
MAX_SHORTCUT = 32
MAX_TITLE = 100
MAX_TEXT = 5000
MAX_QUERY = 100
VARIABLES = ("customer.name", "operator.name", "service.name")
# `{{customer.name}}`, spaces or tabs allowed inside the braces. Every `{{` in a
# text must open one of VARIABLES: whatever else would be a template for the
# console to interpret (`{{constructor}}`, `{{<script>}}`) is refused.
_VARIABLE = re.compile(r"\{\{[ \t]*(?P<name>[^{}]*?)[ \t]*\}\}")
# A well-formed id: its set, then a random part (auth-style urlsafe characters).
_ID = re.compile(r"^(?:s|p\.(?P<owner>[A-Za-z0-9_-]{1,60}))\.[A-Za-z0-9_-]{1,40}$")
_NEW_FIELDS = ("scope", "shortcut", "title", "text")
_CHANGE_FIELDS = ("shortcut", "title", "text")


# --- the sets -----------------------------------------------------------------


@dataclass(frozen=True)
class CannedSet:
    """The service's set (`owner_id` None) or one operator's personal set."""

    service_id: str
    owner_id: str | None = None

    @property
    def scope(self) -> str:
        return "service" if self.owner_id is None else "personal"

    @property
    def name(self) -> str:
        return "s" if self.owner_id is None else f"p.{self.owner_id}"

    @property
    def prefix(self) -> str:
        return f"{self.name}."

    @property
    def cap(self) -> int:
        return CAPS[self.scope]

    def guard_key(self, shortcut: str) -> str:
        return token_keys.canned_shortcut(self.service_id, self.name, textfold.fold(shortcut))

    @property
    def count_key(self) -> str:
        return token_keys.canned_count(self.service_id, self.name)


def _set_of(canned: CannedResponse) -> CannedSet:
    owner = canned.owner_id if canned.scope == "personal" else None
    return CannedSet(canned.service_id, owner)


def require_writer(actor: Actor, canned_set: CannedSet) -> None:
    """Admins write the service's set; everyone writes their own personal set
    (an admin too: never another operator's)."""
    if actor.is_customer:
        raise NotAllowed("only operators may do this", "forbidden")
    if canned_set.owner_id is None and not actor.is_admin:
        raise NotAllowed("only admins manage the service's canned responses", "forbidden")
    if canned_set.owner_id is not None and canned_set.owner_id != actor.subject_id:
        raise NotAllowed("this is another operator's canned response", "forbidden")


# --- typed commands ------------------------------------------------------------


def checked_shortcut(value: Any) -> str:
    """1-32 characters, none of them white space, control or invisible format
    characters (a shortcut is typed after `/` and must look like what it is)."""
    if not isinstance(value, str):
        raise InvalidInput("shortcut", "must be a string")
    if not 1 <= len(value) <= MAX_SHORTCUT:
        raise InvalidInput("shortcut", f"must be 1 to {MAX_SHORTCUT} characters")
    if any(_blank(char) for char in value) or validate.lone_surrogates(value):
        raise InvalidInput("shortcut", "must not contain white space or control characters")
    if not textfold.fold(value):
        raise InvalidInput("shortcut", "must not be empty")
    return value


def _blank(char: str) -> bool:
    # \ufeff is white space to JavaScript (the console), a format character here.
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def _title(body: dict[str, Any]) -> str:
    return str(validate.text(body, "title", max_len=MAX_TITLE, single_line=True))


def checked_text(body: dict[str, Any]) -> str:
    text = str(validate.text(body, "text", max_len=MAX_TEXT))
    if not text.strip():
        raise InvalidInput("text", "must not be empty")
    start = text.find("{{")
    while start != -1:
        variable = _VARIABLE.match(text, start)
        if variable is None or variable["name"] not in VARIABLES:
            raise InvalidInput("text", "the only variables are "
                               + ", ".join("{{" + name + "}}" for name in VARIABLES))
        start = text.find("{{", variable.end())
    return text


@dataclass(frozen=True)
class NewCanned:
    """`POST /canned-responses`, checked."""

    scope: str
    shortcut: str
    title: str
    text: str

    @classmethod
    def checked(cls, body: Any) -> NewCanned:
        validate.body_object(body)
        validate.only_fields(body, _NEW_FIELDS)
        return cls(
            scope=str(validate.choice(body, "scope", SCOPES)),
            shortcut=checked_shortcut(body.get("shortcut")),
            title=_title(body),
            text=checked_text(body),
        )


@dataclass(frozen=True)
class CannedChange:
    """`PUT /canned-responses/{id}`, checked: the fields given."""

    shortcut: str | None = None
    title: str | None = None
    text: str | None = None

    @classmethod
    def checked(cls, body: Any) -> CannedChange:
        validate.body_object(body)
        validate.only_fields(body, _CHANGE_FIELDS)
        return cls(
            shortcut=checked_shortcut(body["shortcut"]) if "shortcut" in body else None,
            title=_title(body) if "title" in body else None,
            text=checked_text(body) if "text" in body else None,
        )


def checked_query(value: Any) -> str | None:
    """`?q=`: up to 100 characters; left out or blank, no filter."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > MAX_QUERY:
        raise InvalidInput("q", f"must be at most {MAX_QUERY} characters")
    return value


# --- reads ---------------------------------------------------------------------


def get_canned(actor: Actor, canned_id: object) -> CannedResponse:
    """A response of the actor's service; NotFound for a malformed id, an unknown
    one and another service's alike."""
    if not isinstance(canned_id, str) or _ID.match(canned_id) is None:
        raise NotFound("no such canned response")
    try:
        return CannedResponse.get(actor.service_id, canned_id, consistent_read=True)
    except CannedResponse.DoesNotExist as exc:
        raise NotFound("no such canned response") from exc


def _in_set(canned_set: CannedSet) -> list[CannedResponse]:
    return list(CannedResponse.query(
        canned_set.service_id, CannedResponse.canned_id.startswith(canned_set.prefix),
        consistent_read=True,
    ))


def list_for(actor: Actor, query: str | None = None) -> list[CannedResponse]:
    """The service's set and the actor's personal set, by folded shortcut; with
    `query`, those whose shortcut, title or text holds it (folded)."""
    found = [*_in_set(CannedSet(actor.service_id)),
             *_in_set(CannedSet(actor.service_id, actor.subject_id))]
    if query:
        found = [c for c in found if textfold.matches(query, c.shortcut, c.title, c.text)]
    return sorted(found, key=lambda c: (textfold.fold(c.shortcut), c.canned_id))


# --- writes --------------------------------------------------------------------


def _guard(canned_set: CannedSet, shortcut: str, canned_id: str) -> Token:
    return Token(token_key=canned_set.guard_key(shortcut), payload={"canned_id": canned_id})


def _refuse_taken(canned_set: CannedSet, shortcut: str, canned_id: str) -> None:
    """After a cancelled transaction: Conflict if another response holds the
    shortcut (else the caller tries again)."""
    try:
        guard = Token.get(canned_set.guard_key(shortcut), consistent_read=True)
    except Token.DoesNotExist:
        return
    if (guard.payload or {}).get("canned_id") != canned_id:
        raise Conflict(f"the shortcut {shortcut} is taken in this set", "duplicate_shortcut")


def _refuse_full(canned_set: CannedSet) -> None:
    try:
        counter = Token.get(canned_set.count_key, consistent_read=True)
    except Token.DoesNotExist:
        return
    if int(counter.failures or 0) >= canned_set.cap:
        raise Conflict(f"a set holds at most {canned_set.cap} canned responses", "too_many")


def _unchanged(canned: CannedResponse) -> Any:
    """The condition that the response is as it was read."""
    version = int(canned.version or 0)
    condition = CannedResponse.version == version
    if version == 0:
        condition = condition | (CannedResponse.version.does_not_exist()
                                 & CannedResponse.canned_id.exists())
    return condition


def create(actor: Actor, new: NewCanned) -> CannedResponse:
    canned_set = CannedSet(actor.service_id, actor.subject_id if new.scope == "personal" else None)
    require_writer(actor, canned_set)
    now = clock.iso(clock.now())
    canned = CannedResponse(
        service_id=actor.service_id,
        canned_id=canned_set.prefix + secrets.token_urlsafe(12),
        scope=canned_set.scope,
        owner_id=canned_set.owner_id,
        shortcut=new.shortcut,
        title=new.title,
        text=new.text,
        created_at=now,
        updated_at=now,
        version=0,
    )
    # Token's number attribute is `count` (named `failures` in Python).
    below_cap = Token.failures.does_not_exist() | (Token.failures < canned_set.cap)

    def attempt(_: int) -> CannedResponse:
        try:
            with transaction() as writes:
                writes.save(canned, condition=CannedResponse.canned_id.does_not_exist())
                writes.save(_guard(canned_set, new.shortcut, canned.canned_id),
                            condition=Token.token_key.does_not_exist())
                writes.update(Token(token_key=canned_set.count_key),
                              actions=[Token.failures.add(1)], condition=below_cap)
        except TransactWriteError:
            _refuse_taken(canned_set, new.shortcut, canned.canned_id)
            _refuse_full(canned_set)
            raise  # another write came between: again
        return canned

    return retries.until_committed(attempt, busy="the canned responses changed meanwhile; "
                                                 "try again")


def update(actor: Actor, canned_id: str, change: CannedChange) -> CannedResponse:
    """The fields given, over the version read; a new shortcut moves its guard
    (the old one freed, the new one taken) in the same transaction."""

    def attempt(_: int) -> CannedResponse:
        canned = get_canned(actor, canned_id)
        canned_set = _set_of(canned)
        require_writer(actor, canned_set)
        actions: list[Action] = []
        new_values: dict[str, str] = {}
        for name in _CHANGE_FIELDS:
            value = getattr(change, name)
            if value is not None and value != getattr(canned, name):
                actions.append(getattr(CannedResponse, name).set(value))
                new_values[name] = value
        if not actions:
            return canned
        now = clock.iso(clock.now())
        version = int(canned.version or 0) + 1
        actions += [CannedResponse.updated_at.set(now), CannedResponse.version.set(version)]
        old_shortcut = canned.shortcut
        new_shortcut = new_values.get("shortcut", old_shortcut)
        moves = canned_set.guard_key(old_shortcut) != canned_set.guard_key(new_shortcut)
        try:
            with transaction() as writes:
                writes.update(canned, actions=actions, condition=_unchanged(canned))
                if moves:
                    writes.delete(Token(token_key=canned_set.guard_key(old_shortcut)))
                    writes.save(_guard(canned_set, new_shortcut, canned.canned_id),
                                condition=Token.token_key.does_not_exist())
        except TransactWriteError:
            if moves:
                _refuse_taken(canned_set, new_shortcut, canned.canned_id)
            raise  # changed meanwhile: read it again
        for name, value in new_values.items():
            setattr(canned, name, value)
        canned.updated_at, canned.version = now, version
        return canned

    return retries.until_committed(attempt, busy="the canned response changed meanwhile; "
                                                 "try again")


def delete(actor: Actor, canned_id: str) -> None:
    """The response, its shortcut's guard and its place in the set's count, at once."""

    def attempt(_: int) -> None:
        canned = get_canned(actor, canned_id)
        canned_set = _set_of(canned)
        require_writer(actor, canned_set)
        with transaction() as writes:
            writes.delete(canned, condition=_unchanged(canned))
            writes.delete(Token(token_key=canned_set.guard_key(canned.shortcut)))
            writes.update(Token(token_key=canned_set.count_key),
                          actions=[Token.failures.add(-1)])

    retries.until_committed(attempt, busy="the canned response changed meanwhile; try again")


# --- JSON ----------------------------------------------------------------------


def to_json(canned: CannedResponse) -> dict[str, Any]:
    return {
        "canned_id": canned.canned_id,
        "scope": canned.scope,
        "shortcut": canned.shortcut,
        "title": canned.title,
        "text": canned.text,
        "owner_id": canned.owner_id if canned.scope == "personal" else None,
        "created_at": canned.created_at,
        "updated_at": canned.updated_at or canned.created_at,
    }
