"""Chalice blueprints: parse the request, call one service, serialize the result.

Every function of the product imports every module here (app.py registers them
all), so a route module imports at its top only what every request needs (the
sign-in and audit context of api/common.py, the WebSocket frame budget); each
handler imports the services it calls (tests/unit/test_cold_start.py,
docs/performance.md "Cold start")."""
