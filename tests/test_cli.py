"""The `diia-inbox` command as a user meets it: real subprocesses, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = [sys.executable, "-m", "diia_inbox.cli"]


def run(
    args: list[str], *, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DIIA_INBOX_")}
    full_env.update(env or {})
    return subprocess.run(
        EXE + args, input=stdin, capture_output=True, text=True, timeout=120, env=full_env, cwd=cwd
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr


def test_branch_add_list_and_duplicate(tmp_path: Path) -> None:
    data = ["--data", str(tmp_path / "d")]
    ok = run(
        [
            "branch",
            "add",
            *data,
            "--name",
            "Готель «Дніпро»",
            "--address",
            "м. Дніпро, просп. Яворницького, 10",
            "--email",
            "Reception@Hotel.Example",
        ]
    )
    assert ok.returncode == 0, ok.stderr
    dup = run(
        [
            "branch",
            "add",
            *data,
            "--name",
            "Інша",
            "--address",
            "Інша адреса",
            "--email",
            "reception@hotel.example",
        ]
    )
    assert dup.returncode == 1
    assert_one_line_error(dup)
    assert "already belongs" in dup.stderr
    listing = run(["branch", "list", *data, "--json"])
    assert listing.returncode == 0
    rows = json.loads(listing.stdout)
    assert [(r["name"], r["email"]) for r in rows] == [
        ("Готель «Дніпро»", "reception@hotel.example")
    ]


def test_two_installations_side_by_side(tmp_path: Path) -> None:
    for name in ("a", "b"):
        proc = run(
            [
                "branch",
                "add",
                "--data",
                str(tmp_path / name),
                "--name",
                f"Відділення {name}",
                "--address",
                "адреса",
                "--email",
                f"{name}@example.org",
            ]
        )
        assert proc.returncode == 0, proc.stderr
    rows_a = json.loads(run(["branch", "list", "--data", str(tmp_path / "a"), "--json"]).stdout)
    rows_b = json.loads(run(["branch", "list", "--data", str(tmp_path / "b"), "--json"]).stdout)
    assert [r["email"] for r in rows_a] == ["a@example.org"]
    assert [r["email"] for r in rows_b] == ["b@example.org"]


def test_user_add_from_stdin(tmp_path: Path) -> None:
    data = ["--data", str(tmp_path / "d")]
    ok = run(
        ["user", "add", *data, "--username", "olena", "--role", "staff", "--password-stdin"],
        stdin="a long enough secret\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert "a long enough secret" not in ok.stdout + ok.stderr
    for args, stdin in [
        (["--username", "olena", "--role", "staff", "--password-stdin"], "another long secret\n"),
        (["--username", "ivan", "--role", "staff", "--password-stdin"], "short\n"),
        (["--username", "ivan", "--role", "staff", "--password-stdin"], ""),
    ]:
        proc = run(["user", "add", *data, *args], stdin=stdin)
        assert_one_line_error(proc)
    listing = run(["user", "list", *data, "--json"])
    assert [u["username"] for u in json.loads(listing.stdout)] == ["olena"]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["nonsense-verb"],
        ["branch"],
        ["branch", "add"],
        ["branch", "add", "--name", "x"],
        ["user", "add", "--username", "x", "--role", "king", "--password-stdin"],
        ["serve", "--web", "nohost"],
    ],
)
def test_usage_errors_exit_64_without_traceback(tmp_path: Path, args: list[str]) -> None:
    proc = run(args, cwd=tmp_path)
    assert proc.returncode == 64, proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = {"DIIA_INBOX_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none"}
    proc = run(["branch", "list", "--data", str(tmp_path)], env=env)
    assert proc.returncode == 69
    assert_one_line_error(proc)
    assert "database unavailable" in proc.stderr


def test_bad_config_file_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[web]\nport = 'eighty'\n", encoding="utf-8")
    for args in (["--config", str(cfg)], ["--config", str(tmp_path / "missing.toml")]):
        proc = run(["branch", "list", "--data", str(tmp_path), *args])
        assert proc.returncode == 1
        assert_one_line_error(proc)


def test_every_verb_takes_data_and_config(tmp_path: Path) -> None:
    from diia_inbox.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "verb")
    for name, verb_parser in sub.choices.items():  # type: ignore[union-attr]
        if name == "verify":
            continue  # verify parses its own options (see verify.cli); checked below
        leaves = [verb_parser]
        for action in verb_parser._actions:
            if getattr(action, "choices", None) and isinstance(action.choices, dict):
                leaves = list(action.choices.values())
        for leaf in leaves:
            opts = {o for a in leaf._actions for o in a.option_strings}
            assert {"--data", "--config"} <= opts, (name, leaf.prog)


def test_serve_with_inconsistent_tls_settings_is_one_line(tmp_path: Path) -> None:
    env = {"DIIA_INBOX_INGEST_REQUIRE_TLS": "1"}
    from tests.test_serve import free_port

    proc = run(
        [
            "serve",
            "--data",
            str(tmp_path),
            "--web",
            f"127.0.0.1:{free_port()}",
            "--smtp",
            f"127.0.0.1:{free_port()}",
        ],
        env=env,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "TLS_CONFIG_INVALID" in proc.stderr


def test_the_verb_table_names_every_verb_and_its_module() -> None:
    """`diia_inbox.cli.VERBS` (which module to import for a verb) matches what modules register."""
    import importlib

    from diia_inbox.cli import VERBS
    from diia_inbox.cli_common import Parser, common_parser

    registered: dict[str, str] = {}
    for name in sorted(set(VERBS.values())):
        parser = Parser(prog="x")
        sub = parser.add_subparsers(dest="verb", parser_class=Parser)
        importlib.import_module(f"diia_inbox.{name}").register(sub, common_parser())
        for verb in sub.choices:
            registered[verb] = name
    assert registered == VERBS


def test_verify_loads_no_database_code(tmp_path: Path) -> None:
    """The verify verb imports only what it uses: no SQLAlchemy, no Alembic."""
    vectors = Path(__file__).resolve().parent / "vectors"
    code = (
        "import sys\n"
        "from diia_inbox.cli import main\n"
        f"rc = main(['verify', {str(vectors / 'cms' / 'message.p7')!r}, '--trust',"
        f" {str(vectors / 'certs' / 'SELF_SIGNED1.cer')!r}, '--at', 'signing-time'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('sqlalchemy', 'alembic', 'aiohttp', 'whoosh', 'pypdf'))\n"
        "print(rc, heavy)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert proc.stdout.strip().splitlines()[-1] == "0 []", proc.stderr
