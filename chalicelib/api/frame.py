"""The widget's chat frame, served by the API (public, by widget key): an HTML
page whose Content-Security-Policy follows the service's settings."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.common import Call, endpoint

routes = Blueprint(__name__)


@endpoint(routes, "/widget/{key}/frame", who="public")
def widget_frame(call: Call, key: str) -> Response:
    from chalicelib.services import frame

    page = frame.frame_page(key)
    headers: dict[str, str | list[str]] = {**page.headers}
    return Response(body=page.html, status_code=200, headers=headers)
