"""Canned responses (R-CAN-1; API.md "Canned responses"): the service's set,
which admins manage, and each operator's own; shortcuts unique in a set as they
fold (width, case, kana); a search as wide; three variables and nothing else;
nothing stored after a refusal; nothing seen or touched across services."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from chalicelib import textfold, token_keys
from chalicelib.models import CannedResponse, Token
from chalicelib.services import canned
from chalicelib.services.access import Actor
from tests.api.helpers import Api, assert_error, login
from tests.conftest import OPERATOR_PASSWORD, make_tenant

PATH = "/canned-responses"


@pytest.fixture
def admin(client, tenant):
    return login(client, tenant.service_id, tenant.admin_email)


def _sign_in_operator(client, admin, tenant, name):
    email = f"{name.lower()}@{tenant.service_id}.test"
    status, body = admin.post("/operators", {"email": email, "name": name,
                                             "password": OPERATOR_PASSWORD, "role": "operator"})
    assert status == 201, body
    api = login(client, tenant.service_id, email, OPERATOR_PASSWORD)
    api.operator_id = body["operator_id"]
    return api


@pytest.fixture
def olive(client, admin, tenant):
    return _sign_in_operator(client, admin, tenant, "Olive")


@pytest.fixture
def pablo(client, admin, tenant):
    return _sign_in_operator(client, admin, tenant, "Pablo")


def _body(scope="service", shortcut="thanks", title="Thanks", text="Thank you!", **extra):
    return {"scope": scope, "shortcut": shortcut, "title": title, "text": text, **extra}


def _create(api, **fields):
    status, body = api.post(PATH, _body(**fields))
    assert status == 201, body
    return body


def _listed(api, q=None):
    path = PATH if q is None else f"{PATH}?q={quote(q)}"
    status, body = api.get(path)
    assert status == 200, body
    return body["canned_responses"]


def _shortcuts(api, q=None):
    return [c["shortcut"] for c in _listed(api, q)]


def _stored(service_id):
    return sorted((c.canned_id, c.shortcut, c.title, c.text)
                  for c in CannedResponse.query(service_id))


def _count(service_id, set_name):
    try:
        return int(Token.get(token_keys.canned_count(service_id, set_name)).failures)
    except Token.DoesNotExist:
        return 0


def _guard(service_id, set_name, shortcut):
    key = token_keys.canned_shortcut(service_id, set_name, textfold.fold(shortcut))
    try:
        return Token.get(key).payload["canned_id"]
    except Token.DoesNotExist:
        return None


# --- create, list, update, delete ----------------------------------------------------


def test_an_admin_writes_the_service_set_and_every_operator_reads_it(admin, olive):
    created = _create(admin, shortcut="hello", title="Hello",
                      text="Hello {{customer.name}}, I am {{ operator.name }}.")
    assert created == {
        "canned_id": created["canned_id"], "scope": "service", "shortcut": "hello",
        "title": "Hello", "text": "Hello {{customer.name}}, I am {{ operator.name }}.",
        "owner_id": None, "created_at": created["created_at"],
        "updated_at": created["created_at"],
    }
    assert created["canned_id"].startswith("s.")
    assert _listed(olive) == [created]
    assert _listed(admin) == [created]


def test_an_operator_keeps_a_personal_set_only_they_see(admin, olive, pablo):
    mine = _create(olive, scope="personal", shortcut="bye", title="Bye", text="Bye!")
    assert (mine["scope"], mine["owner_id"]) == ("personal", olive.operator_id)
    assert mine["canned_id"].startswith(f"p.{olive.operator_id}.")
    assert _listed(olive) == [mine]
    assert _listed(pablo) == []
    assert _listed(admin) == []


def test_the_list_holds_both_sets_sorted_by_folded_shortcut(admin, olive):
    for shortcut in ("zebra", "Apple", "ｍｉｄｄｌｅ"):  # noqa: RUF001 (full width on purpose)
        _create(admin, shortcut=shortcut)
    _create(olive, scope="personal", shortcut="banana")
    assert _shortcuts(olive) == ["Apple", "banana", "ｍｉｄｄｌｅ", "zebra"]  # noqa: RUF001


def test_a_change_sets_only_the_fields_given(admin):
    created = _create(admin, shortcut="hours", title="Hours", text="9 to 5")
    status, changed = admin.put(f"{PATH}/{created['canned_id']}", {"title": "Opening hours"})
    assert status == 200, changed
    assert changed == {**created, "title": "Opening hours", "updated_at": changed["updated_at"]}
    status, changed = admin.put(f"{PATH}/{created['canned_id']}",
                                {"text": "{{service.name}}: 10 to 6", "shortcut": "open"})
    assert status == 200, changed
    assert (changed["shortcut"], changed["title"], changed["text"]) == (
        "open", "Opening hours", "{{service.name}}: 10 to 6")
    assert _listed(admin) == [changed]


def test_an_empty_change_changes_nothing(admin):
    created = _create(admin)
    assert admin.put(f"{PATH}/{created['canned_id']}", {}) == (200, created)


def test_deleting_removes_it(admin, olive, tenant):
    kept = _create(olive, scope="personal", shortcut="kept")
    gone = _create(olive, scope="personal", shortcut="gone")
    assert olive.delete(f"{PATH}/{gone['canned_id']}") == (204, None)
    assert _listed(olive) == [kept]
    assert_error(olive.delete(f"{PATH}/{gone['canned_id']}"), 404, "not_found")
    assert_error(olive.put(f"{PATH}/{gone['canned_id']}", {"title": "back"}), 404, "not_found")
    assert _count(tenant.service_id, f"p.{olive.operator_id}") == 1


# --- who writes what -------------------------------------------------------------------


def test_only_admins_write_the_service_set(admin, olive, tenant):
    assert_error(olive.post(PATH, _body(scope="service")), 403, "forbidden")
    theirs = _create(admin, shortcut="policy", title="Policy", text="Our policy")
    before = _stored(tenant.service_id)
    assert_error(olive.put(f"{PATH}/{theirs['canned_id']}", {"title": "Mine now"}), 403,
                 "forbidden")
    assert_error(olive.delete(f"{PATH}/{theirs['canned_id']}"), 403, "forbidden")
    assert _stored(tenant.service_id) == before
    assert _count(tenant.service_id, "s") == 1


def test_another_operators_personal_response_is_403_and_unseen(admin, olive, pablo, tenant):
    mine = _create(olive, scope="personal", shortcut="mine", title="Mine", text="Mine")
    before = _stored(tenant.service_id)
    for other in (pablo, admin):
        assert_error(other.put(f"{PATH}/{mine['canned_id']}", {"text": "stolen"}), 403,
                     "forbidden")
        assert_error(other.delete(f"{PATH}/{mine['canned_id']}"), 403, "forbidden")
        assert mine not in _listed(other)
    assert _stored(tenant.service_id) == before
    assert _listed(olive) == [mine]


def test_an_admin_keeps_a_personal_set_too(admin):
    mine = _create(admin, scope="personal", shortcut="sig", title="Signature", text="-- A")
    assert mine["scope"] == "personal"
    assert admin.put(f"{PATH}/{mine['canned_id']}", {"title": "Sig"})[0] == 200


# --- shortcuts -------------------------------------------------------------------------


def test_a_shortcut_is_unique_within_its_set(admin, olive, pablo, tenant):
    _create(admin, shortcut="thanks")
    before = _stored(tenant.service_id)
    assert_error(admin.post(PATH, _body(shortcut="thanks", title="Again")), 409,
                 "duplicate_shortcut")
    assert _stored(tenant.service_id) == before
    assert _count(tenant.service_id, "s") == 1
    # Each set is a set of its own.
    _create(olive, scope="personal", shortcut="thanks")
    _create(pablo, scope="personal", shortcut="thanks")
    assert_error(olive.post(PATH, _body(scope="personal", shortcut="thanks")), 409,
                 "duplicate_shortcut")
    assert _shortcuts(olive) == ["thanks", "thanks"]


@pytest.mark.parametrize(("first", "second"), [
    ("へんぴん", "ﾍﾝﾋﾟﾝ"),
    ("ﾍﾝﾋﾟﾝ", "ヘンピン"),
    ("ヘンピン", "へんぴん"),
    ("henpin", "HenPin"),
    ("henpin", "ｈｅｎｐｉｎ"),  # noqa: RUF001 (full width on purpose)
])
def test_width_case_and_kana_variants_are_one_shortcut(admin, first, second):
    _create(admin, shortcut=first)
    assert_error(admin.post(PATH, _body(shortcut=second)), 409, "duplicate_shortcut")
    assert _shortcuts(admin) == [first]  # stored as given


def test_a_rename_frees_the_old_shortcut_and_takes_the_new(admin, tenant):
    thanks = _create(admin, shortcut="thanks")
    other = _create(admin, shortcut="other")
    renamed = admin.put(f"{PATH}/{thanks['canned_id']}", {"shortcut": "thx"})[1]
    assert renamed["shortcut"] == "thx"
    assert _guard(tenant.service_id, "s", "thanks") is None
    assert _guard(tenant.service_id, "s", "thx") == thanks["canned_id"]
    _create(admin, shortcut="thanks")
    assert_error(admin.put(f"{PATH}/{other['canned_id']}", {"shortcut": "THX", "title": "x"}),
                 409, "duplicate_shortcut")
    assert _shortcuts(admin) == ["other", "thanks", "thx"]
    assert [c["title"] for c in _listed(admin) if c["shortcut"] == "other"] == ["Thanks"]


def test_a_rename_to_another_form_of_its_own_shortcut_is_allowed(admin, tenant):
    created = _create(admin, shortcut="ﾍﾝﾋﾟﾝ")
    status, renamed = admin.put(f"{PATH}/{created['canned_id']}", {"shortcut": "へんぴん"})
    assert status == 200, renamed
    assert renamed["shortcut"] == "へんぴん"
    assert _guard(tenant.service_id, "s", "へんぴん") == created["canned_id"]


def test_deleting_frees_the_shortcut(olive, tenant):
    created = _create(olive, scope="personal", shortcut="bye")
    assert olive.delete(f"{PATH}/{created['canned_id']}")[0] == 204
    assert _guard(tenant.service_id, f"p.{olive.operator_id}", "bye") is None
    assert _create(olive, scope="personal", shortcut="BYE")["shortcut"] == "BYE"


# --- search --------------------------------------------------------------------------


def test_q_is_width_and_kana_insensitive_over_shortcut_title_and_text(admin, olive):
    by_shortcut = _create(admin, shortcut="へんぴん", title="Returns", text="How to return")
    by_title = _create(admin, shortcut="r2", title="ヘンピン受付", text="Send it back")
    by_text = _create(olive, scope="personal", shortcut="r3", title="Refunds",
                      text="返品 (へんぴん) は7日以内です")
    _create(admin, shortcut="hello", title="返品について", text="Hello")  # kanji only
    for query in ("ﾍﾝﾋﾟﾝ", "へんぴん", "ヘンピン"):
        found = {c["canned_id"] for c in _listed(olive, query)}
        assert found == {by_shortcut["canned_id"], by_title["canned_id"], by_text["canned_id"]}
    assert _shortcuts(olive, "RETURN") == ["へんぴん"]
    assert _shortcuts(olive, "返品") == ["hello", "r3"]
    assert len(_listed(olive, "   ")) == 4  # a blank q filters nothing


def test_q_never_reaches_another_operators_set(olive, pablo):
    _create(olive, scope="personal", shortcut="secret", text="Olive's own")
    assert _listed(pablo, "secret") == []


def test_q_longer_than_100_is_400(olive):
    assert _listed(olive, "a" * 100) == []
    body = assert_error(olive.get(f"{PATH}?q={'a' * 101}"), 400, "bad_request")
    assert "q" in body["message"]


# --- input checks ----------------------------------------------------------------------


BAD_FIELDS = [
    ("scope", "team"), ("scope", None), ("scope", ["service"]),
    ("shortcut", ""), ("shortcut", "x" * 33), ("shortcut", "two words"), ("shortcut", "a\tb"),
    ("shortcut", "a\u3000b"), ("shortcut", "a\u00a0b"), ("shortcut", "a\x00b"),
    ("shortcut", "a\u200bb"), ("shortcut", "\ufeffa"), ("shortcut", "\u202eabc"),
    ("shortcut", 5), ("shortcut", None), ("shortcut", "\ud800"),
    ("title", ""), ("title", "   "), ("title", "t" * 101), ("title", "a\nb"), ("title", 7),
    ("text", ""), ("text", " \n "), ("text", "x" * 5001), ("text", "a\x07b"), ("text", ["x"]),
    ("text", "{{<script>alert(1)</script>}}"), ("text", "{{constructor}}"),
    ("text", "{{customer.email}}"), ("text", "Hi {{customer.name}} {{__proto__}}"),
    ("text", "{{ customer.name"), ("text", "{{{customer.name}}}"),
    ("text", "{{customer.name\n}}"), ("text", "{{Customer.Name}}"),
    ("text", "{{customer.name\u200b}}"), ("text", "{{}}"),
]


def test_a_bad_field_is_400_naming_it_and_stores_nothing(admin, tenant):
    for field, value in BAD_FIELDS:
        body = assert_error(admin.post(PATH, _body(**{field: value})), 400, "bad_request")
        assert body["message"].startswith(f"{field}:"), (value, body)
    assert _stored(tenant.service_id) == []
    assert _count(tenant.service_id, "s") == 0
    created = _create(admin, shortcut="keep", title="Keep", text="Keep")
    for field, value in BAD_FIELDS:
        if field != "scope":
            body = assert_error(admin.put(f"{PATH}/{created['canned_id']}", {field: value}), 400)
            assert body["message"].startswith(f"{field}:"), (value, body)
    assert _listed(admin) == [created]
    assert _guard(tenant.service_id, "s", "keep") == created["canned_id"]


def test_a_missing_field_is_400(admin, tenant):
    for field in ("scope", "shortcut", "title", "text"):
        body = _body()
        del body[field]
        assert assert_error(admin.post(PATH, body), 400)["message"].startswith(f"{field}:")
    assert _stored(tenant.service_id) == []


def test_unknown_fields_are_400(admin, tenant):
    assert_error(admin.post(PATH, _body(owner_id="op_x")), 400, "bad_request")
    created = _create(admin)
    for extra in ({"scope": "personal"}, {"owner_id": "op_x"}, {"canned_id": "s.x"},
                  {"title": "ok", "version": 9}):
        body = assert_error(admin.put(f"{PATH}/{created['canned_id']}", extra), 400)
        assert "is not a known field" in body["message"]
    assert _listed(admin) == [created]


def test_a_body_that_is_no_object_is_400(admin, tenant):
    for body in (None, [], "text", 3):
        assert_error(admin.post(PATH, json.dumps(body)), 400, "bad_request")
    assert _stored(tenant.service_id) == []


def test_the_three_variables_with_or_without_spaces_and_the_longest_fields_pass(admin):
    text = "{{customer.name}} {{ operator.name }} {{\tservice.name\t}} {x} }} {"
    created = _create(admin, shortcut="ｓ" * 32, title="t" * 100,  # noqa: RUF001
                      text=text.ljust(5000, "y"))
    assert len(created["text"]) == 5000
    assert created["text"].startswith("{{customer.name}} {{ operator.name }}")


# --- caps -------------------------------------------------------------------------------


def test_a_personal_set_holds_200(olive, tenant):
    actor = Actor(tenant.service_id, "operator", olive.operator_id)
    for n in range(199):
        canned.create(actor, canned.NewCanned("personal", f"c{n}", "t", "x"))
    last = _create(olive, scope="personal", shortcut="c199")
    body = assert_error(olive.post(PATH, _body(scope="personal", shortcut="one-more")), 409,
                        "too_many")
    assert "200" in body["message"]
    assert len(_listed(olive)) == 200
    assert olive.delete(f"{PATH}/{last['canned_id']}")[0] == 204
    _create(olive, scope="personal", shortcut="one-more")
    # The service's set is counted apart.
    assert _count(tenant.service_id, "s") == 0


def test_the_service_set_holds_500(admin, tenant):
    # The set's count as 499 responses leave it (creating 499 would be slow here).
    Token(token_key=token_keys.canned_count(tenant.service_id, "s"), failures=499).save()
    last = _create(admin, shortcut="five-hundred")
    assert_error(admin.post(PATH, _body(shortcut="501")), 409, "too_many")
    assert [c["shortcut"] for c in _listed(admin)] == ["five-hundred"]
    assert _guard(tenant.service_id, "s", "501") is None
    admin.delete(f"{PATH}/{last['canned_id']}")
    assert _count(tenant.service_id, "s") == 499
    _create(admin, shortcut="501")


# --- ids and services -----------------------------------------------------------------


def test_a_malformed_or_unknown_id_is_404(admin):
    for canned_id in ("nope", "s.", "p..x", "s.a.b", "x.abc", "s.%00", "s.unknown0000000",
                      "p.op_nobody.unknown", "s" * 150):
        assert_error(admin.put(f"{PATH}/{canned_id}", {"title": "x"}), 404, "not_found")
        assert_error(admin.delete(f"{PATH}/{canned_id}"), 404, "not_found")


def test_another_service_neither_sees_nor_touches_them(client, admin, olive, tenant):
    ours = _create(admin, shortcut="ours")
    personal = _create(olive, scope="personal", shortcut="mine")
    other = make_tenant("globex")
    theirs = login(client, other.service_id, other.admin_email)
    assert _listed(theirs) == []
    assert _listed(theirs, "ours") == []
    before = _stored(tenant.service_id)
    for created in (ours, personal):
        path = f"{PATH}/{created['canned_id']}"
        assert_error(theirs.put(path, {"title": "stolen"}), 404, "not_found")
        assert_error(theirs.delete(path), 404, "not_found")
    assert _stored(tenant.service_id) == before
    # The same shortcut is free in their own set.
    assert _create(theirs, shortcut="ours")["shortcut"] == "ours"
    assert _listed(admin) == [ours]


def test_signing_in_is_needed(client):
    assert_error(Api(client).get(PATH), 401)
    assert_error(Api(client).post(PATH, _body()), 401)
