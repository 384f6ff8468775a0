"""Django's deployment checks pass with the production settings the README gives, and fail without them."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_production_settings() -> dict[str, str]:
    """The variables of the README's "production settings" block."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n# production settings[^\n]*\n(.*?)```", text, re.DOTALL)
    assert block, "README.md has no ```sh block starting with '# production settings'"
    return dict(line.split("=", 1) for line in block.group(1).splitlines() if line.strip())


def check_deploy(tmp_path: Path, settings: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AMENDS_")
           and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}  # the last: tests only
    env.update(AMENDS_DATA_DIR=str(tmp_path), **settings)
    return subprocess.run([sys.executable, "-m", "amends.cli", "check", "--deploy", "--fail-level", "WARNING"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_deploy_checks_pass_with_the_readme_production_settings(tmp_path):
    settings = readme_production_settings()
    assert set(settings) >= {"AMENDS_SECRET_KEY", "AMENDS_ALLOWED_HOSTS", "AMENDS_HTTPS", "AMENDS_CSRF_TRUSTED_ORIGINS"}
    settings["AMENDS_SECRET_KEY"] = secrets.token_urlsafe(50)  # generated as the README says
    done = check_deploy(tmp_path, settings)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_deploy_checks_fail_without_https_settings(tmp_path):
    settings = readme_production_settings()
    del settings["AMENDS_HTTPS"]
    done = check_deploy(tmp_path, settings)
    assert done.returncode == 1
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):  # HSTS, redirect, cookies
        assert warning in done.stderr, (warning, done.stderr)
