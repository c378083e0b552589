"""Chalice blueprints: parse the request, call one service, serialize the result.

Every function of the product imports every module here (app.py registers them
all), so a route module imports at its top no service but `access` (the Actor
and Caller every handler builds) and, in ws.py, the frame budget its dispatch
table names; each handler imports the services it calls (api/common.py the
sign-in and audit context, at the first request). tests/unit/test_cold_start.py
holds that; docs/performance.md, "Cold start", has the figures."""
