"""Properties of the input checks and parsers (hypothesis): whatever arrives, a
check either returns a value that keeps its documented constraints or raises
InvalidInput naming the field, never any other exception; signed things (history
cursors, visitor tokens, identity hashes) round-trip, and a tampered one never
means something else. The frame allowance keeps API.md's promise to normal
clients and stops floods."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chalicelib import auth, realtime, validate
from chalicelib.errors import InvalidInput, NotAuthenticated
from chalicelib.models import Connection, Service
from chalicelib.services import history
from chalicelib.services import settings as service_settings

# Repeatable in CI: fixed examples (derandomize), no example database, no deadline
# (shared CI machines stall), few enough examples that the file runs in seconds.
# Applied per test, not loaded globally, so other hypothesis suites keep theirs.
settings.register_profile(
    "validators-ci",
    deadline=None,
    max_examples=60,
    derandomize=True,
    database=None,
    # monkeypatch only sets the same environment for every example.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
CI = settings.get_profile("validators-ci")

FIELD = "field_x"
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6,
)
# Text as hostile clients send it: any code point, lone surrogates included.
any_text = st.text(st.characters(exclude_categories=()), max_size=40) | st.sampled_from(
    ["", " ", "\x00", "\ud800", "a\udfffb", "\u202e", "\u200b", "😀", "e\u0301", "\n", "\r\n",
     "<script>", "' OR 1=1 --", "http://[", "https://a.com:99999", "https://user@a.com"])
hostile = json_values | any_text


def _refused_for(field: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """The check's value, or None when it raised InvalidInput naming `field`."""
    try:
        return call(*args, **kwargs)
    except InvalidInput as error:
        assert error.field == field, error.field
        assert error.code in ("bad_request", "too_large")
        assert field in error.message
        return None


def _no_lone_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- chalicelib/validate.py -----------------------------------------------------------


@CI
@given(value=hostile, max_len=st.integers(1, 50), single_line=st.booleans(),
       allow_empty=st.booleans(), required=st.booleans())
def test_text_returns_clean_text_or_refuses_the_field(value, max_len, single_line, allow_empty,
                                                      required):
    body = {FIELD: value}
    got = _refused_for(FIELD, validate.text, body, FIELD, max_len=max_len, required=required,
                       single_line=single_line, allow_empty=allow_empty)
    if value is None:
        assert got is None
        return
    if got is None:
        return
    assert isinstance(value, str) and isinstance(got, str)
    assert len(got) <= max_len and (got or allow_empty)
    assert _no_lone_surrogates(got)
    assert not any(ord(c) < 32 and c not in "\n\r\t" for c in got)
    if single_line:
        assert got == value.strip() and "\n" not in got and "\r" not in got
    else:
        assert got == value  # kept exactly as sent


@CI
@given(value=st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30))
def test_any_printable_text_is_kept_verbatim(value):
    assert validate.text({FIELD: value}, FIELD, max_len=30) == value


@CI
@given(value=hostile, required=st.booleans())
def test_boolean_is_a_bool_or_refused(value, required):
    got = _refused_for(FIELD, validate.boolean, {FIELD: value}, FIELD, required=required)
    assert got is value if isinstance(value, bool) else got is None


@CI
@given(value=hostile | st.integers(-(10**30), 10**30), low=st.integers(-100, 100),
       span=st.integers(0, 1000), required=st.booleans())
def test_integer_is_an_int_in_range_or_refused(value, low, span, required):
    high = low + span
    got = _refused_for(FIELD, validate.integer, {FIELD: value}, FIELD, low=low, high=high,
                       required=required)
    if got is not None:
        assert type(got) is int and low <= got <= high and got == value


@CI
@given(value=hostile, options=st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=4))
def test_choice_is_one_of_the_options_or_refused(value, options):
    got = _refused_for(FIELD, validate.choice, {FIELD: value}, FIELD, options, required=True)
    assert got is None or got in options


@CI
@given(value=hostile)
def test_email_is_lower_case_and_well_formed_or_refused(value):
    got = _refused_for("email", validate.email, {"email": value}, required=False)
    if got is not None:
        assert got == got.lower() == value.strip().lower()
        local, _, domain = got.partition("@")
        assert local and "." in domain and len(got) <= 254
        assert not any(c.isspace() or c in "<>\"'" for c in got)


@CI
@given(local=st.text(string.ascii_letters + string.digits + "._+-", min_size=1, max_size=20),
       host=st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=20),
       tld=st.text(string.ascii_lowercase, min_size=2, max_size=6))
