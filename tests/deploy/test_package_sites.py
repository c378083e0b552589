"""The console and the widget on two origins, each with its response-headers policy
(R-SEC-5, R-SEC-H): HSTS, nosniff, a referrer policy everywhere; the console's
strict CSP and no framing; the widget's CORS for the chat frame's modules."""

from __future__ import annotations

from typing import Any

from infra import package
from tests.deploy.template import of_type

ONE_YEAR_S = 365 * 24 * 3600
STRICT_REFERRERS = {"strict-origin-when-cross-origin", "strict-origin", "same-origin",
                    "no-referrer"}


def _distribution(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][name]["Properties"]["DistributionConfig"]


def _headers(template: dict[str, Any], distribution: str) -> dict[str, Any]:
    policy_id = _distribution(template, distribution)["DefaultCacheBehavior"][
        "ResponseHeadersPolicyId"]["Ref"]
    policy = template["Resources"][policy_id]
    assert policy["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    return policy["Properties"]["ResponseHeadersPolicyConfig"]


def _csp(config: dict[str, Any]) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The CSP's directives (name → sources) and its Fn::Sub variables."""
    value = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    text, variables = value["Fn::Sub"]
    directives = {}
    for directive in text.split("; "):
        name, *sources = directive.split(" ")
        directives[name] = sources
    return directives, variables


def test_console_and_widget_are_two_distributions_over_their_own_prefixes(
    template: dict[str, Any],
) -> None:
    distributions = of_type(template, "AWS::CloudFront::Distribution")
    assert set(distributions) == {"ConsoleDistribution", "WidgetDistribution"}
    for name, prefix in package.SITE_ORIGINS.items():
        config = _distribution(template, name)
        [origin] = config["Origins"]
        assert origin["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}
        assert origin["OriginPath"] == f"/{prefix}"
        assert origin["OriginAccessControlId"]
        assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert _distribution(template, "ConsoleDistribution")["DefaultRootObject"] == "index.html"
    assert package.SITE_ORIGINS["ConsoleDistribution"] != package.SITE_ORIGINS[
        "WidgetDistribution"]


def test_each_distribution_reads_only_its_prefix_of_the_bucket(template: dict[str, Any]) -> None:
    policy = template["Resources"]["SiteBucketPolicy"]["Properties"]["PolicyDocument"]
    reads = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert len(reads) == 2
    for name, prefix in package.SITE_ORIGINS.items():
        [statement] = [s for s in reads if f"${{{name}}}" in
                       s["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]]
        assert statement["Action"] == "s3:GetObject"
        assert statement["Resource"] == {"Fn::Sub": f"${{SiteBucket.Arn}}/{prefix}/*"}


def test_both_sites_send_hsts_nosniff_and_a_strict_referrer_policy(
    template: dict[str, Any],
) -> None:
    for distribution in ("ConsoleDistribution", "WidgetDistribution"):
        security = _headers(template, distribution)["SecurityHeadersConfig"]
        hsts = security["StrictTransportSecurity"]
        assert hsts["AccessControlMaxAgeSec"] >= ONE_YEAR_S and hsts["IncludeSubdomains"]
        assert hsts["Override"]
        assert security["ContentTypeOptions"]["Override"]  # nosniff
        assert security["ReferrerPolicy"]["ReferrerPolicy"] in STRICT_REFERRERS


def test_the_console_has_a_strict_csp_and_is_never_framed(template: dict[str, Any]) -> None:
    config = _headers(template, "ConsoleDistribution")
    directives, variables = _csp(config)
    rest = variables["ApiOrigin"]
    assert rest["Fn::If"][0] == "HasApiBaseUrl"  # the REST API's origin, once known
    websocket = "wss://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    buckets = ["https://${ExportsBucket.RegionalDomainName}", "https://${ExportsBucket.DomainName}"]
    # Files sent in chats: uploaded (POST) to and shown from the files bucket.
    files = ["https://${FilesBucketName}.s3.${AWS::Region}.${AWS::URLSuffix}",
             "https://${FilesBucketName}.s3.${AWS::URLSuffix}"]
    assert variables["FilesBucketName"] == package.FILES_BUCKET_NAME
    assert directives == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *files],
        "connect-src": ["'self'", "${ApiOrigin}", websocket, *buckets, *files],
        "frame-src": buckets,  # an export downloads in a hidden frame
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    }
    assert config["SecurityHeadersConfig"]["FrameOptions"]["FrameOption"] == "DENY"


def test_the_api_origin_in_the_csp_is_the_api_base_url_without_its_path(
    template: dict[str, Any],
) -> None:
    _, variables = _csp(_headers(template, "ConsoleDistribution"))
    _, joined, empty = variables["ApiOrigin"]["Fn::If"]
    assert empty == ""  # before `make deploy` sets ApiBaseUrl
    scheme, host = joined["Fn::Join"][1]
    assert scheme == "https://"
    assert host == {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "ApiBaseUrl"}]}]}
    pattern = template["Parameters"]["ApiBaseUrl"]["AllowedPattern"]
    assert pattern.startswith("^$|^https://")


def test_the_widget_answers_cors_and_sets_no_framing_rules(template: dict[str, Any]) -> None:
    config = _headers(template, "WidgetDistribution")
    cors = config["CorsConfig"]
    assert "GET" in cors["AccessControlAllowMethods"]["Items"]
    assert cors["AccessControlAllowOrigins"]["Items"]
    assert cors["AccessControlAllowCredentials"] is False
    security = config["SecurityHeadersConfig"]
    assert "FrameOptions" not in security
    assert "frame-ancestors" not in str(security.get("ContentSecurityPolicy", ""))


def test_each_site_has_its_own_headers_policy(template: dict[str, Any]) -> None:
    console = _distribution(template, "ConsoleDistribution")["DefaultCacheBehavior"]
    widget = _distribution(template, "WidgetDistribution")["DefaultCacheBehavior"]
    assert console["ResponseHeadersPolicyId"] != widget["ResponseHeadersPolicyId"]
    assert "CorsConfig" not in _headers(template, "ConsoleDistribution")
