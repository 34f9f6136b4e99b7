"""`diia-inbox verify` exit codes, JSON output and one-line refusals of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from verify.cli import main

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
MESSAGE = VECTORS / "cms" / "message.p7"
DETACHED = VECTORS / "cms" / "message_detached.p7"
ANCHOR = VECTORS / "certs" / "SELF_SIGNED1.cer"
OTHER_ANCHOR = VECTORS / "certs" / "CZOROOT.cer"
AT = "2018-10-22T19:25:05Z"


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_passed_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, MESSAGE, "--trust", ANCHOR, "--at", "signing-time")
    assert code == 0
    assert out.startswith("Result: signature is valid")


def test_json_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(
        capsys,
        DETACHED,
        "--content",
        _content(tmp_path, b"123"),
        "--trust",
        ANCHOR,
        "--at",
        AT,
        "--json",
    )
    assert code == 0
    d = json.loads(out)
    assert d["indication"] == "TOTAL_PASSED"
    assert d["content"] == {"attached": False, "sha256": d["content"]["sha256"], "size": 3}
    assert d["signing_time"] == AT


def test_ukrainian_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, MESSAGE, "--trust", ANCHOR, "--at", AT, "--lang", "uk")
    assert code == 0 and out.startswith("Результат: підпис дійсний")


def test_failed_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(
        capsys,
        DETACHED,
        "--content",
        _content(tmp_path, b"124"),
        "--trust",
        ANCHOR,
        "--at",
        AT,
        "--json",
    )
    assert code == 1
    assert json.loads(out)["sub_indication"] == "HASH_FAILURE"


def test_indeterminate_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, MESSAGE, "--trust", OTHER_ANCHOR, "--at", AT, "--json")
    assert code == 2
    assert json.loads(out)["sub_indication"] == "NO_CERTIFICATE_CHAIN_FOUND"


def test_hard_revocation_on_self_signed_anchor_still_passes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The signer is itself the anchor: there is nothing to check revocation of.
    code, _, _ = run(capsys, MESSAGE, "--trust", ANCHOR, "--at", AT, "--revocation", "hard")
    assert code == 0


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--bogus"],
        [str(MESSAGE), "--revocation", "sometimes"],
        [str(MESSAGE), "--at", "yesterday"],
        [str(MESSAGE), "--trust", "/nonexistent/anchor.cer"],
        [str(MESSAGE), "--content", "/nonexistent/content.pdf"],
    ],
)
def test_usage_errors_exit_64(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code = main(argv)
    _, err = capsys.readouterr()
    assert code == 64
    assert "usage" in err
    assert "Traceback" not in err


def _content(tmp: Path, data: bytes) -> Path:
    path = tmp / "content.bin"
    path.write_bytes(data)
    return path


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    message = MESSAGE.read_bytes()
    files = {
        "garbage": b"this is not a signature at all\n",
        "empty": b"",
        "truncated": message[: len(message) // 2],
        "pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        "certificate": (VECTORS / "certs" / "CZOROOT.cer").read_bytes(),
        "sequence_garbage": b"\x30\x82\x01\x00" + b"\x01" * 256,
    }
    out = {}
    for key, data in files.items():
        path = tmp / f"{key}.p7s"
        path.write_bytes(data)
        out[key] = path
    out["missing"] = tmp / "missing.p7s"
    return out


@pytest.mark.parametrize(
    "kind", ["garbage", "empty", "truncated", "pdf", "certificate", "sequence_garbage", "missing"]
)
def test_unreadable_signature_exits_65(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    path = _bad_inputs(tmp_path)[kind]
    code, out, err = run(capsys, path, "--trust", ANCHOR)
    assert code == 65
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_large_random_file_exits_65(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "random.p7s"
    with path.open("wb") as fh:
        fh.write(b"\x30\x84\x7f\xff\xff\xff")  # a SEQUENCE header claiming 2 GiB
        fh.write(os.urandom(50 * 1024 * 1024))
    code, _, err = run(capsys, path, "--trust", ANCHOR)
    assert code == 65
    assert len(err.strip().splitlines()) == 1


def test_subprocess_entry_point(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "verify.cli",
            str(MESSAGE),
            "--trust",
            str(ANCHOR),
            "--at",
            AT,
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["indication"] == "TOTAL_PASSED"
    bad = tmp_path / "bad.p7s"
    bad.write_bytes(b"%PDF-1.4 not a signature")
    refused = subprocess.run(
        [sys.executable, "-m", "verify.cli", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert refused.returncode == 65
    assert "Traceback" not in refused.stderr and refused.stderr.count("\n") == 1


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "--revocation" in out and "65" in out
