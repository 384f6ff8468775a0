#!/usr/bin/env bash
# The whole test command: bash scripts/test.sh [extra pytest arguments]
# Creates .venv with the dev extras, installs Debian's chromium (browser tests) and dovecot-imapd (IMAP tests) if missing
# (needs root), then: ruff, Django's system checks, the migrations check, the import-linter contracts,
# mypy and the full pytest suite.
# Uses SQLite unless DATABASE_URL is set. Runs every check even after a failure, then exits non-zero
# if any failed ("no tests collected" counts as a failure).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: the browser tests need Debian's chromium (/usr/bin/chromium is missing)." >&2
    echo "       Run this script as root, or first: sudo apt-get install -y chromium" >&2
    exit 1
  fi
  echo "Installing Debian's chromium for the browser tests (apt-get)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

# The IMAP tests run against a real Dovecot that they start themselves; install Debian's package when
# missing (as root), else they skip and say why.
if ! command -v dovecot >/dev/null || ! command -v doveadm >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian's dovecot-imapd for the IMAP tests (apt-get)…"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq dovecot-imapd >/dev/null; } || echo "!! could not install dovecot-imapd" >&2
  else
    echo "note: dovecot is missing and this is not root: the IMAP tests will skip (sudo apt-get install -y dovecot-imapd)" >&2
  fi
fi

venv_ensure dev
export PATH="$PWD/.venv/bin:$PATH"

failed=()
check() {  # check NAME command...: run it, remember a failure, carry on
  echo "--- $1"
  shift
  "$@" || failed+=("$*")
}
check "ruff check ." ruff check .
check "manage.py check" python manage.py check
check "manage.py makemigrations --check --dry-run" python manage.py makemigrations --check --dry-run
check "lint-imports" lint-imports
check "mypy" mypy

echo "--- pytest $*"
rc=0
python -m pytest "$@" || rc=$?
if [ "$rc" = 5 ]; then
  echo "error: pytest collected no tests" >&2
  failed+=("pytest $* (no tests collected)")
elif [ "$rc" != 0 ]; then
  failed+=("pytest $* (exit $rc)")
fi

if [ "${#failed[@]}" != 0 ]; then
  echo "FAILED:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "All checks and tests passed."