def test_ordinary_addresses_are_accepted(local, host, tld):
    address = f"{local}@{host}.{tld}"
    assert validate.email({"email": address}) == address.lower()


urlish = any_text | st.builds(
    lambda scheme, rest: f"{scheme}://{rest}",
    st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]), any_text)


@CI
@given(value=urlish | json_values)
def test_http_url_is_an_http_url_or_refused(value):
    from urllib.parse import urlsplit

    got = _refused_for(FIELD, validate.http_url, value, FIELD)
    if got is not None:
        parts = urlsplit(got)
        assert got == value and parts.scheme in ("http", "https") and parts.hostname
        assert parts.port != 0  # reading the port does not raise either
        assert _no_lone_surrogates(got)


@CI
@given(value=urlish | json_values)
def test_origin_is_a_bare_lower_case_origin_or_refused(value):
    from urllib.parse import urlsplit

    got = _refused_for(FIELD, validate.origin, value, FIELD)
    if got is not None:
        parts = urlsplit(got)
        assert got == got.lower() and parts.path == "" and not parts.query
        assert not parts.username and not parts.fragment
        assert validate.origin(got, FIELD) == got  # idempotent


@CI
@given(value=hostile)
def test_id_string_is_a_short_non_empty_string_or_refused(value):
    got = _refused_for(FIELD, validate.id_string, value, FIELD)
    assert got is None or (got == value and 1 <= len(got) <= 100)


@CI
@given(body=st.dictionaries(st.text(max_size=6), json_scalars, max_size=5),
       allowed=st.lists(st.text(max_size=6), max_size=4))
def test_only_fields_names_the_first_unknown_field(body, allowed):
    unknown = sorted(set(body) - set(allowed))
    try:
        validate.only_fields(body, allowed)
    except InvalidInput as error:
        assert unknown and error.field == unknown[0]
    else:
        assert not unknown


@CI
@given(value=hostile)
def test_body_object_accepts_only_objects(value):
    try:
        got = validate.body_object(value)
    except InvalidInput as error:
        assert error.field == "body" and not isinstance(value, dict)
    else:
        assert got is value and isinstance(value, dict)


# --- origin matching (services/settings.py) ----------------------------------------------

hosts = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){1,2}", fullmatch=True)


@CI
@given(host=hosts, scheme=st.sampled_from(["http", "https"]),
       suffix=st.sampled_from([".evil.com", "evil", "@evil.com", ":8443", "/path", ".",
                               "%2f", "\x00", "\u200b", " ", "#x", "?x"]),
       prefix=st.sampled_from(["", "x", "evil.", "user@", "user:pw@"]))
def test_only_a_listed_origin_is_admitted(monkeypatch, host, scheme, suffix, prefix):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://widget.example.net")
    allowed = f"{scheme}://{host}"
    service = Service(service_id="s", settings={"allowed_origins": [allowed]})
    assert service_settings.origin_allowed(service, allowed, frame_ok=False)
    assert service_settings.origin_allowed(service, allowed.upper() + "/", frame_ok=False)
    look_alike = f"{scheme}://{prefix}{host}{suffix}"
    assume(look_alike.rstrip("/").lower() != allowed)
    assert not service_settings.origin_allowed(service, look_alike, frame_ok=False)
    assert not service_settings.origin_allowed(service, look_alike)
    other_scheme = ("http" if scheme == "https" else "https") + f"://{host}"
    assert not service_settings.origin_allowed(service, other_scheme)
    assert not service_settings.origin_allowed(service, "null")
    assert not service_settings.origin_allowed(service, None)


@CI
@given(origin=st.none() | any_text)
def test_an_empty_allow_list_admits_any_origin(origin):
    service = Service(service_id="s", settings={"allowed_origins": []})
    assert service_settings.origin_allowed(service, origin, frame_ok=False)


# --- history cursors and filters (services/history.py) -----------------------------------

filters = st.builds(
    history.HistoryFilter,
    start=st.just("2026-01-01T00:00:00.000Z"),
    end=st.just("2026-02-01T00:00:00.000Z"),
    status=st.none() | st.sampled_from(history.STATUSES),
    operator_id=st.none() | st.text(max_size=10),
    q=st.none() | st.text(max_size=10),
    rating=st.none() | st.integers(1, 5),
)
last_keys = st.dictionaries(
    st.text(min_size=1, max_size=12),
    st.dictionaries(st.sampled_from(["S", "N"]), st.text(max_size=30), min_size=1, max_size=1),
    min_size=1, max_size=4)


