from tests.api.helpers import Api, login


def test_health_answers_ok(client):
    assert Api(client).get("/health") == (200, {"ok": True})


def test_admin_logs_in_and_reads_me(client, tenant):
    api = login(client, tenant.service_id, tenant.admin_email)
    status, body = api.get("/me")
    assert status == 200
    assert body["role"] == "admin" and body["service_id"] == "acme"
