"""`python -m infra.local` (what `make run` runs)."""

import sys

from infra.local.stack import main

sys.exit(main())
