"""`diia-inbox serve` as `make run` starts it: health, the Ukrainian login page, the admin."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def test_serve_health_login_and_first_admin(tmp_path: Path) -> None:
    web, smtp = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIIA_INBOX_")}
    cmd = [
        sys.executable,
        "-m",
        "diia_inbox.cli",
        "serve",
        "--data",
        str(tmp_path / "d"),
        "--web",
        f"127.0.0.1:{web}",
        "--smtp",
        f"127.0.0.1:{smtp}",
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        wait_http(f"http://127.0.0.1:{web}/healthz", proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/healthz") as resp:
            assert resp.status == 200
            assert resp.read() == b'{"status": "ok"}'
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/login") as resp:
            page = resp.read().decode()
        assert '<html lang="uk">' in page
        assert "Вхід" in page and "Пароль" in page
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    match = re.search(r"created user 'admin' with password (\S+)", out)
    assert match, out
    # The password is printed once: a second start does not create or print another.
    proc2 = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        wait_http(f"http://127.0.0.1:{web}/healthz", proc2)
    finally:
        proc2.send_signal(signal.SIGTERM)
        out2, _ = proc2.communicate(timeout=30)
    assert "created user" not in out2
