"""Starting `diia-inbox serve` and finding free ports, for the tests and the benchmarks.

One copy of what four tests and benchmarks each carried: a real `serve` process on loopback
ports, with the caller's environment minus any DIIA_INBOX_* setting (so a developer's shell
cannot change what a test measures), waited for until it answers. The waits are safety nets for
a hung start, not measurements.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without DIIA_INBOX_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIIA_INBOX_")}
    env.update(extra)
    return env


def serve_command(
    data: Path, *, web: int, smtp: int, program: list[str] | None = None
) -> list[str]:
    """The command line of `serve` on loopback ports (`program` replaces the entry point)."""
    base = program or [sys.executable, "-m", "diia_inbox.cli"]
    ports = ["--web", f"127.0.0.1:{web}", "--smtp", f"127.0.0.1:{smtp}"]
    return [*base, "serve", "--data", str(data), *ports]


def smtp_greets(port: int) -> bool:
    """Whether an SMTP server on `port` answers with its 220 greeting (then QUIT)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            if s.recv(100).startswith(b"220"):
                s.sendall(b"QUIT\r\n")
                return True
    except OSError:
        pass
    return False


def http_answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except OSError:
        return False
    return True


def start_serve(
    data: Path,
    *,
    web: int,
    smtp: int,
    log: Path,
    env: dict[str, str] | None = None,
    ready: Literal["smtp", "http"] = "smtp",
    patience: float = 180.0,
) -> subprocess.Popen[bytes]:
    """`serve` writing to `log`, returned once SMTP greets (or /healthz answers)."""
    with open(log, "ab") as fh:
        proc = subprocess.Popen(
            serve_command(data, web=web, smtp=smtp),
            cwd=ROOT,
            env=clean_env(**(env or {})),
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited with {proc.returncode}; see {log}")
        if (
            smtp_greets(smtp)
            if ready == "smtp"
            else http_answers(f"http://127.0.0.1:{web}/healthz")
        ):
            return proc
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"serve did not start in {patience:.0f} s; see {log}")
