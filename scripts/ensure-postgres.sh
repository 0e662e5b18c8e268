#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 (or $CERKIT_TEST_PG_PORT).
set -euo pipefail
PORT="${CERKIT_TEST_PG_PORT:-5432}"
if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p "$PORT"; then
  exit 0
fi
if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$PORT" && exit 0; sleep 1; done
fi
echo "ensure-postgres: no PostgreSQL server on 127.0.0.1:$PORT; PostgreSQL tests will be skipped" >&2
