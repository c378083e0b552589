"""Nothing of one service is visible to another (R-TEN-1)."""

import pytest

from tests.api.helpers import Api, assert_error, login
from tests.conftest import ADMIN_PASSWORD, make_tenant


@pytest.fixture
def two_services(client, tenant):
    other = make_tenant("globex")
    a = login(client, tenant.service_id, tenant.admin_email)
    b = login(client, other.service_id, other.admin_email)
    return tenant, a, other, b


def test_admin_of_b_gets_404_for_every_id_of_a(two_services):
    tenant_a, a, _tenant_b, b = two_services
    category = a.post("/categories", {"name": "A only"})[1]
    operator = a.post("/operators", {"email": "op@acme.test", "name": "A op",
                                     "password": "operator-password-1",
                                     "role": "operator"})[1]
    cat_path = f"/categories/{category['category_id']}"
    op_path = f"/operators/{operator['operator_id']}"
    assert_error(b.put(cat_path, {"name": "stolen"}), 404)
    assert_error(b.delete(cat_path), 404)
    assert_error(b.post("/categories", {"name": "x", "parent_id": category["category_id"]}),
                 400)
    assert_error(b.get(op_path), 404)
    assert_error(b.put(op_path, {"name": "stolen"}), 404)
    assert_error(b.delete(op_path), 404)
    assert_error(b.get(f"/operators/{tenant_a.admin_id}"), 404)
    # And A is untouched.
    assert a.get("/categories")[1]["categories"][0]["name"] == "A only"
    assert a.get(op_path)[1]["name"] == "A op"


def test_lists_and_settings_are_per_service(two_services):
    _tenant_a, a, _tenant_b, b = two_services
    a.post("/categories", {"name": "A only"})
    a.put("/settings", {"greeting": "Hello from A"})
    assert b.get("/categories")[1]["categories"] == []
    assert b.get("/settings")[1]["greeting"] != "Hello from A"
    assert [op["email"] for op in b.get("/operators")[1]["operators"]] == ["admin@globex.test"]
    assert b.get("/me")[1]["service_id"] == "globex"


def test_b_credentials_cannot_log_in_to_a(client, two_services):
    tenant_a, _a, tenant_b, _b = two_services
    body = {"service_id": tenant_a.service_id, "email": tenant_b.admin_email,
            "password": ADMIN_PASSWORD}
    assert_error(Api(client).post("/auth/login", body), 401)


def test_same_email_may_exist_in_two_services(two_services):
    _tenant_a, a, _tenant_b, b = two_services
    body = {"email": "shared@example.com", "name": "Shared",
            "password": "operator-password-1", "role": "operator"}
    assert a.post("/operators", body)[0] == 201
    assert b.post("/operators", body)[0] == 201


def test_widget_sessions_are_per_service(client, two_services):
    tenant_a, _a, tenant_b, _b = two_services
    public = Api(client)
    session_a = public.post(f"/widget/{tenant_a.widget_key}/session", {})[1]
    session_b = public.post(f"/widget/{tenant_b.widget_key}/session",
                            {"visitor_token": session_a["visitor_token"]})[1]
    assert session_b["customer_id"] != session_a["customer_id"]
