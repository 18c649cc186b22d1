# Make sure a PostgreSQL server answers on 127.0.0.1:5432 and has a `civicloop` role that may
# create databases (pytest creates test_civicloop). Installs and starts one if needed.

as_postgres() {
  if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -c "$*"; fi
}

ensure_postgres() {
  if ! command -v pg_isready >/dev/null 2>&1; then
    echo "==> installing PostgreSQL"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    echo "==> starting PostgreSQL"
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    if [ -z "$version" ]; then
      version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
      pg_createcluster "$version" main >/dev/null
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  as_postgres psql -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'civicloop') THEN
    CREATE ROLE civicloop LOGIN PASSWORD 'civicloop' CREATEDB;
  END IF;
END $$;
SQL
  if ! as_postgres psql -tAc "SELECT 1 FROM pg_database WHERE datname='civicloop'" | grep -q 1; then
    as_postgres createdb -O civicloop civicloop
  fi
}
