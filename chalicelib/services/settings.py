"""A service's chat settings (R-SET-1…7): defaults, validation, the widget
snippet and the identity secret."""

from __future__ import annotations

import functools
import html
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from chalicelib import config, validate
from chalicelib.errors import InvalidInput
from chalicelib.models import Service, transaction
from chalicelib.services import audit, files, hours, jobs, retention, retries

LANGUAGES = ("ja", "en", "ko")

DEFAULT_CONSENT_TEXT = (
    "We collect your name, email address, IP address and device to answer your "
    "inquiry. Do you agree to the collection of this personal information?"
)

# Texts the service writes for its customers (R-I18N-2): each is a string (every
# language) or {language: text}; a customer reads their language's, else the
# default language's. The defaults come in every language the product speaks.
TEXTS = ("greeting", "consent_text", "rating_message", "away_message")
_TEXT_MAX = {"greeting": 2000, "consent_text": 4000, "rating_message": 2000,
             "away_message": 2000}
DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "ja": "こんにちは。ご用件をお聞かせください。",
        "en": "Hello! How can we help you today?",
        "ko": "안녕하세요! 무엇을 도와드릴까요?",
    },
    "consent_text": {
        "ja": "お問い合わせにお答えするため、お名前、メールアドレス、IPアドレス、ご利用の端末の"
              "情報を取得します。個人情報の取得に同意いただけますか。",
        "en": DEFAULT_CONSENT_TEXT,
        "ko": "문의에 답변하기 위해 이름, 이메일 주소, IP 주소, 기기 정보를 수집합니다. "
              "개인정보 수집에 동의하십니까?",
    },
    "rating_message": {
        "ja": "ご利用ありがとうございました。このチャットの評価をお願いいたします。",
        "en": "Thank you for chatting with us. Please rate this conversation.",
        "ko": "상담해 주셔서 감사합니다. 이번 상담을 평가해 주세요.",
    },
    "away_message": {
        "ja": "ただいま対応できる担当者がおりません。",
        "en": "No one is available to chat right now.",
        "ko": "지금은 상담 가능한 상담원이 없습니다.",
    },
}
# The English-only defaults of earlier versions, as services saved them: read as
# the defaults in every language.
_OLD_DEFAULTS = {
    "greeting": "Hello! How can we help you today?",
    "consent_text": DEFAULT_CONSENT_TEXT,
    "rating_message": "Thank you for chatting with us. Please rate this conversation.",
}


def defaults() -> dict[str, Any]:
    return {
        "chat_enabled": True,
        "greeting": dict(DEFAULT_TEXTS["greeting"]),
        "rating_message": dict(DEFAULT_TEXTS["rating_message"]),
        "away_message": dict(DEFAULT_TEXTS["away_message"]),
        "timezone": "UTC",
        "sticky_assignment": True,
        "inquiry_form_url": "",
        "max_chats_per_operator": 5,
        "languages": ["ja", "en"],
        "default_language": "ja",
        "allowed_origins": [],
        "unopened_timeout_s": 120,
        "consent_text": dict(DEFAULT_TEXTS["consent_text"]),
        "consent_version": 1,
        # Where chats may come from: `chat.start` names one of these (R-SEC-5).
        "channels": ["widget"],
        # Abuse caps (R-SEC-4): customers waiting in the queue at once, and chats
        # open at once from one address (a shop's NAT stays well inside).
        "max_queue": 100,
        "max_open_chats_per_address": 20,
        # When customers may chat (R-BH-1), and what the widget offers when they
        # cannot (R-OFF-1): the offline form, which files a ticket.
        "business_hours": hours.defaults(),
        "offline_form": True,
        # Files in chats (R-ATT-1): only types this product can tell from their
        # bytes, and never HTML or SVG (services/files.py).
        "attachments": {"enabled": True, "max_bytes": files.DEFAULT_MAX_BYTES,
                        "types": list(files.DEFAULT_TYPES)},
        # Visitor context (R-VIS-1): page URLs keep their query strings only
        # when the service says so (they may carry personal data).
        "page_query_strings": False,
        # How long chats, tickets and their files are kept (R-PRIV-1).
        "retention_days": retention.DEFAULT_DAYS,
    }


# Fields the server maintains: accepted back from a GET, never changed by a PUT.
_READ_ONLY = ("consent_version",)


def current(service: Service) -> dict[str, Any]:
    """The service's settings with defaults filled in for fields added later (and
    the English-only default texts of earlier versions read as today's defaults)."""
    found = {**defaults(), **(service.settings or {})}
    found["attachments"] = files.settings_of(found)
    for name, old in _OLD_DEFAULTS.items():
        if found[name] == old:
            found[name] = dict(DEFAULT_TEXTS[name])
    return found


