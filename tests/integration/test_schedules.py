"""The gateway runs scheduled functions when EventBridge would, and resolves the
function names `lambda.invoke` is given. No DynamoDB needed: a tiny app."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice import Chalice, Cron, Rate

from infra.local import schedules
from infra.local.functions import Scheduler
from infra.local.runtime import LambdaRuntime

AFTER = datetime(2026, 11, 25, 7, 0, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (Rate(1, unit=Rate.MINUTES), AFTER + timedelta(minutes=1)),
        (Rate(2, unit=Rate.HOURS), AFTER + timedelta(hours=2)),
        ("rate(5 minutes)", AFTER + timedelta(minutes=5)),
        ("cron(*/15 * * * ? *)", datetime(2026, 11, 25, 7, 15, tzinfo=UTC)),
        ("cron(0 9 * * ? *)", datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),
        (Cron(30, 6, "?", "*", "MON-FRI", "*"), datetime(2026, 11, 26, 6, 30, tzinfo=UTC)),
        ("cron(0 0 1 JAN ? *)", datetime(2027, 1, 1, tzinfo=UTC)),
        ("cron(0 12 ? * SUN *)", datetime(2026, 11, 29, 12, 0, tzinfo=UTC)),
    ],
)
def test_a_schedule_fires_when_eventbridge_would(expression, expected):
    assert schedules.next_fire(expression, AFTER) == expected


@pytest.mark.parametrize("expression", ["every minute", "cron(0 0 L * ? *)", "cron(* * *)"])
def test_an_expression_it_cannot_follow_is_refused(expression):
    with pytest.raises(ValueError):
        schedules.next_fire(expression, AFTER)


def tiny_app(fired: list[dict[str, Any]]) -> Chalice:
    app = Chalice(app_name="tiny")

    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def sweep(event: Any) -> None:
        fired.append(event.to_dict())

    @app.lambda_function(name="export_worker")
    def export_worker(event: dict[str, Any], context: Any) -> None:
        fired.append(event)

    return app


def test_scheduled_functions_run_on_their_schedule_with_a_scheduled_event():
    fired: list[dict[str, Any]] = []
    runtime_app = tiny_app(fired)

    def soon(expression: Any, after: datetime) -> datetime:
        return after + timedelta(seconds=0.05)

    async def run_briefly() -> None:
        scheduler = Scheduler(LambdaRuntime(runtime_app), region="us-east-1", next_fire=soon)
        task = asyncio.create_task(scheduler.run())
        for _ in range(100):
            await asyncio.sleep(0.02)
            if len(fired) >= 3:
                break
        task.cancel()

    asyncio.run(run_briefly())

    assert len(fired) >= 3
    assert fired[0]["detail-type"] == "Scheduled Event" and fired[0]["source"] == "aws.events"
    assert fired[0]["resources"][0].endswith(":rule/tiny-local-sweep-event")


@pytest.mark.parametrize(
    "name",
    [
        "export_worker",
        "tiny-dev-export_worker",
        "arn:aws:lambda:us-east-1:123456789012:function:tiny-prod-export_worker",
        "arn:aws:lambda:us-east-1:123456789012:function:tiny-prod-export_worker:live",
    ],
)
def test_invoke_finds_a_function_by_any_of_its_names(name):
    function = LambdaRuntime(tiny_app([])).invocable_function(name)

    assert function is not None and function.name == "export_worker"


def test_invoke_does_not_reach_rest_handlers():
    app = tiny_app([])

    @app.route("/secret")
    def secret() -> dict[str, str]:
        return {}

    assert LambdaRuntime(app).invocable_function("secret") is None
