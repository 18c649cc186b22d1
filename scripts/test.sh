#!/usr/bin/env bash
# Install everything (test tools and headless Chromium included) and run the test suite.
# DATABASE_URL selects the database (default: SQLite). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
export CIVICLOOP_REQUIRE_BROWSER="${CIVICLOOP_REQUIRE_BROWSER:-1}"
exec .venv/bin/python -m pytest -q -n "${PYTEST_WORKERS:-auto}" "$@"
