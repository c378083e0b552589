"""`python -m infra.manage create-service …` provisions a service and its admin."""

from chalicelib.models import Operator, Service
from chalicelib.services import operators
from infra import manage


def test_create_service_prints_the_widget_key_and_the_admin_can_log_in(aws, capsys):
    code = manage.main(["--aws", "create-service", "shop", "--name", "Shop",
                        "--admin-email", "boss@shop.test", "--admin-password",
                        "boss-password-1", "--widget-key", "shop-key"])
    assert code == 0
    assert capsys.readouterr().out.strip() == "shop-key"
    service = Service.get("shop")
    assert (service.name, service.admin_count) == ("Shop", 1)
    admin = operators.find_by_email("shop", "boss@shop.test")
    assert isinstance(admin, Operator) and admin.role == "admin"


def test_create_service_twice_is_an_error_not_a_second_admin(aws, capsys):
    args = ["--aws", "create-service", "shop", "--name", "Shop", "--admin-email",
            "boss@shop.test", "--admin-password", "boss-password-1"]
    assert manage.main(args) == 0
    capsys.readouterr()
    assert manage.main(args) == 1
    assert "taken" in capsys.readouterr().err
    assert len(list(Operator.query("shop"))) == 1


def test_short_password_is_refused(aws, capsys):
    code = manage.main(["--aws", "create-service", "shop", "--name", "Shop",
                        "--admin-email", "boss@shop.test", "--admin-password", "short"])
    assert code == 1
    assert "password" in capsys.readouterr().err


def test_widget_keys_are_unique(aws, capsys):
    first = ["--aws", "create-service", "one", "--name", "One", "--admin-email",
             "a@one.test", "--admin-password", "boss-password-1", "--widget-key", "same"]
    second = ["--aws", "create-service", "two", "--name", "Two", "--admin-email",
              "a@two.test", "--admin-password", "boss-password-1", "--widget-key", "same"]
    assert manage.main(first) == 0
    assert manage.main(second) == 1
    assert [s.service_id for s in Service.by_widget_key.query("same")] == ["one"]


def test_add_chat_heads_upgrades_open_chats_from_before_heads(aws, capsys):
    from chalicelib import aws as aws_clients
    from chalicelib.models import Chat, ChatHead
    from tests.conftest import _refuse_scan

    Chat(chat_id="ch_old", service_id="shop", customer_id="cu_1", status="waiting",
         last_seq=2, created_at="2026-01-01T00:00:00.000Z").save()
    # The suite refuses Scan to the app; this upgrade is an operation, not the app.
    aws_clients.client("dynamodb").meta.events.unregister(
        "before-call.dynamodb.Scan", handler=_refuse_scan)

    assert manage.main(["--aws", "add-chat-heads"]) == 0
    assert "gave 1 open chat(s) a head" in capsys.readouterr().err
    assert ChatHead.get("ch_old").last_seq == 2
    assert manage.main(["--aws", "add-chat-heads"]) == 0
    assert "gave 0 open chat(s)" in capsys.readouterr().err


def test_a_dynamodb_endpoint_alone_is_enough_and_a_failure_is_one_line(monkeypatch, capsys):
    """DYNAMODB_ENDPOINT without credentials gets the local defaults (no
    "Unable to locate credentials"); a DynamoDB that is not there is one line
    on stderr, not a traceback."""
    import socket

    from infra import manage

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "TABLE_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DYNAMODB_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code = manage.main(["create-service", "nowhere", "--name", "Nowhere",
                        "--admin-email", "a@nowhere.test", "--admin-password", "a-long-password"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert "credentials" not in err.lower() and "Traceback" not in err
    assert __import__("os").environ["AWS_ACCESS_KEY_ID"] == "local"


