"""The service's time zone and its texts in each language, through the real
handlers (R-TZ-1, R-I18N-2)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib import clock
from chalicelib.models import Chat
from chalicelib.services import settings as settings_service
from tests.api.helpers import assert_error
from tests.history_helpers import make_chat

TOKYO = ZoneInfo("Asia/Tokyo")
JA_GREETING = "いらっしゃいませ。ご用件をどうぞ。"
EN_GREETING = "Welcome! How can we help?"


# --- settings ---------------------------------------------------------------------


def test_the_time_zone_is_a_setting_checked_against_the_tz_database(desk):
    admin = desk.admin
    assert admin.get("/settings")[1]["timezone"] == "UTC"
    assert admin.put("/settings", {"timezone": "Asia/Tokyo"})[1]["timezone"] == "Asia/Tokyo"
    for bad in ("Mars/Olympus", "asia/tokyo", "localtime", "../../etc/passwd", "", 9, None,
                "UTC" + "x" * 300):
        body = assert_error(admin.put("/settings", {"timezone": bad}), 400)
        assert "timezone" in body["message"]
    assert admin.get("/settings")[1]["timezone"] == "Asia/Tokyo"


def test_texts_are_a_string_or_one_per_language(desk):
    admin = desk.admin
    defaults = admin.get("/settings")[1]
    # The product's own defaults come in every language.
    assert set(defaults["greeting"]) == {"ja", "en", "ko"}
    assert set(defaults["away_message"]) == {"ja", "en", "ko"}
    body = admin.put("/settings", {"greeting": {"ja": JA_GREETING, "en": EN_GREETING},
                                   "rating_message": "Rate us"})[1]
    assert body["greeting"] == {"ja": JA_GREETING, "en": EN_GREETING}
    assert body["rating_message"] == "Rate us"
    for bad in ({}, {"fr": "Bonjour"}, {"ja": ""}, {"ja": 5}, {"ja": "x" * 2001}, ["ja"],
                {"en": "only English"}):  # the default language (ja) needs its text
        error = assert_error(admin.put("/settings", {"greeting": bad}), 400)
        assert "greeting" in error["message"]
    # A language can become the default only where every text has it.
    error = assert_error(admin.put("/settings", {"languages": ["en", "ko"],
                                                 "default_language": "ko"}), 400)
    assert "greeting" in error["message"]
    assert admin.get("/settings")[1]["greeting"] == {"ja": JA_GREETING, "en": EN_GREETING}


def test_a_new_consent_text_in_any_language_is_a_new_consent_version(desk):
    admin = desk.admin
    version = admin.get("/settings")[1]["consent_version"]
    texts = {"ja": "同意しますか。", "en": "Do you agree?"}
    assert admin.put("/settings", {"consent_text": texts})[1]["consent_version"] == version + 1
    assert admin.put("/settings", {"consent_text": texts})[1]["consent_version"] == version + 1
    changed = {**texts, "en": "Do you agree now?"}
    assert admin.put("/settings", {"consent_text": changed})[1]["consent_version"] == version + 2


def test_texts_saved_by_earlier_versions_read_as_todays_defaults(tenant, aws):
    from chalicelib.models import Service

    service = Service.get(tenant.service_id)
    service.update(actions=[Service.settings.set({
        **(service.settings or {}), "greeting": "Hello! How can we help you today?"})])
    found = settings_service.current(Service.get(tenant.service_id))
    assert found["greeting"] == settings_service.DEFAULT_TEXTS["greeting"]


# --- the widget -------------------------------------------------------------------


def test_the_widget_config_gives_each_languages_texts_marked_with_their_language(desk):
    desk.admin.put("/settings", {"greeting": {"ja": JA_GREETING, "en": EN_GREETING},
                                 "consent_text": "We keep your name. Agree?",
                                 "timezone": "Asia/Tokyo"})
    config = desk.public.get(f"/widget/{desk.tenant.widget_key}/config")[1]
    assert config["timezone"] == "Asia/Tokyo"
    assert config["texts"]["en"]["greeting"] == EN_GREETING
    assert config["texts"]["en"]["lang"]["greeting"] == "en"
    assert config["texts"]["ja"]["greeting"] == JA_GREETING
    assert config["texts"]["ja"]["lang"]["greeting"] == "ja"
    # One string is every language's, marked as the default language's.
    assert config["texts"]["en"]["consent_text"] == "We keep your name. Agree?"
    assert config["texts"]["en"]["lang"]["consent_text"] == "ja"
    assert config["texts"]["ja"]["rating_message"] == \
        settings_service.DEFAULT_TEXTS["rating_message"]["ja"]
    assert set(config["texts"]) == {"ja", "en"}  # the service's languages only


@pytest.mark.parametrize(
    ("session_language", "start_language", "expected"),
    [
        (None, "en", ("en", EN_GREETING)),  # what the widget shows
        ("en", None, ("en", EN_GREETING)),  # what the session said
        (None, None, ("ja", JA_GREETING)),  # the service's default
        ("ko", None, ("ja", JA_GREETING)),  # not offered: the default
    ],
)
def test_the_greeting_is_in_the_customers_language(desk, session_language, start_language,
                                                   expected):
    desk.admin.put("/settings", {"greeting": {"ja": JA_GREETING, "en": EN_GREETING}})
    session = {"language": session_language} if session_language else {}
    customer = desk.customer(**session)
    frame = {"type": "chat.start", "consent": True}
    if start_language:
        frame["language"] = start_language
    chat = customer.request(frame)["chat"]
    history = customer.request({"type": "chat.resume", "chat_id": chat["chat_id"],
                                "after_seq": 0})
    greeting = next(m for m in history["messages"] if m["sender"]["role"] == "system")
    assert (greeting["lang"], greeting["text"]) == expected
    assert Chat.get(chat["chat_id"]).language == expected[0]


def test_chat_start_refuses_a_language_the_product_does_not_speak(desk):
    reply = desk.customer().request({"type": "chat.start", "consent": True, "language": "fr"})
    assert reply["type"] == "error" and reply["code"] == "bad_request"
    assert "language" in reply["message"]


def test_the_rating_message_is_in_the_chats_language(desk):
    desk.admin.put("/settings", {"rating_message": {"ja": "評価をお願いします。",
                                                    "en": "Please rate us."}})
    api, _ = desk.operator()
    customer = desk.customer()
    chat_id = customer.request({"type": "chat.start", "consent": True,
                                "language": "en"})["chat"]["chat_id"]
    assert api.post(f"/chats/{chat_id}/open")[0] == 200
    assert api.post(f"/chats/{chat_id}/rating-request")[0] == 204
    requested = customer.frames("rating.requested")
    assert requested and (requested[-1]["text"], requested[-1]["lang"]) == (
        "Please rate us.", "en")
    messages = api.get(f"/chats/{chat_id}/messages")[1]["messages"]
    assert (messages[-1]["text"], messages[-1]["lang"]) == ("Please rate us.", "en")
    # Messages people write carry no language of their own.
    assert all("lang" not in m for m in messages if m["sender"]["role"] != "system")


def test_the_console_learns_its_services_zone_and_languages(desk):
    desk.admin.put("/settings", {"timezone": "Asia/Tokyo", "languages": ["ja", "en"]})
    api, _ = desk.operator()
    me = api.get("/me")[1]
    assert (me["timezone"], me["languages"], me["default_language"]) == (
        "Asia/Tokyo", ["ja", "en"], "ja")


def test_an_export_job_of_a_version_before_languages_is_written_in_english(aws):
    from chalicelib.models import ExportJob
    from chalicelib.services import exports

    old = ExportJob(export_id="ex_old", service_id="acme", created_by="op", search={},
                    status="pending", created_at="2026-12-01T00:00:00.000Z")
    assert exports._language(old) == "en"
    assert exports._language(ExportJob(export_id="ex_new", language="ko")) == "ko"


def test_operators_see_the_device_in_parts_for_their_own_words(desk):
    api, _ = desk.operator()
    status, body = desk.public.post(
        f"/widget/{desk.tenant.widget_key}/session", {},
        headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
                               "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
                               "Mobile/15E148 Safari/604.1"})
    assert status == 200
    from tests.api.ws_gateway import connect

    code, customer = connect(desk.client, body["ticket"], ip="203.0.113.9",
                             user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"
                                        " AppleWebKit/605.1.15 (KHTML, like Gecko) "
                                        "Version/17.0 Mobile/15E148 Safari/604.1")
    assert code == 200
    chat_id = customer.request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    chat = api.get(f"/chats/{chat_id}")[1]
    assert chat["customer"]["device"] == "Safari 17 on iOS 17 (mobile)"
    assert chat["customer"]["device_info"] == {"browser": "Safari 17", "os": "iOS 17",
                                               "kind": "mobile"}


# --- history and statistics by local days -------------------------------------------------


def test_history_dates_are_the_services_local_days(desk):
    desk.admin.put("/settings", {"timezone": "Asia/Tokyo"})
    service_id = desk.tenant.service_id
    # Tokyo's 12/06 runs from 12/05 15:00 UTC to 12/06 15:00 UTC.
    make_chat(service_id, 1, datetime(2026, 12, 5, 14, 59, tzinfo=UTC))  # 12/05 23:59 JST
    make_chat(service_id, 2, datetime(2026, 12, 5, 15, 0, tzinfo=UTC))  # 12/06 00:00 JST
    make_chat(service_id, 3, datetime(2026, 12, 6, 14, 59, tzinfo=UTC))  # 12/06 23:59 JST
    make_chat(service_id, 4, datetime(2026, 12, 6, 15, 0, tzinfo=UTC))  # 12/07 00:00 JST
    api, _ = desk.operator()
    found = api.get("/history?from=2026-12-06&to=2026-12-06")[1]["chats"]
    assert sorted(c["chat_id"] for c in found) == [f"ch_{service_id}_000002",
                                                   f"ch_{service_id}_000003"]
    # A time without an offset is local too: Tokyo's midnight.
    found = api.get("/history?from=2026-12-06T00:00:00&to=2026-12-06T00:00:01")
    assert [c["chat_id"] for c in found[1]["chats"]] == [f"ch_{service_id}_000002"]
    # A time with its offset is that moment, whatever the zone.
    found = api.get("/history?from=2026-12-06T00:00:00%2B09:00&to=2026-12-06T00:00:01%2B09:00")
    assert [c["chat_id"] for c in found[1]["chats"]] == [f"ch_{service_id}_000002"]
    # Back on UTC, the same dates are other chats.
    desk.admin.put("/settings", {"timezone": "UTC"})
    found = api.get("/history?from=2026-12-06&to=2026-12-06")[1]["chats"]
    assert sorted(c["chat_id"] for c in found) == [f"ch_{service_id}_000003",
                                                   f"ch_{service_id}_000004"]


def test_statistics_count_by_the_services_local_day(desk):
    desk.admin.put("/settings", {"timezone": "Asia/Tokyo"})
    api, _ = desk.operator()
    chat_id = desk.customer().request({"type": "chat.start", "consent": True})["chat"]["chat_id"]
    created = clock.parse_iso(Chat.get(chat_id).created_at)
    local_day = created.astimezone(TOKYO).date().isoformat()
    report = api.get(f"/stats?from={local_day}&to={local_day}")[1]
    assert (report["chats"], report["timezone"], report["from"]) == (1, "Asia/Tokyo", local_day)
    utc_day = created.date()
    if utc_day.isoformat() != local_day:  # between 15:00 and 24:00 UTC the days differ
        assert api.get(f"/stats?from={utc_day}&to={utc_day}")[1]["chats"] == 0
    day_after = (created.astimezone(TOKYO) + timedelta(days=1)).date().isoformat()
    assert api.get(f"/stats?from={day_after}&to={day_after}")[1]["chats"] == 0
    assert_error(api.get("/stats?from=2026-13-01"), 400)
