"""The whole product as an organisation runs it: real mail clients and MTAs deliver a Diia-like
copy to `diia-inbox serve`, and it becomes a verified, searchable document.

Three deliveries: swaks straight to our SMTP port, swaks with STARTTLS, and a private Postfix on
loopback relaying to us. Each copy is a real PDF with a detached CAdES P7S from the test PKI
(ECDSA flavour), whose root is the installation's trust anchor.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.ingest.mailmaker import diia_pair, gmail
from tests.ingest.test_postfix import postfix, postfix_dir  # noqa: F401 - fixtures
from tests.support.pdf import DiiaCopy, make_diia_copy_pdf
from tests.support.pki import make_pki, sign_cades
from tests.test_serve import free_port, wait_http

BRANCH = "reception@hotel-dnipro.example"
EXE = [sys.executable, "-m", "diia_inbox.cli"]

pytestmark = pytest.mark.skipif(shutil.which("swaks") is None, reason="needs Debian's swaks")


@dataclass
class Served:
    data: Path
    smtp: int
    web: int
    proc: subprocess.Popen[str]

    def search(self, query: str) -> dict[str, object]:
        out = subprocess.run(
            [*EXE, "search", query, "--json", "--data", str(self.data)],
            capture_output=True,
            text=True,
            timeout=120,
            env=_env(),
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DIIA_INBOX_")}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    procs: list[subprocess.Popen[str]] = []

    def start(anchor: bytes, *, tls: tuple[Path, Path] | None = None) -> Served:
        data = tmp_path / "data"
        (data / "trust").mkdir(parents=True)
        (data / "trust" / "test-root.der").write_bytes(anchor)
        add = subprocess.run(
            [
                *EXE,
                "branch",
                "add",
                "--data",
                str(data),
                "--name",
                "Готель «Дніпро», рецепція",
                "--address",
                "м. Дніпро, просп. Яворницького, 10",
                "--email",
                BRANCH,
            ],
            capture_output=True,
            text=True,
            env=_env(),
        )
        assert add.returncode == 0, add.stderr
        env = _env()
        if tls:
            env["DIIA_INBOX_INGEST_TLS_CERT"], env["DIIA_INBOX_INGEST_TLS_KEY"] = map(str, tls)
        smtp, web = free_port(), free_port()
        proc = subprocess.Popen(
            [
                *EXE,
                "serve",
                "--data",
                str(data),
                "--smtp",
                f"127.0.0.1:{smtp}",
                "--web",
                f"127.0.0.1:{web}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        procs.append(proc)
        wait_http(f"http://127.0.0.1:{web}/healthz", proc)
        return Served(data, smtp, web, proc)

    try:
        yield start
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def diia_mail(number: str) -> tuple[bytes, bytes]:
    """A Gmail-shaped Diia copy with a unique document number, and the PKI's root."""
    pki = make_pki("ecdsa")
    pdf = make_diia_copy_pdf(replace(DiiaCopy(), document_number=number))
    return gmail(diia_pair(pdf, sign_cades(pki, pdf, detached=True)), to=BRANCH), pki.anchor


def wait_for_hit(s: Served, query: str) -> dict[str, object]:
    deadline = time.monotonic() + 90  # a safety net for a hung test, not a measurement
    while time.monotonic() < deadline:
        result = s.search(query)
        if result["total"]:
            return result
        time.sleep(0.5)
    raise AssertionError(f"{query!r} never found")


def check_document(s: Served, number: str) -> None:
    result = wait_for_hit(s, number)
    [hit] = result["hits"]  # type: ignore[misc]
    assert hit["indication"] == "TOTAL_PASSED"
    assert hit["document_type"] == "id-card"
    assert hit["branch"] == "Готель «Дніпро», рецепція"
    by_name = s.search("шевченка")
    assert hit["id"] in [h["id"] for h in by_name["hits"]]  # type: ignore[union-attr]


def swaks(s: Served, raw: bytes, tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    eml = tmp / "copy.eml"
    eml.write_bytes(raw)
    return subprocess.run(
        [
            "swaks",
            "--server",
            "127.0.0.1",
            "--port",
            str(s.smtp),
            "--from",
            "taras.test@example.net",
            "--to",
            BRANCH,
            "--data",
            f"@{eml}",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_swaks_delivery_becomes_a_verified_searchable_document(
    served: Callable[..., Served], tmp_path: Path
) -> None:
    raw, anchor = diia_mail("770000001")
    s = served(anchor)
    sent = swaks(s, raw, tmp_path)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "250 2.0.0 OK queued" in sent.stdout
    check_document(s, "770000001")
    unknown = subprocess.run(
        [
            "swaks",
            "--server",
            "127.0.0.1",
            "--port",
            str(s.smtp),
            "--to",
            "nobody@elsewhere.example",
            "--from",
            "a@b.example",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "550 5.1.1" in unknown.stdout


def test_swaks_tls_delivery(served: Callable[..., Served], tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ],
        capture_output=True,
    )
    assert made.returncode == 0
    raw, anchor = diia_mail("770000002")
    s = served(anchor, tls=(cert, key))
    sent = swaks(s, raw, tmp_path, "--tls")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "TLS started" in sent.stdout
    check_document(s, "770000002")


@pytest.mark.skipif(
    shutil.which("postfix") is None or os.geteuid() != 0, reason="needs Debian's postfix and root"
)
def test_postfix_relay_becomes_a_verified_searchable_document(
    served: Callable[..., Served],
    postfix: Callable[[str], int],  # noqa: F811
) -> None:
    import smtplib

    raw, anchor = diia_mail("770000003")
    s = served(anchor)
    port = postfix(f"smtp:[127.0.0.1]:{s.smtp}")
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail("taras.test@example.net", [BRANCH], raw)
    check_document(s, "770000003")