def test_index_search_terms_makes_older_chats_partially_searchable_once(aws, capsys):
    from chalicelib import aws as aws_clients
    from chalicelib.models import Chat
    from chalicelib.services import history
    from tests.conftest import _refuse_scan

    Chat(chat_id="ch_old", service_id="shop", customer_id="cu_1", status="ended",
         customer={"name": "山田 花子", "email": "hanako@example.jp"},
         created_at="2026-01-01T00:00:00.000Z").save()
    search = history.parse_filter({"q": "花子", "from": "2025-12-01", "to": "2026-01-31"})
    assert history.search_page("shop", search, 10, None).chats == []
    aws_clients.client("dynamodb").meta.events.unregister(
        "before-call.dynamodb.Scan", handler=_refuse_scan)

    assert manage.main(["--aws", "index-search-terms"]) == 0
    assert "indexed 1 chat(s) and ticket(s)" in capsys.readouterr().err
    found = history.search_page("shop", search, 10, None).chats
    assert [chat.chat_id for chat in found] == ["ch_old"]
    by_email = history.parse_filter({"q": "example.jp", "from": "2025-12-01",
                                     "to": "2026-01-31"})
    assert [c.chat_id for c in history.search_page("shop", by_email, 10, None).chats] == [
        "ch_old"]
    assert manage.main(["--aws", "index-search-terms"]) == 0  # done once: nothing again
    assert "indexed 0 chat(s) and ticket(s)" in capsys.readouterr().err


def test_number_tickets_numbers_older_tickets_oldest_first_once(aws, capsys):
    from chalicelib import aws as aws_clients
    from chalicelib.models import Ticket, TicketFilter
    from tests.conftest import _refuse_scan

    for ticket_id, at in (("tk_b", "2026-02-01T00:00:00.000Z"),
                          ("tk_a", "2026-01-01T00:00:00.000Z")):
        Ticket(ticket_id=ticket_id, service_id="shop", subject="Old", channel="chat",
               customer={"name": "Old", "email": "old@example.jp"}, status="open",
               created_by="op_1", created_at=at).save()
    aws_clients.client("dynamodb").meta.events.unregister(
        "before-call.dynamodb.Scan", handler=_refuse_scan)

    assert manage.main(["--aws", "number-tickets"]) == 0
    assert "numbered 2 ticket(s)" in capsys.readouterr().err
    assert (Ticket.get("tk_a").number, Ticket.get("tk_b").number) == (1, 2)
    assert [f.ticket_id for f in TicketFilter.query("shop#s=open")] == ["tk_a", "tk_b"]
    assert manage.main(["--aws", "number-tickets"]) == 0
    assert "numbered 0 ticket(s)" in capsys.readouterr().err


def test_index_customers_gives_older_chats_their_customer_key_once(aws, capsys):
    """R-VIS-1: chats from before the customer index are found by Chat History's
    customer filter (and counted as earlier chats) once indexed."""
    from chalicelib import aws as aws_clients
    from chalicelib.models import Chat
    from chalicelib.services import history
    from tests.conftest import _refuse_scan

    for chat_id, at in (("ch_old1", "2026-01-05T00:00:00.000Z"),
                        ("ch_old2", "2026-01-06T00:00:00.000Z")):
        Chat(chat_id=chat_id, service_id="shop", customer_id="cu_old", status="ended",
             created_at=at).save()
    Chat(chat_id="ch_new", service_id="shop", customer_id="cu_old", status="ended",
         customer_key="shop#cu_old", created_at="2026-01-07T00:00:00.000Z").save()
    search = history.parse_filter({"customer_id": "cu_old", "from": "2026-01-01",
                                   "to": "2026-01-31"})
    assert [c.chat_id for c in history.search_page("shop", search, 10, None).chats] == [
        "ch_new"]
    aws_clients.client("dynamodb").meta.events.unregister(
        "before-call.dynamodb.Scan", handler=_refuse_scan)

    assert manage.main(["--aws", "index-customers"]) == 0
    assert "indexed 2 chat(s)" in capsys.readouterr().err
    assert [c.chat_id for c in history.search_page("shop", search, 10, None).chats] == [
        "ch_new", "ch_old2", "ch_old1"]
    assert manage.main(["--aws", "index-customers"]) == 0  # done once: nothing again
    assert "indexed 0 chat(s)" in capsys.readouterr().err
