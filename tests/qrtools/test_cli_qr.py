"""`diia-inbox qr ...` end to end on a temporary installation (SQLite), with real files, the
real decoder and a local SMTP sink for `qr remind`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import segno

from diia_inbox.cli import main
from qrtools.decode import decode_file

from .conftest import ADDRESS, BRANCH, EMAIL, Sink
from .payloads import CYRILLIC, SHORT


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def install(tmp_path: Path, smtp_sink: Sink, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """--data/--config of an installation with one branch, outbound mail to the sink."""
    for name in list(__import__("os").environ):
        if name.startswith("DIIA_INBOX_"):
            monkeypatch.delenv(name)
    config = tmp_path / "diia-inbox.toml"
    config.write_text(
        '[qr]\norganization = "ТОВ «Палаццо Груп»"\n'
        f'[outbound]\nhost = "{smtp_sink.host}"\nport = {smtp_sink.port}\n'
        'sender = "diia-inbox@org.example"\nadmins = ["admin@org.example"]\n',
        encoding="utf-8",
    )
    common = ["--data", str(tmp_path / "data"), "--config", str(config)]
    assert (
        main(["branch", "add", *common, "--name", BRANCH, "--address", ADDRESS, "--email", EMAIL])
        == 0
    )
    return common


def test_the_whole_cycle(
    capsys: pytest.CaptureFixture[str], install: list[str], tmp_path: Path, smtp_sink: Sink
) -> None:
    common = install
    capsys.readouterr()
    code, _out, err = run(
        capsys,
        "qr",
        "service",
        "add",
        *common,
        "--branch",
        "1",
        "--name",
        "Дія готель",
        "--documents",
        "id-card",
    )
    assert code == 1 and "QR_NAME_NOT_SPECIFIC" in err and "not specific" in err
    code, out, _ = run(
        capsys,
        "qr",
        "service",
        "add",
        *common,
        "--branch",
        "1",
        "--name",
        "для поселення у готель",
        "--documents",
        "id-card,taxpayer-card",
    )
    assert code == 0 and out.startswith("service 1:")

    svg = tmp_path / "Дія.QR.svg"
    segno.make(CYRILLIC, micro=False).save(str(svg))
    code, out, _ = run(
        capsys, "qr", "import", *common, str(svg), "--service", "1", "--issued", "2026-01-10"
    )
    assert code == 0 and "valid 10.01.2026 .. 09.01.2027" in out

    code, out, _ = run(capsys, "qr", "list", *common, "--json", "--today", "2026-06-01")
    listed = json.loads(out)
    assert code == 0 and [(c["payload"], c["state"]) for c in listed] == [(CYRILLIC, "active")]

    for today, status in (("2027-01-02", 0), ("2027-01-03", 2), ("2027-01-10", 1)):
        code, out, _ = run(capsys, "qr", "check", *common, "--today", today, "--json")
        assert (code, json.loads(out)["exit_code"]) == (status, status), today
    code, out, _ = run(capsys, "qr", "check", *common, "--today", "2027-01-05")
    assert code == 2 and out.startswith("expiring: 1\texpiring\t09.01.2027")

    for name in ("poster.pdf", "poster.svg"):
        target = tmp_path / name
        code, _out, _err = run(
            capsys, "qr", "poster", *common, "1", "-o", str(target), "--today", "2026-06-01"
        )
        assert code == 0
        assert decode_file(target.read_bytes(), name) == CYRILLIC
    code, _out, err = run(
        capsys, "qr", "poster", *common, "1", "-o", str(tmp_path / "x.pdf"), "--today", "2027-02-01"
    )
    assert code == 1 and "QR_POSTER_UNUSABLE_CODE" in err and not (tmp_path / "x.pdf").exists()

    code, out, _ = run(capsys, "qr", "remind", *common, "--today", "2027-01-04", "--json")
    assert (code, json.loads(out)) == (0, {"sent": [1], "failed": []})
    code, out, _ = run(capsys, "qr", "remind", *common, "--today", "2027-01-05")
    assert (code, out.strip()) == (0, "no reminders due")
    assert len(smtp_sink.envelopes) == 1
    assert sorted(smtp_sink.envelopes[0][1]) == ["admin@org.example", EMAIL]

    code, out, _ = run(capsys, "qr", "retire", *common, "1")
    assert code == 0
    code, out, _ = run(capsys, "qr", "check", *common, "--today", "2027-01-10")
    assert code == 0


def test_import_refusals(
    capsys: pytest.CaptureFixture[str], install: list[str], tmp_path: Path
) -> None:
    common = install
    assert (
        main(
            [
                "qr",
                "service",
                "add",
                *common,
                "--branch",
                "1",
                "--name",
                "для працевлаштування",
                "--documents",
                "id-card",
            ]
        )
        == 0
    )
    blank = tmp_path / "blank.svg"
    blank.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="50" height="50"/>')
    capsys.readouterr()
    code, _out, err = run(capsys, "qr", "import", *common, str(blank), "--service", "1")
    assert code == 65 and "QR_NO_CODE_FOUND" in err
    code, _out, err = run(capsys, "qr", "import", *common, "--service", "1")
    assert code == 64 and "give the code file or --payload" in err
    code, _out, _err = run(
        capsys,
        "qr",
        "import",
        *common,
        "--payload",
        SHORT,
        "--service",
        "1",
        "--issued",
        "2026-03-01",
    )
    assert code == 0
    code, _out, err = run(
        capsys,
        "qr",
        "import",
        *common,
        "--payload",
        CYRILLIC,
        "--service",
        "1",
        "--issued",
        "2026-04-01",
    )
    assert code == 1 and "QR_DUPLICATE_ACTIVE" in err
    code, _out, _err = run(
        capsys,
        "qr",
        "import",
        *common,
        "--payload",
        CYRILLIC,
        "--service",
        "1",
        "--issued",
        "2026-04-01",
        "--replace",
    )
    assert code == 0
    code, out, _ = run(capsys, "qr", "list", *common, "--json", "--today", "2026-04-02")
    assert [c["state"] for c in json.loads(out)] == ["retired", "active"]


def test_payload_from_stdin(
    capsys: pytest.CaptureFixture[str], install: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    common = install
    assert (
        main(
            [
                "qr",
                "service",
                "add",
                *common,
                "--branch",
                "1",
                "--name",
                "для працевлаштування",
                "--documents",
                "id-card",
            ]
        )
        == 0
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(CYRILLIC + "\n"))
    code, _out, _err = run(
        capsys,
        "qr",
        "import",
        *common,
        "--payload",
        "-",
        "--service",
        "1",
        "--issued",
        "2026-03-01",
    )
    assert code == 0
    code, out, _ = run(capsys, "qr", "service", "list", *common, "--json")
    assert json.loads(out)[0]["documents"] == ["id-card"]
    code, out, _ = run(capsys, "qr", "list", *common, "--json", "--today", "2026-03-01")
    assert json.loads(out)[0]["payload"] == CYRILLIC
