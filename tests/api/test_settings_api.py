"""Settings (R-SET-1…5, R-SET-7): read, validated update, snippet, identity secret."""

import pytest

from chalicelib.services import settings as settings_service
from tests.api.helpers import assert_error, login

SETTINGS_FIELDS = {
    "chat_enabled", "greeting", "rating_message", "sticky_assignment", "inquiry_form_url",
    "max_chats_per_operator", "languages", "default_language", "allowed_origins",
    "unopened_timeout_s",
}


@pytest.fixture
def admin(client, tenant):
    return login(client, tenant.service_id, tenant.admin_email)


@pytest.fixture
def operator(client, admin, tenant):
    admin.post("/operators", {"email": "op@acme.test", "name": "Op",
                              "password": "operator-password-1", "role": "operator"})
    return login(client, tenant.service_id, "op@acme.test", "operator-password-1")


def test_settings_have_every_field_with_defaults(admin):
    status, body = admin.get("/settings")
    assert status == 200
    assert set(body) >= SETTINGS_FIELDS
    assert body["chat_enabled"] is True and body["max_chats_per_operator"] == 5


def test_put_changes_only_the_fields_given(admin):
    status, body = admin.put("/settings", {"greeting": "Welcome!", "sticky_assignment": False})
    assert status == 200
    assert body["greeting"] == "Welcome!" and body["sticky_assignment"] is False
    status, again = admin.get("/settings")
    assert again == body
    assert again["rating_message"] == settings_service.defaults()["rating_message"]


def test_put_accepts_every_field(admin):
    change = {
        "chat_enabled": False, "greeting": "Hi", "rating_message": "Rate us",
        "sticky_assignment": False, "inquiry_form_url": "https://acme.test/contact",
        "max_chats_per_operator": 8, "languages": ["en", "ko"], "default_language": "en",
        "allowed_origins": ["https://shop.acme.test", "http://localhost:3000"],
        "unopened_timeout_s": 300,
    }
    status, body = admin.put("/settings", change)
    assert status == 200
    assert {k: body[k] for k in change} == {
        **change, "allowed_origins": ["http://localhost:3000", "https://shop.acme.test"]
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("chat_enabled", "yes"),
        ("greeting", ""),
        ("greeting", "x" * 2001),
        ("greeting", 42),
        ("rating_message", None),
        ("sticky_assignment", 1),
        ("inquiry_form_url", "javascript:alert(1)"),
        ("inquiry_form_url", "not a url"),
        ("max_chats_per_operator", 0),
        ("max_chats_per_operator", 51),
        ("max_chats_per_operator", 2.5),
        ("max_chats_per_operator", True),
        ("languages", []),
        ("languages", ["fr"]),
        ("languages", ["en", "en"]),
        ("languages", "en"),
        ("default_language", "fr"),
        ("allowed_origins", "https://a.test"),
        ("allowed_origins", ["https://a.test/path"]),
        ("allowed_origins", ["ftp://a.test"]),
        ("unopened_timeout_s", 5),
        ("unopened_timeout_s", "60"),
        ("no_such_setting", 1),
    ],
)
def test_bad_setting_is_400_naming_the_field_and_changes_nothing(admin, field, value):
    before = admin.get("/settings")[1]
    body = assert_error(admin.put("/settings", {"greeting": "changed?", field: value}), 400)
    assert field in body["message"]
    assert admin.get("/settings")[1] == before


def test_default_language_must_be_one_of_the_languages(admin):
    body = assert_error(admin.put("/settings", {"languages": ["en"], "default_language": "ja"}),
                        400)
    assert "default_language" in body["message"]
    assert admin.put("/settings", {"languages": ["en"], "default_language": "en"})[0] == 200


def test_changing_consent_text_bumps_its_version(admin):
    version = admin.get("/settings")[1]["consent_version"]
    body = admin.put("/settings", {"consent_text": "We store your name. Agree?"})[1]
    assert body["consent_version"] == version + 1
    body = admin.put("/settings", {"consent_text": "We store your name. Agree?"})[1]
    assert body["consent_version"] == version + 1


def test_settings_body_must_be_an_object(admin):
    assert_error(admin.put("/settings", "[]"), 400)
    assert_error(admin.put("/settings", "nope"), 400)


def test_widget_snippet_is_a_script_tag_with_the_key(admin, tenant):
    status, body = admin.get("/settings/widget-snippet")
    assert status == 200
    snippet = body["snippet"]
    assert snippet.startswith("<script") and snippet.endswith("</script>")
    assert f'data-widget-key="{tenant.widget_key}"' in snippet
    assert "/widget/loader.js" in snippet


def test_identity_secret_rotates(admin, aws, tenant):
    from chalicelib.models import Service

    before = Service.get(tenant.service_id).identity_secret
    status, body = admin.post("/settings/identity-secret")
    assert status == 200
    assert body["identity_secret"] != before
    assert Service.get(tenant.service_id).identity_secret == body["identity_secret"]
    assert len(body["identity_secret"]) >= 32


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/settings"),
        ("PUT", "/settings"),
        ("GET", "/settings/widget-snippet"),
        ("POST", "/settings/identity-secret"),
        ("POST", "/categories"),
        ("PUT", "/categories/cat_x"),
        ("DELETE", "/categories/cat_x"),
        ("GET", "/operators"),
        ("POST", "/operators"),
        ("PUT", "/operators/op_x"),
        ("DELETE", "/operators/op_x"),
    ],
)
def test_operator_gets_403_on_admin_routes(operator, method, path):
    assert_error(operator.call(method, path, {}), 403, "admin_only")


@pytest.mark.parametrize("path", ["/settings", "/operators", "/categories"])
def test_admin_routes_need_a_token(client, tenant, path):
    from tests.api.helpers import Api

    assert_error(Api(client).get(path), 401)