def text_for(found: dict[str, Any], name: str, language: str | None) -> tuple[str, str]:
    """A customer-facing text (`greeting`, …) in `language`: (text, its language).
    Per-language texts fall back to the default language's; a single string is
    every language's, marked as the default language's."""
    value = found[name]
    default = found["default_language"]
    if isinstance(value, str):
        return value, default
    for lang in (language, default, *LANGUAGES):
        if lang and value.get(lang):
            return value[lang], lang
    return "", default


def texts_by_language(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every customer-facing text in each of the service's languages, with the
    language each text is really in: {lang: {name: text, …, "lang": {name: lang}}}."""
    result: dict[str, dict[str, Any]] = {}
    for language in found["languages"]:
        entry: dict[str, Any] = {"lang": {}}
        for name in TEXTS:
            entry[name], entry["lang"][name] = text_for(found, name, language)
        result[language] = entry
    return result


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_name(value: Any, field: str = "timezone") -> str:
    """An IANA time zone name (`Asia/Tokyo`), checked against the tz database."""
    if not isinstance(value, str) or value not in _zones() or value == "localtime":
        raise InvalidInput(field, "must be an IANA time zone name such as Asia/Tokyo or UTC")
    return value


def zone_of(found: dict[str, Any]) -> zoneinfo.ZoneInfo:
    """The service's time zone (R-TZ-1)."""
    return zoneinfo.ZoneInfo(found.get("timezone") or "UTC")


def is_open(found: dict[str, Any], now: datetime) -> bool:
    """Inside the service's business hours (always, when it keeps none; R-BH-1)."""
    return hours.is_open(found["business_hours"], zone_of(found), now)


def next_open_at(found: dict[str, Any], now: datetime) -> datetime | None:
    return hours.next_open_at(found["business_hours"], zone_of(found), now)


def _text_setting(body: dict[str, Any], name: str) -> str | dict[str, str]:
    """A string, or {language: text} with at least one of the product's languages."""
    value = body[name]
    max_len = _TEXT_MAX[name]
    if isinstance(value, dict):
        if not value or any(lang not in LANGUAGES for lang in value):
            raise InvalidInput(name, "must be a text, or texts by language ("
                               + ", ".join(LANGUAGES) + ")")
        return {lang: str(validate.text({f"{name}.{lang}": value[lang]}, f"{name}.{lang}",
                                        max_len=max_len, allow_empty=False))
                for lang in LANGUAGES if lang in value}
    return str(validate.text(body, name, max_len=max_len, allow_empty=False))


def _languages(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise InvalidInput("languages", "must be a non-empty list of language codes")
    if any(lang not in LANGUAGES for lang in value) or len(set(value)) != len(value):
        raise InvalidInput("languages", "must list distinct codes from " + ", ".join(LANGUAGES))
    return list(value)


def _origins(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > 50:
        raise InvalidInput("allowed_origins", "must be a list of at most 50 origins")
    if value == ["*"]:
        return ["*"]
    return sorted({validate.origin(item, "allowed_origins") for item in value})


_CHANNEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")


def _channels(value: Any) -> list[str]:
    if not isinstance(value, list) or not 1 <= len(value) <= 20:
        raise InvalidInput("channels", "must be a list of 1 to 20 channel names")
    if any(not isinstance(item, str) or not _CHANNEL.match(item) for item in value):
        raise InvalidInput(
            "channels", "names are 1 to 30 lowercase letters, digits, '-' or '_'"
        )
    if len(set(value)) != len(value):
        raise InvalidInput("channels", "must not repeat a name")
    return list(value)


def _inquiry_form_url(value: Any) -> str:
    if value in ("", None):
        return ""
    return validate.http_url(value, "inquiry_form_url")


@dataclass(frozen=True)
class SettingsChange:
    """`PUT /settings`: the fields given, each checked on its own (how they go
    together is checked against the settings they change, in `update`)."""

    fields: dict[str, Any]

    @classmethod
    def checked(cls, body: Any) -> SettingsChange:
        validate.body_object(body)
        validate.only_fields(body, (*defaults().keys(),))
        fields: dict[str, Any] = {}
        for name in ("chat_enabled", "sticky_assignment", "offline_form", "page_query_strings"):
            if name in body:
                fields[name] = validate.boolean(body, name)
        for name in TEXTS:
            if name in body:
                fields[name] = _text_setting(body, name)
        if "timezone" in body:
            fields["timezone"] = zone_name(body["timezone"])
        if "business_hours" in body:
            fields["business_hours"] = hours.checked(body["business_hours"])
        if "attachments" in body:
            fields["attachments"] = files.checked_settings(body["attachments"])
        for name, low, high in _NUMBERS:
            if name in body:
                fields[name] = validate.integer(body, name, low=low, high=high)
        if "inquiry_form_url" in body:
            fields["inquiry_form_url"] = _inquiry_form_url(body["inquiry_form_url"])
        if "channels" in body:
            fields["channels"] = _channels(body["channels"])
        if "languages" in body:
            fields["languages"] = _languages(body["languages"])
        if "default_language" in body:
            fields["default_language"] = validate.choice(body, "default_language", LANGUAGES)
        if "allowed_origins" in body:
            fields["allowed_origins"] = _origins(body["allowed_origins"])
        return cls(fields)


_NUMBERS = (
    ("max_chats_per_operator", 1, 50),
    ("max_queue", 1, 10000),
    ("max_open_chats_per_address", 1, 1000),
    ("unopened_timeout_s", 15, 3600),
    ("retention_days", retention.MIN_DAYS, retention.MAX_DAYS),
)


def applied(change: SettingsChange, now_settings: dict[str, Any]) -> dict[str, Any]:
    """The settings after the change: fields left out keep their value; a new
    consent text is a new consent version; read-only fields stay."""
    merged = {**now_settings, **change.fields}
    for name in _READ_ONLY:
        merged[name] = now_settings.get(name, defaults()[name])
    if merged["default_language"] not in merged["languages"]:
        raise InvalidInput("default_language", "must be one of the service's languages")
    for name in TEXTS:
        if isinstance(merged[name], dict) and merged["default_language"] not in merged[name]:
            raise InvalidInput(name, "needs a text in the default language ("
                               f"{merged['default_language']})")
    if merged["consent_text"] != now_settings["consent_text"]:
        merged["consent_version"] = int(now_settings.get("consent_version", 1)) + 1
    return merged


def update(service: Service, change: SettingsChange, *,
           launch_with: jobs.Launcher | None = None) -> dict[str, Any]:
    """Apply a change to the settings as they are now: written only over the
    version it was applied to (`settings_version`), so two admins saving
    different fields at once both keep their change."""

    def attempt(n: int) -> dict[str, Any]:
        read = service if n == 0 else Service.get(service.service_id, consistent_read=True)
        before = current(read)
        merged = applied(change, before)
        version = int(read.settings_version or 0)
        unchanged = Service.settings_version == version
        if version == 0:
            unchanged = Service.settings_version.does_not_exist() | unchanged
        with transaction() as writes:
            writes.update(read, actions=[Service.settings.set(merged),
                                         Service.settings_version.set(version + 1)],
                          condition=unchanged)
            audit.add_to(writes, read.service_id, "settings.update", read.service_id,
                         {"fields": sorted(k for k in change.fields
                                           if merged.get(k) != before.get(k))})
            if merged["retention_days"] != before["retention_days"]:
                # Every item of the service gets the new time, by a job
                # written with the change (R-PRIV-1).
                jobs.add_to(writes, retention.job_id(read.service_id), retention.RETENTION,
                            read.service_id, {"days": merged["retention_days"]},
                            created_by=audit.current().operator_id)
                changed_retention.append(read.service_id)
        return merged

    changed_retention: list[str] = []
    merged = retries.until_committed(attempt, busy="the settings changed meanwhile; try again")
    if changed_retention:
        jobs.launch(retention.job_id(service.service_id), launch_with)
    return merged


def retention_days(service_id: str) -> int:
    """The service's retention (R-PRIV-1), for a path that has not read the service."""
    try:
        service = Service.get(service_id)
    except Service.DoesNotExist:
        return retention.DEFAULT_DAYS
    return retention.days_of(current(service))


def widget_snippet(service: Service) -> str:
    """The exact tag a site owner pastes before </body>."""
    src = html.escape(config.public_base_url() + "/widget/loader.js", quote=True)
    api = html.escape(config.api_base_url(), quote=True)
    key = html.escape(service.widget_key, quote=True)
    return f'<script async src="{src}" data-widget-key="{key}" data-api="{api}"></script>'


def rotate_identity_secret(service: Service) -> str:
    secret = secrets.token_hex(32)
    with transaction() as writes:
        writes.update(service, actions=[Service.identity_secret.set(secret)])
        audit.add_to(writes, service.service_id, "settings.update", service.service_id,
                     {"fields": ["identity_secret"]})
    return secret


def widget_origin() -> str:
    """The origin the widget's chat frame runs on: the REST API's, which serves
    it (`GET /widget/{key}/frame`), so its WebSocket connects carry that Origin."""
    parts = urlsplit(config.api_base_url())
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(service: Service, origin: str | None, *, frame_ok: bool = True) -> bool:
    """An empty allow-list admits any origin; otherwise the Origin must be listed.
    The widget's chat runs in a frame on the API's origin, so that origin is
    admitted where `frame_ok` (the WebSocket connect): the host page's origin was
    checked when the frame asked for its session ticket, and the frame itself
    may only be framed by the allowed origins (its `frame-ancestors`)."""
    allowed = current(service)["allowed_origins"]
    if not allowed or allowed == ["*"]:
        return True
    if not origin:
        return False
    origin = origin.rstrip("/").lower()
    return origin in allowed or (frame_ok and origin == widget_origin())
