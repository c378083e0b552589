"""Domain errors. Services raise these; only chalicelib/api maps them to HTTP
statuses and WebSocket `error` frames."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(DomainError):
    code = "bad_request"
    status = 400

    def __init__(self, field: str, message: str, code: str | None = None) -> None:
        super().__init__(f"{field}: {message}", code)
        self.field = field


class NotAuthenticated(DomainError):
    code = "unauthorized"
    status = 401


class NotAllowed(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class TooLarge(DomainError):
    code = "too_large"
    status = 413


class Unavailable(DomainError):
    code = "unavailable"
    status = 503


class TooManyRequests(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class LimitReached(DomainError):
    """A cap against abuse (R-SEC-4): too many of something open at once."""

    code = "limit_reached"
    status = 429


class OutsideHours(DomainError):
    """Outside the service's business hours (R-BH-1): no new chat; says when
    it opens again."""

    code = "outside_hours"
    status = 403

    def __init__(self, next_open_at: str | None) -> None:
        super().__init__("the service is closed now (outside its business hours)")
        self.details = {"next_open_at": next_open_at}


class BadAttachment(DomainError):
    """A file that may not be sent (R-ATT-1): `reason` says why (type, size,
    empty, missing, used)."""

    code = "bad_attachment"
    status = 400

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.details = {"reason": reason}


class AttachmentsDisabled(DomainError):
    code = "attachments_disabled"
    status = 403

    def __init__(self) -> None:
        super().__init__("this service does not accept files")


class Blocked(DomainError):
    """The visitor or their address is blocked in this service (R-BLK-1)."""

    code = "blocked"
    status = 403

    def __init__(self) -> None:
        super().__init__("chat is not available")