@CI
@given(key=last_keys, search=filters)
def test_a_cursor_round_trips_for_its_own_search_only(key, search):
    cursor = history.encode_cursor(key, search)
    assert history.decode_cursor(cursor, search) == key
    other = history.HistoryFilter(search.start, search.end, status=search.status,
                                  operator_id=(search.operator_id or "") + "x")
    with pytest.raises(InvalidInput) as refused:
        history.decode_cursor(cursor, other)
    assert refused.value.field == "cursor"


@CI
@given(key=last_keys, search=filters, data=st.data())
def test_a_tampered_cursor_never_names_another_position(key, search, data):
    cursor = history.encode_cursor(key, search)
    at = data.draw(st.integers(0, len(cursor) - 1))
    replacement = data.draw(st.sampled_from(string.ascii_letters + string.digits + "-_.="))
    tampered = cursor[:at] + replacement + cursor[at + 1:]
    assume(tampered != cursor)
    got = _refused_for("cursor", history.decode_cursor, tampered, search)
    assert got is None or got == key  # base64's spare bits may change and mean the same


@CI
@given(cursor=st.text(string.printable, max_size=80))
def test_any_ascii_text_as_a_cursor_is_refused_cleanly(cursor):
    search = history.HistoryFilter("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z")
    assert _refused_for("cursor", history.decode_cursor, cursor, search) is None


@CI
@given(cursor=any_text)
def test_any_unicode_text_as_a_cursor_is_refused_cleanly(cursor):
    """hmac.compare_digest refuses non-ASCII text with TypeError: still a 400."""
    search = history.HistoryFilter("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z")
    assert _refused_for("cursor", history.decode_cursor, cursor + ".é", search) is None


query_params = st.dictionaries(
    st.sampled_from(["from", "to", "status", "operator_id", "category_id", "channel", "q",
                     "rating"]),
    st.text(max_size=30) | st.sampled_from(["2026-01-05", "2026-13-01", "2026-01-05T10:00:00Z",
                                            "0", "5", "-1", "1e3", "NaN", "processed"]),
    max_size=5)


@CI
@given(params=query_params)
def test_history_query_strings_parse_or_name_the_bad_field(params):
    now = datetime(2026, 3, 1, tzinfo=UTC)
    try:
        search = history.parse_filter(params, now)
    except InvalidInput as error:
        assert error.field in (*params, "from")
        return
    assert search.start < search.end
    assert search.status in (None, *history.STATUSES)
    assert search.rating in (None, 1, 2, 3, 4, 5)


@CI
@given(value=st.none() | st.text(max_size=12))
def test_a_limit_is_1_to_200_or_refused(value):
    got = _refused_for("limit", history.parse_limit, value)
    assert got is None or 1 <= got <= history.MAX_LIMIT


@CI
@given(body=st.dictionaries(st.sampled_from(["from", "to", "status", "q", "rating"]),
                            json_values, max_size=4))
def test_an_export_body_parses_or_names_the_bad_field(body):
    """An export's filters come as JSON: any type, 1e309 (infinity), NaN, nesting."""
    now = datetime(2026, 3, 1, tzinfo=UTC)
    try:
        search = history.parse_filter(body, now)
    except InvalidInput as error:
        assert error.field in (*body, "from")
        return
    assert search.start < search.end and search.rating in (None, 1, 2, 3, 4, 5)


def test_an_infinite_or_nan_rating_is_a_bad_rating():
    for rating in (float("inf"), float("-inf"), float("nan"), 1e309):
        assert _refused_for("rating", history.parse_filter, {"rating": rating}) is None


# --- credentials (auth.py) ----------------------------------------------------------------

secrets_ = st.text(string.ascii_letters + string.digits, min_size=8, max_size=64)


@CI
@given(secret=secrets_, user_id=st.text(min_size=1, max_size=40).filter(_no_lone_surrogates))
def test_an_identity_hash_verifies_in_any_case_and_only_for_its_user(secret, user_id):
    good = auth.identity_hash(secret, user_id)
    assert auth.identity_hash_ok(secret, user_id, good)
    assert auth.identity_hash_ok(secret, user_id, f" {good.upper()} ")
    assert not auth.identity_hash_ok(secret, user_id + "x", good)
    assert not auth.identity_hash_ok(secret + "x", user_id, good)


@CI
@given(secret=secrets_, user_id=any_text, given_hash=any_text | st.text("0123456789abcdef",
                                                                           min_size=64,
                                                                           max_size=64))
