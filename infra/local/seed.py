"""The demo service API.md promises for local runs, created through the domain
code. Every step checks first, so a restart (or a run cut short) seeds only
what is missing and never duplicates anything."""

from __future__ import annotations

from typing import Any

DEMO_SERVICE_ID = "demo"
DEMO_WIDGET_KEY = "demo"
ADMIN_EMAIL = "admin@demo.test"
OPERATOR_EMAIL = "operator@demo.test"
TIMEZONE = "Asia/Tokyo"
OLD_GREETING = ("Welcome to the demo help desk! Tell us what you need and an operator "
                "will join you.")
# The demo's own texts, in both its languages (R-I18N-2); the consent text and
# the rating and away messages are the product's defaults, in every language.
GREETING = {
    "ja": "デモ用ヘルプデスクへようこそ。ご用件をお書きください。担当者がお答えします。",
    "en": OLD_GREETING,
}
# Processing types, one to three levels deep, named in both languages.
CATEGORIES: dict[str, Any] = {
    "ご注文 / Orders": {
        "配送 / Shipping": {},
        "返品 / Returns": {"返金 / Refunds": {}, "交換 / Exchanges": {}},
    },
    "アカウント / Account": {"ログイン / Sign-in": {}, "請求 / Billing": {}},
    "その他 / Other": {},
}
# The service's canned responses (R-CAN-1): shortcut → (title, text).
CANNED = {
    "henpin": ("返品について",
               "{{customer.name}}様\nお問い合わせありがとうございます。返品はお届けから7日以内に"
               "承ります。ご注文番号をお知らせください。"),
    "thanks": ("ありがとう",
               "{{customer.name}}様、ご利用いただきありがとうございました。"
               "またのお問い合わせをお待ちしております。"),
    "hello": ("Hello",
              "Hello {{customer.name}}, this is {{operator.name}} from {{service.name}}. "
              "How can I help you today?"),
    "hours": ("営業時間",
              "営業時間は平日9時から18時までです。土日祝日のお問い合わせには翌営業日にお返事いたします。"),
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
            timezone=TIMEZONE,
        )
        settings.update(service, settings.SettingsChange.checked(
            {"chat_enabled": True, "greeting": GREETING}))
        created.append(f"service {DEMO_SERVICE_ID} with admin {ADMIN_EMAIL}")
    else:
        if _localize(service):
            created.append("Japanese and English texts, time zone Asia/Tokyo")
    if _add_operator(service, password):
        created.append(f"operator {OPERATOR_EMAIL}")
    if _add_categories(service.service_id):
        created.append("categories")
    if _add_canned_responses(service.service_id):
        created.append("canned responses")
    return created


def _localize(service: Any) -> bool:
    """A demo seeded by an earlier version (English greeting, UTC) gets its texts
    in both languages and Tokyo's time zone; one an admin changed is left alone."""
    from chalicelib.services import settings

    stored = service.settings or {}
    if stored.get("greeting") != OLD_GREETING or "timezone" in stored:
        return False
    settings.update(service, settings.SettingsChange.checked(
        {"greeting": GREETING, "timezone": TIMEZONE}))
    return True


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


def _add_canned_responses(service_id: str) -> bool:
    """The service's set, written by the demo admin; a set that has any (an
    admin's own, or the demo's, some since deleted) is left alone."""
    from chalicelib.services import canned, operators
    from chalicelib.services.access import Actor

    admin = operators.find_by_email(service_id, ADMIN_EMAIL)
    if admin is None:
        return False
    actor = Actor(service_id, "admin", admin.operator_id, admin.name)
    if any(c.scope == "service" for c in canned.list_for(actor)):
        return False
    for shortcut, (title, text) in CANNED.items():
        canned.create(actor, canned.NewCanned.checked(
            {"scope": "service", "shortcut": shortcut, "title": title, "text": text}))
    return True
