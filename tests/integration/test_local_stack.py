"""`make run` (python -m infra.local) as a whole: up within a minute, data kept
across a restart, nothing left running after Ctrl-C, a clear word when a port
is taken, and moto's DynamoDB where Java is missing."""

from __future__ import annotations

import signal
import socket

import pytest

from tests.integration.stack_runner import Stack, port_free, process_gone

pytestmark = pytest.mark.integration


def assert_nothing_left(stack: Stack, started: list[int]) -> None:
    assert started, "the stack started no processes (DynamoDB Local expected)"
    assert [pid for pid in started if not process_gone(pid)] == []
    assert [port for port in stack.ports if not port_free(port)] == []


def category_names(tree: list[dict]) -> set[str]:
    names = set()
    for category in tree:
        names.add(category["name"])
        names |= category_names(category["children"])
    return names


def test_restart_keeps_the_data_and_ctrl_c_leaves_nothing_behind(tmp_path):
    stack = Stack(state_dir=tmp_path / "state")
    stack.start()
    assert stack.wait_until_healthy() < 60
    token = stack.login("admin@demo.test")
    status, _ = stack.call("POST", "/api/categories", {"name": "Kept across restarts"}, token)
    assert status == 201
    started = stack.descendants()
    second = Stack(state_dir=stack.state_dir)
    assert second.start().wait(30) == 1
    assert f"another local stack is running on {stack.state_dir}" in second.log()

    assert stack.interrupt() == 0
    assert_nothing_left(stack, started)

    stack.run()
    assert stack.call("GET", "/api/me", token=token)[0] == 200  # same signing secret, session kept
    status, body = stack.call("GET", "/api/categories", token=token)
    assert status == 200
    assert {"Kept across restarts", "ご注文 / Orders", "返金 / Refunds"} <= category_names(
        body["categories"])
    top_level = [category["name"] for category in body["categories"]]
    assert top_level.count("ご注文 / Orders") == 1  # seeding did not repeat
    stack.login("operator@demo.test")
    started = stack.descendants()
    assert stack.interrupt() == 0
    assert_nothing_left(stack, started)


@pytest.mark.parametrize("taken", ["PORT", "DYNAMODB_PORT"])
def test_a_port_in_use_gives_a_clear_message_and_starts_nothing(tmp_path, taken):
    stack = Stack(state_dir=tmp_path / "state")
    port = stack.port if taken == "PORT" else stack.dynamodb_port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        stack.start()
        assert stack.process is not None
        assert stack.process.wait(30) == 1
    assert f"port {port} is already in use ({taken})" in stack.log()
    assert [p for p in stack.ports if p != port and not port_free(p)] == []


def test_without_java_it_runs_on_moto_says_so_and_stops_on_sigterm(tmp_path):
    stack = Stack(state_dir=tmp_path / "state", extra_env={"JAVA": str(tmp_path / "no-java")})
    stack.run()
    stack.login("admin@demo.test")
    started = stack.descendants()

    assert stack.interrupt(signal.SIGTERM) == 0
    assert "Java was not found" in stack.log()
    assert "moto's DynamoDB" in stack.log()
    assert [pid for pid in started if not process_gone(pid)] == []
    assert [port for port in stack.ports if not port_free(port)] == []