def test_a_forged_identity_hash_is_just_wrong_never_a_crash(secret, user_id, given_hash):
    assume(user_id)
    result = auth.identity_hash_ok(secret, user_id, given_hash)
    assert result is (_no_lone_surrogates(user_id)
                      and given_hash.strip().lower() == auth.identity_hash(secret, user_id))


@CI
@given(service_id=st.text(min_size=1, max_size=20), customer_id=st.text(min_size=1, max_size=40))
def test_a_visitor_token_round_trips_for_its_service_only(service_id, customer_id):
    assume(_no_lone_surrogates(service_id + customer_id))
    token = auth.issue_visitor_token(service_id, customer_id, 3)
    assert auth.verify_visitor_token(token, service_id) == auth.VisitorClaims(customer_id, 3)
    assert auth.verify_visitor_token(token, service_id + "x") is None


@CI
@given(data=st.data())
def test_a_tampered_visitor_token_never_names_another_customer(data):
    token = auth.issue_visitor_token("acme", "cu_real")
    at = data.draw(st.integers(0, len(token) - 1))
    tampered = token[:at] + data.draw(st.sampled_from("AbZz09-_.")) + token[at + 1:]
    named = auth.verify_visitor_token(tampered, "acme")
    assert named is None or named == auth.VisitorClaims("cu_real", 0)


@CI
@given(token=any_text | st.text(string.ascii_letters + string.digits + "-_.", max_size=200))
def test_any_text_as_a_token_is_refused_cleanly(token):
    assert auth.verify_visitor_token(token, "acme") is None
    with pytest.raises(NotAuthenticated):
        auth.verify_operator_token(token)  # refused on its signature, before any lookup


@CI
@given(ticket=st.none() | any_text | st.integers())
def test_a_malformed_ticket_is_refused_before_any_lookup(ticket):
    assume(not isinstance(ticket, str) or not ticket or len(ticket) > 200)
    with pytest.raises(NotAuthenticated):
        auth.consume_ticket(ticket)


# --- the frame allowance (realtime.py) ----------------------------------------------------


def _run(times_ms: list[int]) -> list[bool]:
    """Frames at the given times (ms) on one connection: which were allowed."""
    connection = Connection(connection_id="c1", service_id="s", role="customer",
                            subject_id="cu", connected_at="2026-01-01T00:00:00Z")
    allowed = []
    for at in times_ms:
        allowance = realtime.allowance(connection, 1_800_000_000 + at / 1000)
        if allowance.allowed:
            connection.rate_tat = allowance.next_tat
        else:
            assert allowance.retry_after_s >= 1
        allowed.append(allowance.allowed)
    return allowed


@CI
@given(gaps=st.lists(st.integers(0, 5_000), min_size=1, max_size=150))
def test_a_client_within_60_frames_a_minute_is_never_limited(gaps):
    times: list[int] = []
    for gap in gaps:
        at = (times[-1] if times else 0) + gap
        if len(times) >= realtime.FRAME_BURST:
            at = max(at, times[-realtime.FRAME_BURST] + 60_000)  # at most 60 in any minute
        times.append(at)
    assert all(_run(times))


@CI
@given(extra=st.integers(1, 200), start=st.integers(0, 10**6))
def test_a_flood_gets_exactly_the_burst_then_is_limited(extra, start):
    allowed = _run([start] * (realtime.FRAME_BURST + extra))
    assert allowed == [True] * realtime.FRAME_BURST + [False] * extra


@CI
@given(start=st.integers(0, 10**6))
def test_waiting_the_retry_after_lets_the_next_frame_through(start):
    connection = Connection(connection_id="c1", service_id="s", role="customer",
                            subject_id="cu", connected_at="2026-01-01T00:00:00Z")
    now = 1_800_000_000 + start / 1000
    for _ in range(realtime.FRAME_BURST):
        connection.rate_tat = realtime.allowance(connection, now).next_tat
    refused = realtime.allowance(connection, now)
    assert not refused.allowed
    assert realtime.allowance(connection, now + refused.retry_after_s).allowed


@CI
@given(value=hostile)
def test_the_frame_parser_answers_every_value_with_a_frame_or_a_clean_error(value):
    import json

    from chalicelib.api import ws

    raw = json.dumps(value)
    frame, problem = ws._parse(raw)
    if problem is None:
        assert isinstance(frame, dict) and isinstance(frame.get("type"), str)
    else:
        assert problem.code in ("bad_request", "too_large")
