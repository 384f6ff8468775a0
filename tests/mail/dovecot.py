"""A real IMAP server for the tests: Debian's Dovecot, rootless (as `nobody` when we are root), on free
loopback ports, with plain IMAP and STARTTLS on one port and IMAPS on another, and a self-signed
certificate for 127.0.0.1 that the tests trust as their CA (see STACK.md A8)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

USER, PASSWORD = "support@desk.test", "secret-imap-password"


@dataclass
class Dovecot:
    directory: Path
    imap_port: int
    imaps_port: int
    ca_file: str

    def stop(self) -> None:
        _run(["doveadm", "-c", str(self.directory / "dovecot.conf"), "stop"], check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


def dovecot_missing_reason() -> str:
    if shutil.which("dovecot") is None or shutil.which("doveadm") is None:
        return "Dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it in CI)"
    return ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_runner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str], check: bool = True) -> subprocess.CompletedProcess:
    # Output to a file, not a pipe: the daemon keeps its inherited descriptors open.
    with tempfile.TemporaryFile() as out:
        done = subprocess.run(_as_runner(cmd), check=False, stdin=subprocess.DEVNULL, stdout=out,
                              stderr=subprocess.STDOUT, timeout=30)
        out.seek(0)
        done.stdout = out.read()
    if check:
        done.check_returncode()
    return done


def dovecot_start() -> Dovecot:
    directory = Path(tempfile.mkdtemp(prefix="amends-imap-"))
    directory.chmod(0o755)
    (directory / "run" / "state").mkdir(parents=True)
    (directory / "mail").mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(directory / "key.pem"),
         "-out", str(directory / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )
    user = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    group = "nogroup" if os.geteuid() == 0 else user
    imap_port, imaps_port = _free_port(), _free_port()
    (directory / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    (directory / "dovecot.conf").write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {directory}/run
state_dir = {directory}/run/state
instance_name = amends-imap-{imap_port}
log_path = {directory}/dovecot.log
ssl = yes
ssl_cert = <{directory}/cert.pem
ssl_key = <{directory}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{directory}/mail/%u/Maildir
first_valid_uid = 1
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/users
}}
userdb {{
  driver = static
  args = home={directory}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
""")
    if os.geteuid() == 0:
        shutil.chown(directory, "nobody", "nogroup")
        for path in directory.rglob("*"):
            shutil.chown(path, "nobody", "nogroup")
    server = Dovecot(directory, imap_port, imaps_port, str(directory / "cert.pem"))
    result = _run(["dovecot", "-c", str(directory / "dovecot.conf")], check=False)
    if result.returncode != 0:
        log = (directory / "dovecot.log").read_text() if (directory / "dovecot.log").exists() else ""
        server.stop()
        raise RuntimeError(f"dovecot did not start: {result.stdout.decode(errors='replace')} {log}")
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", imap_port), timeout=0.2), \
                    socket.create_connection(("127.0.0.1", imaps_port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("dovecot did not open its ports within 5 s")
