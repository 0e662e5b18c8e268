#!/usr/bin/env bash
# Start what the test suite needs when it is missing: PostgreSQL on loopback and Chromium.
# Safe to run repeatedly; prints what it did.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-chromium.sh
exec scripts/ensure-postgres.sh
