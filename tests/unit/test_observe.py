"""Logs and metrics (R-OPS-1, chalicelib/observe.py): JSON log lines with the
invocation's keys, and one EMF line of metrics when an invocation ends."""

from __future__ import annotations

import logging
import warnings
from concurrent.futures import ThreadPoolExecutor

from chalicelib import observe
from tests.emf import emf_lines, log_lines, metrics_written

log = logging.getLogger("helpdesk.test")


def test_metrics_are_one_emf_line_written_when_the_invocation_ends(capsys):
    with observe.invocation(request_id="req-1", connection_id="conn-1"):
        observe.tag(service_id="acme", chat_id="ch_1")
        observe.count(observe.MESSAGES_RELAYED)
        observe.count(observe.MESSAGES_RELAYED)
        observe.count(observe.FAILED_PUSHES, 3)
        observe.measure(observe.EXPORT_DURATION, 1234.5, observe.MILLISECONDS)
        observe.measure(observe.QUEUE_LENGTH, 0)
        assert emf_lines(capsys.readouterr().out) == []  # nothing before the end
    [line] = emf_lines(capsys.readouterr().out)
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Helpdesk"
    assert directive["Dimensions"] == [["service"]] and line["service"] == "helpdesk"
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "MessagesRelayed": "Count", "FailedPushes": "Count",
        "ExportDuration": "Milliseconds", "QueueLength": "Count"}
    assert (line["MessagesRelayed"], line["FailedPushes"]) == ([2.0], [3.0])
    assert (line["ExportDuration"], line["QueueLength"]) == ([1234.5], [0.0])
    # The line names the invocation it counts, for CloudWatch Logs Insights.
    assert (line["request_id"], line["connection_id"], line["service_id"], line["chat_id"]) == (
        "req-1", "conn-1", "acme", "ch_1")


def test_an_invocation_that_counted_nothing_writes_nothing_and_warns_of_nothing(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with observe.invocation(request_id="req-2"):
            pass
    assert capsys.readouterr().out == ""


def test_nothing_is_counted_outside_an_invocation(capsys):
    observe.count(observe.MESSAGES_RELAYED)
    observe.tag(service_id="acme")
    with observe.invocation(request_id="req-3"):
        observe.count(observe.WEBHOOK_FAILURES)
    assert metrics_written(capsys.readouterr().out) == {"WebhookFailures": [1.0]}


def test_a_metric_that_cannot_be_written_never_fails_the_invocation(capsys, caplog):
    with observe.invocation(request_id="req-4"):
        observe.measure(observe.EXPORT_DURATION, 5, "Parsecs")  # no CloudWatch unit
    assert "metrics of this invocation not written" in caplog.text
    with observe.invocation(request_id="req-5"):  # nothing of the failed one is left
        observe.count(observe.MAIL_FAILURES)
    assert metrics_written(capsys.readouterr().out) == {"MailFailures": [1.0]}


def test_log_lines_are_json_with_the_keys_of_their_own_invocation(capsys):
    with observe.invocation(request_id="req-6", connection_id="conn-6"):
        log.warning("first")
        observe.tag(service_id="acme")
        with observe.tagged(chat_id="ch_6"):
            log.warning("about one chat")
        log.warning("after the chat")
        with observe.invocation(request_id="req-7"):  # a worker run in-process
            log.warning("the worker")
        log.warning("back")
    log.warning("outside")
    lines = {line["message"]: line for line in log_lines(capsys.readouterr().out)}
    assert lines["first"]["request_id"] == "req-6" and lines["first"]["name"] == "helpdesk.test"
    assert lines["first"]["connection_id"] == "conn-6" and "service_id" not in lines["first"]
    assert (lines["about one chat"]["service_id"], lines["about one chat"]["chat_id"]) == (
        "acme", "ch_6")
    assert "chat_id" not in lines["after the chat"]
    assert lines["the worker"]["request_id"] == "req-7"
    assert "service_id" not in lines["the worker"]
    assert (lines["back"]["request_id"], lines["back"]["service_id"]) == ("req-6", "acme")
    assert "request_id" not in lines["outside"]
    assert lines["first"]["level"] == "WARNING" and lines["first"]["service"] == "helpdesk"


def test_a_pool_thread_logs_and_counts_as_part_of_its_invocation(capsys):
    def deliver(n: int) -> None:
        observe.tag(service_id=f"svc-{n}")  # this thread's lines only
        log.warning("delivery %d", n)
        observe.count(observe.WEBHOOK_FAILURES)

    with observe.invocation(request_id="req-8"):
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(observe.carried(deliver), range(3)))
        log.warning("done")
    out = capsys.readouterr().out
    lines = {line["message"]: line for line in log_lines(out)}
    assert [lines[f"delivery {n}"]["service_id"] for n in range(3)] == ["svc-0", "svc-1", "svc-2"]
    assert all(lines[f"delivery {n}"]["request_id"] == "req-8" for n in range(3))
    assert "service_id" not in lines["done"]
    assert metrics_written(out) == {"WebhookFailures": [3.0]}
