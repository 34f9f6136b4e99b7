"""A private Postfix instance on loopback, for the tests and bench/smtp.py: its own
configuration, queue and data folders in one folder (`postfix -c DIR start`), listening on a
loopback port and handing every message to one transport. Needs root (Postfix's master drops
privileges to `postfix`) and Debian's postfix package.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.support.serve import free_port

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.test
mydomain = relay.test
myorigin = relay.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = {transport}
relay_transport = {transport}
smtp_dns_support_level = disabled
smtp_tls_security_level = none
lmtp_tls_security_level = none
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
"""

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
lmtp      unix - - n - - lmtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def start_private(folder: Path, transport: str) -> int:
    """Configure and start Postfix in `folder` (world-readable, so user postfix reaches it)
    relaying everything to `transport`; returns the port it listens on once it accepts."""
    port = free_port()
    (folder / "main.cf").write_text(MAIN_CF.format(dir=folder, transport=transport))
    (folder / "master.cf").write_text(MASTER_CF.format(port=port))
    for sub in ("queue", "data"):
        (folder / sub).mkdir()
    shutil.chown(folder / "data", "postfix")
    subprocess.run(["postfix", "-c", str(folder), "start"], check=True, capture_output=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return port
        except OSError:
            time.sleep(0.1)
    raise AssertionError("Postfix did not start:\n" + maillog(folder))


def stop_private(folder: Path) -> None:
    subprocess.run(["postfix", "-c", str(folder), "stop"], capture_output=True)


def maillog(folder: Path) -> str:
    log = folder / "maillog"
    return log.read_text(errors="replace") if log.exists() else "(no maillog)"
