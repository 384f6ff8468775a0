# Shared by run.sh and test.sh (sourced, not run): a project virtualenv in .venv with Amends installed.
# Re-installs only when pyproject.toml changed since the last install, so later starts are quick.

venv_ensure() {  # venv_ensure [dev]
  local extra=${1:-} spec=. stamp
  [ -n "$extra" ] && spec=".[$extra]"
  if [ ! -x .venv/bin/python ] || [ ! -x .venv/bin/pip ]; then
    echo "Creating .venv (python3 -m venv)…"
    rm -rf .venv
    if ! python3 -m venv .venv; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "python3 -m venv failed; installing Debian's python3-venv…"
        rm -rf .venv
        DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
          DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && python3 -m venv .venv
      else
        echo "error: python3 -m venv failed; install Python 3.11+ with venv (Debian: apt-get install python3-venv)" >&2
        return 1
      fi
    fi
  fi
  stamp=".venv/.amends-installed${extra:+-$extra}"
  local want
  want=$(sha256sum < pyproject.toml | cut -d' ' -f1)
  # A dev install covers the plain one.
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  if [ -z "$extra" ] && [ -f .venv/.amends-installed-dev ] && [ "$(cat .venv/.amends-installed-dev)" = "$want" ]; then
    return 0
  fi
  echo "Installing Amends and its dependencies into .venv (pip install -e \"$spec\")…"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec" || return 1
  echo "$want" > "$stamp"
}
