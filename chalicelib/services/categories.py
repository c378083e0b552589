"""Processing types (R-SET-6): a tree of one to three levels. Deleting one that
has children or is used by a chat is refused, never cascaded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import auth, clock, validate
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.models import Category, Chat, transaction

MAX_LEVEL = 3
MAX_PER_SERVICE = 1000


def get_category(service_id: str, category_id: str) -> Category:
    if not isinstance(category_id, str) or not category_id or len(category_id) > 100:
        raise NotFound("no such category")
    try:
        return Category.get(service_id, category_id)
    except Category.DoesNotExist as exc:
        raise NotFound("no such category") from exc


def all_categories(service_id: str) -> list[Category]:
    return list(Category.query(service_id))


def _siblings(categories: list[Category], parent_id: str | None) -> list[Category]:
    same = [c for c in categories if c.parent_id == parent_id]
    return sorted(same, key=lambda c: (c.position, c.created_at, c.category_id))


def category_path(service_id: str, category_id: str | None) -> list[str]:
    """Names from the root down to the category ("Billing", "Refunds")."""
    if not category_id:
        return []
    names: list[str] = []
    current: str | None = category_id
    while current and len(names) < MAX_LEVEL:
        try:
            category = Category.get(service_id, current)
        except Category.DoesNotExist:
            break
        names.insert(0, category.name)
        current = category.parent_id
    return names


def paths(service_id: str) -> dict[str, list[str]]:
    """Every category's path from the root, from one Query: for lists of chats."""
    by_id = {c.category_id: c for c in all_categories(service_id)}

    def path_of(category: Category) -> list[str]:
        names = [category.name]
        parent = by_id.get(category.parent_id or "")
        while parent is not None and len(names) < MAX_LEVEL:
            names.insert(0, parent.name)
            parent = by_id.get(parent.parent_id or "")
        return names

    return {category_id: path_of(c) for category_id, c in by_id.items()}


def tree(service_id: str) -> list[dict[str, Any]]:
    categories = all_categories(service_id)

    def branch(parent_id: str | None) -> list[dict[str, Any]]:
        return [
            {**to_json(c), "children": branch(c.category_id)}
            for c in _siblings(categories, parent_id)
        ]

    return branch(None)


@dataclass(frozen=True)
class NewCategory:
    """`POST /categories`, checked."""

    name: str
    parent_id: str | None = None

    @classmethod
    def checked(cls, body: Any) -> NewCategory:
        validate.body_object(body)
        parent_id = body.get("parent_id")
        return cls(
            name=str(validate.text(body, "name", max_len=100, single_line=True)),
            parent_id=None if parent_id is None else validate.id_string(parent_id, "parent_id"),
        )


@dataclass(frozen=True)
class CategoryChange:
    """`PUT /categories/{id}`, checked: a new name, a new place among its siblings."""

    name: str | None = None
    position: int | None = None

    @classmethod
    def checked(cls, body: Any) -> CategoryChange:
        validate.body_object(body)
        return cls(
            name=validate.text(body, "name", max_len=100, single_line=True)
            if "name" in body else None,
            position=validate.integer(body, "position", low=0, high=MAX_PER_SERVICE,
                                      required=False) if "position" in body else None,
        )


def create(service_id: str, new: NewCategory) -> Category:
    name, parent_id = new.name, new.parent_id
    existing = all_categories(service_id)
    if len(existing) >= MAX_PER_SERVICE:
        raise Conflict(f"a service may have at most {MAX_PER_SERVICE} categories", "too_many")
    level = 1
    parent = None
    if parent_id is not None:
        parent = next((c for c in existing if c.category_id == parent_id), None)
        if parent is None:
            raise InvalidInput("parent_id", "no such category")
        level = int(parent.level) + 1
        if level > MAX_LEVEL:
            raise InvalidInput("parent_id", f"categories are at most {MAX_LEVEL} levels deep")
    siblings = _siblings(existing, parent_id)
    category = Category(
        service_id=service_id,
        category_id=auth.new_id("cat"),
        name=name,
        parent_id=parent_id,
        level=level,
        position=(int(siblings[-1].position) + 1) if siblings else 0,
        children_count=0,
        usage_count=0,
        created_at=clock.iso(clock.now()),
    )
    try:
        with transaction() as writes:
            writes.save(category, condition=Category.category_id.does_not_exist())
            if parent is not None:
                # The parent must still exist, and counts its child so a
                # concurrent delete of the parent is refused.
                writes.update(
                    parent,
                    actions=[Category.children_count.add(1)],
                    condition=Category.category_id.exists(),
                )
    except TransactWriteError as exc:
        raise Conflict("the parent category was removed meanwhile", "parent_gone") from exc
    return category


def update(service_id: str, category_id: str, change: CategoryChange) -> Category:
    category = get_category(service_id, category_id)
    if change.name is not None:
        category.update(
            actions=[Category.name.set(change.name)], condition=Category.category_id.exists()
        )
    if change.position is not None:
        _move(service_id, category, change.position)
    return get_category(service_id, category_id)


def _move(service_id: str, category: Category, position: int) -> None:
    """Put the category at `position` among its siblings; the others keep their order."""
    siblings = [
        c for c in _siblings(all_categories(service_id), category.parent_id)
        if c.category_id != category.category_id
    ]
    position = min(position, len(siblings))
    ordered = [*siblings[:position], category, *siblings[position:]]
    for index, sibling in enumerate(ordered):
        if int(sibling.position) != index:
            sibling.update(
                actions=[Category.position.set(index)], condition=Category.category_id.exists()
            )


def delete(service_id: str, category_id: str) -> None:
    category = get_category(service_id, category_id)
    if any(True for _ in Chat.by_category.query(f"{service_id}#{category_id}", limit=1)):
        raise Conflict("the category is used by chats", "in_use")
    unused = (Category.usage_count.does_not_exist() | (Category.usage_count == 0))
    childless = (Category.children_count.does_not_exist() | (Category.children_count == 0))
    try:
        with transaction() as writes:
            writes.delete(category, condition=Category.category_id.exists() & childless & unused)
            if category.parent_id:
                parent = Category(service_id=service_id, category_id=category.parent_id)
                writes.update(parent, actions=[Category.children_count.add(-1)])
    except TransactWriteError as exc:
        fresh = get_category(service_id, category_id)
        if int(fresh.children_count or 0) > 0:
            raise Conflict("the category has children; delete them first", "has_children") from exc
        raise Conflict("the category is used by chats", "in_use") from exc


def usage_actions(writes: Any, service_id: str, old_id: str | None, new_id: str | None) -> None:
    """Add to a transaction the writes that move a chat from one category to another,
    so usage counts stay exact and a category in use is never deleted."""
    if old_id == new_id:
        return
    if new_id:
        writes.update(
            Category(service_id=service_id, category_id=new_id),
            actions=[Category.usage_count.add(1)],
            condition=Category.category_id.exists(),
        )
    if old_id:
        writes.update(
            Category(service_id=service_id, category_id=old_id),
            actions=[Category.usage_count.add(-1)],
            condition=Category.category_id.exists(),
        )


def to_json(category: Category) -> dict[str, Any]:
    return {
        "category_id": category.category_id,
        "name": category.name,
        "parent_id": category.parent_id,
        "level": int(category.level),
        "position": int(category.position),
    }
