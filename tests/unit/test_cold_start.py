"""What `import app` loads: every function of the product pays it at a cold
start (docs/performance.md, "Cold start"). The handlers' registrations, the
records (models.py, PynamoDB) and pushing (realtime.py), the Actor every handler
builds and the WebSocket frame budget its dispatch table names; every other
service is imported by the code that calls it, when it first does, and the heavy
libraries when first used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# access: Actor and Caller; frames (with heads and retries): the Handling of api/ws.py's
# dispatch table.
SERVICES_AT_IMPORT = {"access", "frames", "heads", "retries"}
# Imported where they are first used: Powertools at the first invocation
# (chalicelib/observe.py), the others by the code that needs them.
LIBRARIES_LATER = ("aws_lambda_powertools", "openpyxl", "argon2", "jwt", "holidays",
                   "ua_parser", "filetype", "boto3")


def _loaded_by_import_app() -> set[str]:
    code = "import json, sys, app; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_import_app_loads_only_what_every_request_needs():
    loaded = _loaded_by_import_app()
    services = {m.split(".")[-1] for m in loaded if m.startswith("chalicelib.services.")}
    assert services == SERVICES_AT_IMPORT, (
        "a route module imports a service at its top: import it in the handler "
        "that calls it (chalicelib/api/__init__.py)")
    assert not [lib for lib in LIBRARIES_LATER if lib in loaded]
