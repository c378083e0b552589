"""Building blocks for chat-engine tests: a recording pusher, operators and
customers with connections, and a fixed clock."""

from __future__ import annotations

import itertools
import json
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import auth, clock, realtime
from chalicelib.models import Customer, Operator, transaction
from chalicelib.services import chats, operators, presence
from chalicelib.services.access import Actor

# The tests' "now", to the minute. Records they write expire (TTL) hours or days
# after it, as in use; DynamoDB Local deletes expired items as AWS does, so a
# fixed date would have them deleted under a test once that date has passed.
NOW = datetime.now(UTC).replace(second=0, microsecond=0)
_ids = itertools.count(1)


def all_at_once(
    calls: list[Callable[[], Any]], *, returning: tuple[type[BaseException], ...] = ()
) -> list[Any]:
    """Run every call in its own thread, released together by a barrier; what
    each returns (or raises, if it is one of `returning`), in order."""
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        gate.wait()
        try:
            return call()
        except returning as raised:
            return raised

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


class RecordingPusher:
    """Records every frame pushed, per connection; connections in `gone` are gone."""

    def __init__(self) -> None:
        self.sent: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.gone: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, connection_id: str, frame: Any) -> bool:
        if connection_id in self.gone:
            return False
        with self._lock:
            self.sent[connection_id].append(json.loads(json.dumps(frame)))
        return True

    def frames(self, connection_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        return [f for f in self.sent.get(connection_id, []) if kind is None or f["type"] == kind]

    def clear(self) -> None:
        self.sent.clear()


def add_operator(
    service_id: str,
    name: str = "Olive",
    *,
    max_chats: int | None = None,
    online: bool = True,
    role: str = "operator",
    push: RecordingPusher | None = None,
    now: datetime = NOW,
) -> Operator:
    n = next(_ids)
    operator = operators.new_operator(
        service_id,
        email=f"op{n}@{service_id}.test",
        name=f"{name}",
        password_hash="not-a-real-hash",
        role=role,
        max_chats=max_chats,
    )
    with transaction() as writes:
        operators.add_create_actions(writes, operator)
    if online:
        presence.set_status(
            service_id, operator.operator_id, "online", now=now, push=push or RecordingPusher()
        )
    return Operator.get(service_id, operator.operator_id, consistent_read=True)


def connect_operator(operator: Operator, now: datetime = NOW) -> Actor:
    """A console socket of the operator, in a sign-in session of its own."""
    token, _ = auth.issue_operator_token(operator.service_id, operator.operator_id,
                                         int(operator.token_version or 0))
    session_id = auth.verify_operator_token(token).session_id
    connection = realtime.open_connection(
        f"conn-op-{next(_ids)}",
        service_id=operator.service_id,
        role=operator.role,
        subject_id=operator.operator_id,
        name=operator.name,
        ip="198.51.100.7",
        device="Firefox on Linux (desktop)",
        now=now,
        session_id=session_id,
    )
    presence.operator_connected(connection)
    return Actor.on_connection(connection)


def add_customer(service_id: str, *, name: str | None = None, verified: bool = False) -> str:
    customer_id = f"cu_test{next(_ids)}"
    Customer(
        service_id=service_id,
        customer_id=customer_id,
        name=name,
        verified=verified,
        created_at=clock.iso(NOW),
    ).save()
    return customer_id


def connect_customer(service_id: str, customer_id: str | None = None, now: datetime = NOW) -> Actor:
    customer_id = customer_id or add_customer(service_id)
    connection = realtime.open_connection(
        f"conn-cu-{next(_ids)}",
        service_id=service_id,
        role="customer",
        subject_id=customer_id,
        name=None,
        ip="203.0.113.9",
        device="Safari on iOS (mobile)",
        now=now,
    )
    return Actor.on_connection(connection)


def start_chat(
    customer: Actor, push: RecordingPusher, now: datetime = NOW, **fields: Any
) -> Any:
    return chats.start(
        customer,
        chats.StartRequest(**fields),
        ip="203.0.113.9",
        device="Safari on iOS (mobile)",
        now=now,
        push=push,
    )


def as_operator(operator: Operator) -> Actor:
    """The operator calling REST (no connection)."""
    return Actor(
        service_id=operator.service_id,
        role=operator.role,
        subject_id=operator.operator_id,
        name=operator.name,
    )
