"""The Chalice app: every Lambda of the product. It only wires; the work is in chalicelib/."""

from typing import Any

from chalice import Chalice, Rate

from chalicelib.api import (
    admin,
    auth,
    canned,
    frame,
    hooks,
    observed,
    operator,
    records,
    sweeps,
    widget,
    ws,
)

app = Chalice(app_name="helpdesk-chat")
app.experimental_feature_flags.update(["WEBSOCKETS"])
# Every invocation of every function: its log lines' ids, its metrics (R-OPS-1).
app.register_middleware(observed.observed, "all")

app.register_blueprint(auth.routes)
app.register_blueprint(admin.routes)
app.register_blueprint(widget.routes)
app.register_blueprint(frame.routes)
app.register_blueprint(operator.routes)
app.register_blueprint(records.routes)
app.register_blueprint(canned.routes)
app.register_blueprint(hooks.routes)


@app.on_ws_connect()
def ws_connect(event: Any) -> dict[str, Any]:
    return ws.on_connect(event.to_dict())


@app.on_ws_message()
def ws_message(event: Any) -> dict[str, Any]:
    return ws.on_message(event.to_dict())


@app.on_ws_disconnect()
def ws_disconnect(event: Any) -> dict[str, Any]:
    return ws.on_disconnect(event.to_dict())


@app.schedule(Rate(1, unit=Rate.MINUTES))
def sweep(event: Any) -> None:
    sweeps.run_sweep()


@app.lambda_function(name="export_worker")
def export_worker(event: Any, context: Any) -> None:
    records.run_worker(event)


# Webhook deliveries (R-HOOK-1): SQS on AWS, the local stack's queue locally.
@app.on_sqs_message(queue="helpdesk-webhooks", batch_size=10, name="webhook_sender")
def webhook_sender(event: Any) -> dict[str, Any]:
    return hooks.run_sender(event.to_dict())
