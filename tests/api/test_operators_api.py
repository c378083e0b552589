"""Operators CRUD (R-TEN-2, R-SET-7): unique emails, the last admin stays."""

import pytest

from chalicelib.models import Operator
from tests.api.helpers import Api, assert_error, login

OP_PASSWORD = "operator-password-1"


@pytest.fixture
def admin(client, tenant):
    return login(client, tenant.service_id, tenant.admin_email)


def _new_operator(admin, email="op@acme.test", role="operator", **extra):
    status, body = admin.post("/operators", {"email": email, "name": "Op One",
                                             "password": OP_PASSWORD, "role": role, **extra})
    assert status == 201, body
    return body


def test_create_and_list_operators(admin, tenant):
    created = _new_operator(admin, max_chats=3)
    assert created == {
        "operator_id": created["operator_id"], "name": "Op One", "email": "op@acme.test",
        "role": "operator", "status": "offline", "open_chats": 0, "max_chats": 3,
    }
    status, body = admin.get("/operators")
    assert status == 200
    by_email = {op["email"]: op for op in body["operators"]}
    assert set(by_email) == {"admin@acme.test", "op@acme.test"}
    assert by_email["admin@acme.test"]["max_chats"] == 5  # the service default


def test_new_operator_can_log_in(client, admin, tenant):
    _new_operator(admin)
    operator = login(client, tenant.service_id, "op@acme.test", OP_PASSWORD)
    assert operator.get("/me")[1]["role"] == "operator"


def test_duplicate_email_is_409_whatever_the_case(admin):
    _new_operator(admin)
    assert_error(admin.post("/operators", {"email": "OP@acme.test", "name": "Again",
                                           "password": OP_PASSWORD, "role": "operator"}),
                 409, "email_taken")
    assert len(admin.get("/operators")[1]["operators"]) == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-email"), ("email", None), ("name", ""), ("role", "boss"),
     ("password", "short"), ("password", 12345678901), ("max_chats", 0), ("max_chats", "3")],
)
def test_bad_operator_is_400_naming_the_field(admin, field, value):
    body = {"email": "new@acme.test", "name": "New", "password": OP_PASSWORD,
            "role": "operator", field: value}
    error = assert_error(admin.post("/operators", body), 400)
    assert field in error["message"]
    assert len(admin.get("/operators")[1]["operators"]) == 1


def test_update_name_role_password_and_capacity(client, admin, tenant):
    operator = _new_operator(admin)
    path = f"/operators/{operator['operator_id']}"
    status, body = admin.put(path, {"name": "Renamed", "max_chats": 9,
                                    "password": "a-new-password-2"})
    assert status == 200
    assert (body["name"], body["max_chats"]) == ("Renamed", 9)
    login(client, tenant.service_id, "op@acme.test", "a-new-password-2")
    assert Api(client).post("/auth/login", {"service_id": "acme", "email": "op@acme.test",
                                            "password": OP_PASSWORD})[0] == 401
    assert admin.put(path, {"role": "admin"})[1]["role"] == "admin"
    assert admin.put(path, {"max_chats": None})[1]["max_chats"] == 5


def test_role_change_applies_to_existing_tokens(client, admin, tenant):
    operator = _new_operator(admin, role="admin")
    other_admin = login(client, tenant.service_id, "op@acme.test", OP_PASSWORD)
    assert other_admin.get("/settings")[0] == 200
    admin.put(f"/operators/{operator['operator_id']}", {"role": "operator"})
    assert_error(other_admin.get("/settings"), 403)


def test_unknown_operator_is_404(admin):
    assert_error(admin.get("/operators/op_nope"), 404)
    assert_error(admin.put("/operators/op_nope", {"name": "x"}), 404)
    assert_error(admin.delete("/operators/op_nope"), 404)


def test_delete_operator_removes_access_and_frees_the_email(client, admin, tenant):
    operator = _new_operator(admin)
    session = login(client, tenant.service_id, "op@acme.test", OP_PASSWORD)
    assert admin.delete(f"/operators/{operator['operator_id']}")[0] == 204
    assert_error(session.get("/me"), 401)
    _new_operator(admin)  # the same email may be used again


def test_the_last_admin_cannot_be_deleted_or_demoted(admin, tenant):
    assert_error(admin.delete(f"/operators/{tenant.admin_id}"), 409, "last_admin")
    assert_error(admin.put(f"/operators/{tenant.admin_id}", {"role": "operator"}), 409,
                 "last_admin")
    assert admin.get("/me")[1]["role"] == "admin"


def test_an_admin_may_be_removed_while_another_remains(client, admin, tenant):
    second = _new_operator(admin, email="second@acme.test", role="admin")
    assert admin.delete(f"/operators/{second['operator_id']}")[0] == 204
    assert_error(admin.delete(f"/operators/{tenant.admin_id}"), 409, "last_admin")
    third = _new_operator(admin, email="third@acme.test", role="admin")
    other = login(client, tenant.service_id, "third@acme.test", OP_PASSWORD)
    # Either admin may go, but never both.
    assert other.delete(f"/operators/{tenant.admin_id}")[0] == 204
    assert_error(other.delete(f"/operators/{third['operator_id']}"), 409, "last_admin")


def test_operator_with_open_chats_cannot_be_deleted(admin, tenant):
    operator = _new_operator(admin)
    Operator(service_id=tenant.service_id, operator_id=operator["operator_id"]).update(
        actions=[Operator.open_chats.set(1)])
    assert_error(admin.delete(f"/operators/{operator['operator_id']}"), 409, "operator_busy")
