#!/usr/bin/env bash
# Install, build a demo city on the embedded SQLite database and serve on 127.0.0.1.
#   PORT=8000 SIZE=small SEED=1 scripts/serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
PY=.venv/bin/python
$PY manage.py migrate --noinput
has_city='from civicloop.orgs.models import Area; raise SystemExit(0 if Area.objects.exists() else 1)'
if ! $PY manage.py shell -c "$has_city"; then
  $PY manage.py demo_city --size "${SIZE:-small}" --seed "${SEED:-1}"
fi
echo "==> CivicLoop: http://127.0.0.1:${PORT:-8000}/  (演示账号见上方列表)"
exec $PY manage.py runserver "127.0.0.1:${PORT:-8000}"
