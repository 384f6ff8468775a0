#!/usr/bin/env bash
# Run Amends on this machine: bash scripts/run.sh [amends run options, e.g. --port 8080 --no-demo]
# Creates .venv and installs Amends if needed, then `amends run`: embedded SQLite (WAL) in var/,
# the web app and the worker on http://127.0.0.1:8000/. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
venv_ensure
exec .venv/bin/amends run "$@"
