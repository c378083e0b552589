"""The demo service (R-TZ-1, R-I18N-2): seeded in Tokyo's time zone with texts and
categories in Japanese and English; a demo seeded by an earlier version gets them
at the next start, unless an admin changed them."""

from chalicelib.models import Service
from chalicelib.services import canned, categories, settings, tenants
from chalicelib.services.access import Actor
from infra.local import seed

PASSWORD = "demo-password-1"


def _settings() -> dict:
    return settings.current(Service.get(seed.DEMO_SERVICE_ID))


def test_a_new_demo_is_in_tokyo_and_speaks_both_languages(aws):
    seed.seed_demo_service(PASSWORD)
    found = _settings()
    assert found["timezone"] == "Asia/Tokyo"
    assert found["greeting"] == seed.GREETING
    assert settings.text_for(found, "consent_text", "ja")[1] == "ja"
    names = [c.name for c in categories.all_categories(seed.DEMO_SERVICE_ID)]
    assert "配送 / Shipping" in names and len(names) == 9
    assert seed.seed_demo_service(PASSWORD) == []  # nothing twice


def _old_demo(greeting: str) -> None:
    service, _ = tenants.create_service(seed.DEMO_SERVICE_ID, name="Demo",
                                        admin_email=seed.ADMIN_EMAIL, admin_password=PASSWORD,
                                        widget_key=seed.DEMO_WIDGET_KEY)
    stored = {k: v for k, v in (service.settings or {}).items() if k != "timezone"}
    service.update(actions=[Service.settings.set({**stored, "greeting": greeting})])


def test_a_demo_from_before_time_zones_gets_them_at_the_next_start(aws):
    _old_demo(seed.OLD_GREETING)
    assert "Japanese and English texts, time zone Asia/Tokyo" in seed.seed_demo_service(PASSWORD)
    found = _settings()
    assert (found["timezone"], found["greeting"]) == ("Asia/Tokyo", seed.GREETING)


def test_a_demo_an_admin_changed_is_left_alone(aws):
    _old_demo("Our own greeting")
    seed.seed_demo_service(PASSWORD)
    found = _settings()
    assert (found["timezone"], found["greeting"]) == ("UTC", "Our own greeting")


def test_the_demo_has_canned_responses_once(aws):
    seed.seed_demo_service(PASSWORD)
    seed.seed_demo_service(PASSWORD)
    admin = Actor(seed.DEMO_SERVICE_ID, "admin", "op_any")
    listed = canned.list_for(admin)
    found = {c.shortcut: c for c in listed}
    assert len(listed) == len(found) == 4
    assert set(found) == set(seed.CANNED) == {"henpin", "thanks", "hello", "hours"}
    assert found["henpin"].title == "返品について"
    assert found["henpin"].text.startswith("{{customer.name}}様")
    assert all(c.scope == "service" for c in found.values())
