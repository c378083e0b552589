"""The API's edges and limits in the template (R-SEC-4, R-SEC-5): API Gateway's own
answers in the error shape and echoing nothing, CORS preflights for the console's
origin only, stage throttling on both APIs, the export worker's reserved
concurrency."""

from __future__ import annotations

import json
from typing import Any

from infra import package


def _rest(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["RestAPI"]["Properties"]


def _gateway_responses(template: dict[str, Any]) -> dict[str, Any]:
    return _rest(template)["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]


def _body(response: dict[str, Any]) -> dict[str, Any]:
    templates = response["responseTemplates"]
    assert set(templates) == {"application/json"}
    return json.loads(templates["application/json"])


def test_a_missing_route_is_a_404_that_echoes_nothing(template: dict[str, Any]) -> None:
    """API Gateway answers an unknown path with MISSING_AUTHENTICATION_TOKEN: by
    default 403 quoting the request's Authorization header."""
    missing = _gateway_responses(template)["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["statusCode"] == "404"
    assert _body(missing) == {"code": "not_found", "message": "no such route"}


def test_throttled_requests_get_a_429_in_the_error_shape(template: dict[str, Any]) -> None:
    throttled = _gateway_responses(template)["THROTTLED"]
    assert throttled["statusCode"] == "429"
    assert _body(throttled)["code"] == "rate_limited"
    assert throttled["responseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"


def test_every_gateway_response_is_static_and_in_the_error_shape(
    template: dict[str, Any],
) -> None:
    responses = _gateway_responses(template)
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN", "THROTTLED"} <= set(
        responses
    )
    assert _body(responses["DEFAULT_5XX"])["code"] == "internal_error"
    for kind, response in responses.items():
        body = _body(response)
        assert set(body) == {"code", "message"}, kind
        assert body["code"].replace("_", "").isalpha() and body["message"], kind
        # Nothing from the request or its context: no $context/$input, no
        # method.request.* header mapping, only quoted literals.
        text = json.dumps(response)
        assert "$" not in text and "method.request" not in text, kind
        for value in response.get("responseParameters", {}).values():
            assert value.startswith("'") and value.endswith("'"), (kind, value)


def test_preflights_answer_any_site_on_widget_routes_and_the_app_answers_the_rest(
    template: dict[str, Any],
) -> None:
    """The widget's public routes keep chalice's preflight (a mock answering any
    origin); every other path's OPTIONS reaches the app, which answers only the
    console's origin (CONSOLE_ORIGIN, in every function's environment)."""
    paths = _rest(template)["DefinitionBody"]["paths"]
    seen = {"public": 0, "console": 0}
    for path, methods in paths.items():
        if "options" not in methods:
            continue
        integration = methods["options"]["x-amazon-apigateway-integration"]
        if path.startswith(package.PUBLIC_CORS_PREFIXES):
            assert integration["type"] == "mock", path
            origin = integration["responses"]["default"]["responseParameters"][
                "method.response.header.Access-Control-Allow-Origin"
            ]
            assert origin == "'*'", path  # any shop's page runs the loader
            seen["public"] += 1
        else:
            assert integration["type"] == "aws_proxy", path
            seen["console"] += 1
    assert seen["public"] and seen["console"] > seen["public"]
    for admin_path in ("/settings", "/operators", "/chats", "/auth/login"):
        assert paths[admin_path]["options"]["x-amazon-apigateway-integration"]["type"] == (
            "aws_proxy")
    assert "Variables" not in _rest(template)


def test_rest_stage_is_throttled_by_parameters(template: dict[str, Any]) -> None:
    settings = _rest(template)["MethodSettings"]
    assert settings == [{
        "ResourcePath": "/*",
        "HttpMethod": "*",
        "ThrottlingBurstLimit": {"Ref": "RestThrottleBurst"},
        "ThrottlingRateLimit": {"Ref": "RestThrottleRate"},
    }]
    parameters = template["Parameters"]
    assert parameters["RestThrottleBurst"]["Default"] == 200
    assert parameters["RestThrottleRate"]["Default"] == 100


def test_websocket_stage_is_throttled_by_parameters(template: dict[str, Any]) -> None:
    stage = template["Resources"]["WebsocketAPIStage"]["Properties"]
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": {"Ref": "WsThrottleBurst"},
        "ThrottlingRateLimit": {"Ref": "WsThrottleRate"},
    }
    parameters = template["Parameters"]
    for name in ("WsThrottleBurst", "WsThrottleRate"):
        assert parameters[name]["Type"] == "Number" and parameters[name]["Default"] > 0


def test_the_export_worker_has_reserved_concurrency(template: dict[str, Any]) -> None:
    worker = template["Resources"][package.EXPORT_WORKER]["Properties"]
    assert worker["ReservedConcurrentExecutions"] == {"Ref": "ExportWorkerConcurrency"}
    parameter = template["Parameters"]["ExportWorkerConcurrency"]
    assert parameter["Default"] == 2 and parameter["MinValue"] >= 1
    others = [
        name for name, r in template["Resources"].items()
        if r["Type"] == "AWS::Serverless::Function" and name != package.EXPORT_WORKER
    ]
    for name in others:
        assert "ReservedConcurrentExecutions" not in template["Resources"][name]["Properties"]
