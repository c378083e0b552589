"""Time in one place: UTC datetimes and the ISO-8601 strings the API speaks."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import overload


def now() -> datetime:
    return datetime.now(UTC)


def epoch() -> int:
    return int(time.time())


@overload
def iso(moment: datetime) -> str: ...


@overload
def iso(moment: None) -> None: ...


@overload
def iso(moment: datetime | None) -> str | None: ...


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 date or time; a bare date means midnight UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
