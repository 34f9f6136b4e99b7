"""`diia-inbox serve` as `make run` starts it: probes, metrics, the Ukrainian login page, the
first admin."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.support.serve import free_port
from verify import native


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
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/livez") as resp:
            assert resp.status == 200
            assert json.loads(resp.read()) == {"status": "ok"}
        for probe in ("/readyz", "/healthz"):
            with urllib.request.urlopen(f"http://127.0.0.1:{web}{probe}") as resp:
                assert resp.status == 200
                ready = json.loads(resp.read())
            assert ready["status"] == "ok" and ready["failed"] == {}
            assert set(ready["checks"]) == {
                "database",
                "spool",
                "index",
                "blobs",
                "configuration",
                "blob_probe",
            }
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/metrics") as resp:
            assert resp.headers["Content-Type"].startswith("text/plain; version=")
            families = {f.name: f for f in text_string_to_metric_families(resp.read().decode())}
        # Standard collectors, every part's metrics and readiness per check, in one registry.
        for name in (
            "process_cpu_seconds",
            "process_resident_memory_bytes",
            "python_info",
            "python_gc_collections",
            "diia_inbox_messages_received",
            "diia_inbox_processing_seconds",
            "diia_inbox_search_seconds",
            "diia_inbox_queue_depth",
            "diia_inbox_qr_codes_expired",
            "diia_inbox_ready",
        ):
            assert name in families, name
        assert families["diia_inbox_processing_seconds"].type == "histogram"
        assert families["diia_inbox_search_seconds"].type == "histogram"
        # The accelerator the service uses: native wherever the extension was built (serve runs
        # without DIIA_INBOX_NATIVE here).
        (crypto,) = families["diia_inbox_crypto_info"].samples
        built = native.extension_built()
        assert crypto.labels == {
            "implementation": "native" if built else "python",
            "extension_built": "yes" if built else "no",
        }
        assert crypto.value == 1
        ready_gauge = {s.labels["check"]: s.value for s in families["diia_inbox_ready"].samples}
        assert set(ready_gauge) == set(ready["checks"]) and set(ready_gauge.values()) == {1}
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
