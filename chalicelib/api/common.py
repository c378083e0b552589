"""What every REST endpoint shares: authentication, the JSON body, and turning
domain errors into API.md's error shape. Handlers declare who may call them."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import config, observe
from chalicelib.errors import DomainError, InvalidInput, NotAllowed, TooLarge
from chalicelib.services.access import Caller

if TYPE_CHECKING:
    from chalicelib.services import audit

log = logging.getLogger("helpdesk.api")

MAX_BODY_BYTES = 256 * 1024
CONTENT_TYPES = ("application/json", "text/plain")
# Chalice would refuse other media types itself, in its own error shape; every
# type reaches the view instead, which refuses them in API.md's.
_ANY_CONTENT_TYPE = ["*/*"]
_NO_STORE = {"Cache-Control": "no-store"}
_NOSNIFF = {"X-Content-Type-Options": "nosniff"}


@dataclass
class Call:
    """One REST request, as the handler needs it."""

    raw_body: bytes | None
    query: dict[str, str]
    headers: dict[str, str]
    source_ip: str | None
    caller: Caller | None = None
    _body: Any = field(default=None, repr=False)
    _parsed: bool = False

    @property
    def body(self) -> Any:
        """The JSON body; an empty body is an empty object."""
        if not self._parsed:
            self._body = parse_json(self.raw_body)
            self._parsed = True
        return self._body

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("user-agent")

    def require_caller(self) -> Caller:
        assert self.caller is not None
        return self.caller


def _who(call: Call) -> audit.Who:
    from chalicelib.services import audit

    caller = call.caller
    if caller is None:
        return audit.Who(ip=call.source_ip)
    return audit.Who(operator_id=caller.operator_id, name=caller.name, role=caller.role,
                     ip=call.source_ip)


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415


def check_content_type(header: str | None) -> None:
    """Bodies are JSON, sent as application/json or text/plain (what a browser
    may send without a CORS preflight); no header means JSON."""
    if not header or "*/*" in header:
        return
    media_type = header.split(";", 1)[0].strip().lower()
    if media_type not in CONTENT_TYPES:
        raise UnsupportedMediaType(
            f"the body must be JSON (application/json), not {media_type[:100]}"
        )


def parse_json(raw: bytes | str | None) -> Any:
    if raw is None or raw in (b"", ""):
        return {}
    if len(raw) > MAX_BODY_BYTES:
        raise TooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # RecursionError: `[[[[…` nested deeper than the parser goes.
        raise InvalidInput("body", "is not valid JSON") from exc


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if status == 204:
        return Response(body="", status_code=204, headers={**_NO_STORE, **(headers or {})})
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json", **_NO_STORE, **(headers or {})},
    )


# --- CORS -------------------------------------------------------------------------
# The widget's public routes answer any origin (the widget runs on any site:
# Chalice's own `cors=True`). Every other route, sign-in included, answers CORS
# only for the console's origin (R-SEC-5), with a preflight route of its own.

_PREFLIGHT_MAX_AGE_S = 600
_methods_by_path: dict[str, set[str]] = {}


def _console_cors(headers: dict[str, str]) -> dict[str, str]:
    """CORS headers for a request from the console's origin; none for others."""
    origin = (headers.get("origin") or "").rstrip("/").lower()
    allowed = config.console_origin()
    if not allowed or origin != allowed:
        return {"Vary": "Origin"}
    return {
        "Access-Control-Allow-Origin": allowed,
        "Access-Control-Expose-Headers": "Retry-After",
        "Vary": "Origin",
    }


def _with_headers(response: Response, extra: dict[str, str]) -> Response:
    response.headers = {**(response.headers or {}), **extra}
    return response


def _register_preflight(blueprint: Blueprint, path: str, methods: tuple[str, ...]) -> None:
    """One OPTIONS route per path, answering for every method it has."""
    if path in _methods_by_path:
        _methods_by_path[path].update(methods)
        return
    _methods_by_path[path] = set(methods)

    def preflight(**_: str) -> Response:
        request = blueprint.current_request
        headers = {k.lower(): v for k, v in (request.headers or {}).items()}
        cors = _console_cors(headers)
        if "Access-Control-Allow-Origin" in cors:
            cors.update({
                "Access-Control-Allow-Methods": ", ".join(sorted(_methods_by_path[path])),
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Max-Age": str(_PREFLIGHT_MAX_AGE_S),
            })
        return Response(body="", status_code=204, headers={**_NO_STORE, **cors})

    preflight.__name__ = "preflight_" + "".join(c if c.isalnum() else "_" for c in path)
    blueprint.route(path, methods=["OPTIONS"], content_types=_ANY_CONTENT_TYPE)(preflight)


def error_response(error: DomainError) -> Response:
    headers = {}
    retry_after = getattr(error, "retry_after_s", None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    body = {"code": error.code, "message": error.message, **getattr(error, "details", {})}
    return json_response(body, error.status, headers)


def internal_error_response() -> Response:
    return json_response(
        {"code": "internal_error", "message": "something went wrong on our side; try again"}, 500
    )


Handler = Callable[..., Any]


def endpoint(
    blueprint: Blueprint,
    path: str,
    *,
    methods: tuple[str, ...] = ("GET",),
    who: str = "operator",
    status: int = 200,
    any_origin: bool | None = None,
) -> Callable[[Handler], Handler]:
    """Register a REST handler. `who` is `public`, `operator` (any signed-in
    operator or admin) or `admin`. The handler gets a `Call` and the path
    parameters and returns something JSON-serializable (or a Response).
    `any_origin`: CORS for every site (the widget's public routes, the default
    for `public`); otherwise only for the console's origin."""
    assert who in ("public", "operator", "admin")
    if any_origin is None:
        any_origin = who == "public"

    def decorate(handler: Handler) -> Handler:
        def view(**params: str) -> Response:
            request = blueprint.current_request
            headers = {k.lower(): v for k, v in (request.headers or {}).items()}
            cors = {} if any_origin else _console_cors(headers)
            return _with_headers(answer(request, headers, params), {**_NOSNIFF, **cors})

        def answer(request: Any, headers: dict[str, str], params: dict[str, str]) -> Response:
            # Imported by the first request, not by every function's cold start.
            from chalicelib.services import audit, sessions

            try:
                call = Call(
                    raw_body=request.raw_body,
                    query=dict(request.query_params or {}),
                    headers=headers,
                    source_ip=((request.context or {}).get("identity") or {}).get("sourceIp"),
                )
                check_content_type(headers.get("content-type"))
                if who != "public":
                    call.caller = sessions.authenticate(headers.get("authorization"))
                    observe.tag(service_id=call.caller.service_id)
                    if who == "admin" and not call.caller.is_admin:
                        raise NotAllowed("this needs an admin", "admin_only")
                with audit.acting(_who(call)):  # whom the audit log names (R-AUD-1)
                    result = handler(call, **params)
            except DomainError as error:
                return error_response(error)
            except Exception:
                # Never the stack trace to the client; never headers (tokens) to the log.
                log.exception("unhandled error in %s %s", request.method, path)
                return internal_error_response()
            if isinstance(result, Response):
                return result
            return json_response(result, status)

        view.__name__ = handler.__name__
        view.__doc__ = handler.__doc__
        blueprint.route(
            path, methods=list(methods), cors=any_origin, content_types=_ANY_CONTENT_TYPE
        )(view)
        if not any_origin:
            _register_preflight(blueprint, path, methods)
        return handler

    return decorate
