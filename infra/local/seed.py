"""The demo service API.md promises for local runs, created through the domain
code. Every step checks first, so a restart (or a run cut short) seeds only
what is missing and never duplicates anything."""

from __future__ import annotations

from typing import Any

DEMO_SERVICE_ID = "demo"
DEMO_WIDGET_KEY = "demo"
ADMIN_EMAIL = "admin@demo.test"
OPERATOR_EMAIL = "operator@demo.test"
GREETING = "Welcome to the demo help desk! Tell us what you need and an operator will join you."
# Processing types, one to three levels deep.
CATEGORIES: dict[str, Any] = {
    "Orders": {"Shipping": {}, "Returns": {"Refunds": {}, "Exchanges": {}}},
    "Account": {"Sign-in": {}, "Billing": {}},
    "Other": {},
}


def seed_demo_service(password: str) -> list[str]:
    """Create what is missing of the demo service; returns what was created."""
    from chalicelib.errors import NotFound
    from chalicelib.services import settings, tenants

    created = []
    try:
        service = tenants.get_service(DEMO_SERVICE_ID)
    except NotFound:
        service, _ = tenants.create_service(
            DEMO_SERVICE_ID,
            name="Demo",
            admin_email=ADMIN_EMAIL,
            admin_password=password,
            widget_key=DEMO_WIDGET_KEY,
            admin_name="Demo Admin",
        )
        settings.update(service, settings.SettingsChange.checked(
            {"chat_enabled": True, "greeting": GREETING}))
        created.append(f"service {DEMO_SERVICE_ID} with admin {ADMIN_EMAIL}")
    if _add_operator(service, password):
        created.append(f"operator {OPERATOR_EMAIL}")
    if _add_categories(service.service_id):
        created.append("categories")
    return created


def _add_operator(service: Any, password: str) -> bool:
    from chalicelib.services import operators

    if operators.find_by_email(service.service_id, OPERATOR_EMAIL) is not None:
        return False
    operators.create(service, operators.NewOperator(
        email=OPERATOR_EMAIL, name="Demo Operator", role="operator", password=password))
    return True


def _add_categories(service_id: str) -> bool:
    from chalicelib.services import categories

    if categories.all_categories(service_id):
        return False

    def add(tree: dict[str, Any], parent_id: str | None) -> None:
        for name, children in tree.items():
            new = categories.NewCategory(name, parent_id)
            add(children, categories.create(service_id, new).category_id)

    add(CATEGORIES, None)
    return True
