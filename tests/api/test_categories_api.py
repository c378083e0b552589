"""Processing-type categories (R-SET-6): a tree of 1-3 levels, ordered siblings,
deletes refused while a category has children or is in use."""

import pytest

from chalicelib import models
from chalicelib.services import categories
from tests.api.helpers import assert_error, login


@pytest.fixture
def admin(client, tenant):
    return login(client, tenant.service_id, tenant.admin_email)


def _create(admin, name, parent_id=None):
    body = {"name": name} if parent_id is None else {"name": name, "parent_id": parent_id}
    status, category = admin.post("/categories", body)
    assert status == 201, category
    return category


def _names(nodes):
    return [node["name"] for node in nodes]


def test_categories_form_a_tree_of_three_levels(admin):
    billing = _create(admin, "Billing")
    refunds = _create(admin, "Refunds", billing["category_id"])
    card = _create(admin, "Card", refunds["category_id"])
    assert (billing["level"], refunds["level"], card["level"]) == (1, 2, 3)
    assert card["parent_id"] == refunds["category_id"]
    status, body = admin.get("/categories")
    assert status == 200
    [root] = body["categories"]
    assert root["name"] == "Billing"
    assert root["children"][0]["children"][0]["name"] == "Card"
    assert root["children"][0]["children"][0]["children"] == []


def test_a_fourth_level_is_400(admin):
    one = _create(admin, "One")
    two = _create(admin, "Two", one["category_id"])
    three = _create(admin, "Three", two["category_id"])
    body = assert_error(admin.post("/categories", {"name": "Four",
                                                   "parent_id": three["category_id"]}), 400)
    assert "parent_id" in body["message"]
    assert len(admin.get("/categories")[1]["categories"][0]["children"][0]["children"]) == 1


def test_new_categories_go_last_among_their_siblings(admin):
    for name in ("A", "B", "C"):
        _create(admin, name)
    tree = admin.get("/categories")[1]["categories"]
    assert _names(tree) == ["A", "B", "C"]
    assert [node["position"] for node in tree] == [0, 1, 2]


def test_moving_a_category_keeps_the_others_in_order(admin):
    ids = {name: _create(admin, name)["category_id"] for name in ("A", "B", "C", "D")}
    status, moved = admin.put(f"/categories/{ids['D']}", {"position": 1})
    assert status == 200 and moved["position"] == 1
    tree = admin.get("/categories")[1]["categories"]
    assert _names(tree) == ["A", "D", "B", "C"]
    assert [node["position"] for node in tree] == [0, 1, 2, 3]
    admin.put(f"/categories/{ids['A']}", {"position": 99})
    assert _names(admin.get("/categories")[1]["categories"]) == ["D", "B", "C", "A"]


def test_reordering_children_leaves_other_branches_alone(admin):
    left = _create(admin, "Left")
    right = _create(admin, "Right")
    first = _create(admin, "L1", left["category_id"])
    _create(admin, "L2", left["category_id"])
    _create(admin, "R1", right["category_id"])
    admin.put(f"/categories/{first['category_id']}", {"position": 1})
    tree = admin.get("/categories")[1]["categories"]
    assert _names(tree) == ["Left", "Right"]
    assert _names(tree[0]["children"]) == ["L2", "L1"]
    assert _names(tree[1]["children"]) == ["R1"]


def test_rename(admin):
    category = _create(admin, "Old")
    status, body = admin.put(f"/categories/{category['category_id']}", {"name": "New"})
    assert status == 200 and body["name"] == "New"


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x" * 101}, {"name": 3}, {"name": "ok", "parent_id": 7},
     {"name": "ok", "parent_id": "cat_missing"}],
)
def test_bad_create_is_400(admin, body):
    assert_error(admin.post("/categories", body), 400)
    assert admin.get("/categories")[1]["categories"] == []


@pytest.mark.parametrize("body", [{"name": ""}, {"position": -1}, {"position": "1"}])
def test_bad_update_is_400(admin, body):
    category = _create(admin, "Keep")
    assert_error(admin.put(f"/categories/{category['category_id']}", body), 400)
    assert _names(admin.get("/categories")[1]["categories"]) == ["Keep"]


def test_unknown_category_is_404(admin):
    assert_error(admin.put("/categories/cat_nope", {"name": "x"}), 404)
    assert_error(admin.delete("/categories/cat_nope"), 404)


def test_delete_with_children_is_409_and_deletes_nothing(admin):
    parent = _create(admin, "Parent")
    child = _create(admin, "Child", parent["category_id"])
    assert_error(admin.delete(f"/categories/{parent['category_id']}"), 409, "has_children")
    assert _names(admin.get("/categories")[1]["categories"][0]["children"]) == ["Child"]
    assert admin.delete(f"/categories/{child['category_id']}")[0] == 204
    assert admin.delete(f"/categories/{parent['category_id']}")[0] == 204
    assert admin.get("/categories")[1]["categories"] == []


def test_delete_of_a_category_used_by_a_chat_is_409(admin, tenant):
    used = _create(admin, "Used")
    with models.transaction() as writes:
        categories.usage_actions(writes, tenant.service_id, None, used["category_id"])
    assert_error(admin.delete(f"/categories/{used['category_id']}"), 409, "in_use")
    with models.transaction() as writes:
        categories.usage_actions(writes, tenant.service_id, used["category_id"], None)
    assert admin.delete(f"/categories/{used['category_id']}")[0] == 204


def test_delete_of_a_category_on_a_chat_record_is_409(admin, tenant):
    used = _create(admin, "Filed")
    models.Chat(
        chat_id="ch_1", service_id=tenant.service_id, customer_id="cu_1", status="ended",
        category_id=used["category_id"],
        category_key=f"{tenant.service_id}#{used['category_id']}",
        created_at="2026-11-01T00:00:00.000Z",
    ).save()
    assert_error(admin.delete(f"/categories/{used['category_id']}"), 409, "in_use")


def test_category_path_names_the_branch(admin, tenant):
    a = _create(admin, "Billing")
    b = _create(admin, "Refunds", a["category_id"])
    c = _create(admin, "Card", b["category_id"])
    assert categories.category_path(tenant.service_id, c["category_id"]) == [
        "Billing", "Refunds", "Card"]
    assert categories.category_path(tenant.service_id, None) == []


def test_any_operator_may_read_categories(client, admin, tenant):
    _create(admin, "Visible")
    admin.post("/operators", {"email": "op@acme.test", "name": "Op",
                              "password": "operator-password-1", "role": "operator"})
    operator = login(client, tenant.service_id, "op@acme.test", "operator-password-1")
    status, body = operator.get("/categories")
    assert status == 200 and _names(body["categories"]) == ["Visible"]
