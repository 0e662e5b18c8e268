#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:$CERKIT_TEST_PG_PORT (default 5432) with
# trust auth for the `postgres` user and a `test` database, as the tests expect
# (override the whole URL with CERKIT_TEST_PG). In order: use a running server; start an
# installed Debian cluster; as root with apt-get, install PostgreSQL, allow loopback
# connections without a password (the cluster is this machine's test server) and start it.
# Otherwise say so: the PostgreSQL tests then skip with that reason.
set -euo pipefail
PORT="${CERKIT_TEST_PG_PORT:-5432}"

ready() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p "$PORT"; }

start_cluster() {
  local version
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do ready && return 0; sleep 1; done
  return 1
}

ensure_test_database() {
  psql -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" \
    | grep -q 1 || psql -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE test"
}

if ready; then exit 0; fi

if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql)" ]; then
  start_cluster && exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-postgres: installing PostgreSQL with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  sed -i -E 's/^(local\s+all\s+postgres\s+)\S+/\1trust/' "$hba"
  if start_cluster; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
    ensure_test_database
    exit 0
  fi
fi

echo "ensure-postgres: no PostgreSQL server on 127.0.0.1:$PORT; PostgreSQL tests will be skipped" >&2
