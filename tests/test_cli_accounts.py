"""`diia-inbox user passwd|disable|enable|revoke-token` and `branch edit`, as real subprocesses
against one installation, checked through the archive itself (the token a script would use)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from archive.models import AuditEvent
from archive.users import authenticate, issue_token, user_for_token
from tests.test_cli import assert_one_line_error, run


def _open(data_dir: Path):  # type: ignore[no-untyped-def]
    from diia_inbox.config import load_config
    from diia_inbox.runtime import Runtime

    return Runtime.open(load_config(data_dir=data_dir, env={}))


def test_user_passwd_disable_enable_revoke(tmp_path: Path) -> None:
    d = tmp_path / "d"
    data = ["--data", str(d)]
    add = ["user", "add", *data, "--username", "olena", "--role", "staff", "--password-stdin"]
    assert run(add, stdin="the first password\n").returncode == 0
    rt = _open(d)
    try:
        with rt.db.session() as s:
            token = issue_token(s, "olena")

        def token_works() -> bool:
            with rt.db.session() as s:
                return user_for_token(s, token) is not None

        assert token_works()
        proc = run(["user", "disable", "olena", *data])
        assert proc.returncode == 0 and "API token revoked" in proc.stdout, proc.stderr
        assert not token_works()
        assert run(["user", "enable", "olena", *data]).returncode == 0
        assert not token_works()  # re-enabling does not bring the old token back
        listing = json.loads(run(["user", "list", *data, "--json"]).stdout)
        assert listing == [{"username": "olena", "role": "staff", "active": True}]

        with rt.db.session() as s:
            token = issue_token(s, "olena")
        proc = run(["user", "passwd", "olena", *data, "--password-stdin"], stdin="the second one\n")
        assert proc.returncode == 0, proc.stderr
        assert "the second one" not in proc.stdout + proc.stderr
        assert not token_works()
        with rt.db.session() as s:
            assert authenticate(s, "olena", "the first password") is None
            assert authenticate(s, "olena", "the second one") is not None
            token = issue_token(s, "olena")
        assert run(["user", "revoke-token", "olena", *data]).returncode == 0
        assert not token_works()
        with rt.db.session() as s:
            actions = [
                (e.actor, e.action, e.detail.get("reason"))
                for e in s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
                if e.object_type == "user"
            ]
    finally:
        rt.close()
    assert ("cli", "token.revoke", "disable") in actions
    assert ("cli", "token.revoke", "password") in actions
    assert ("cli", "token.revoke", "revoke-token") in actions
    assert ("cli", "user.password_reset", None) in actions
    for bad, stdin in (
        (["user", "passwd", "nobody", *data, "--password-stdin"], "long enough pw\n"),
        (["user", "passwd", "olena", *data, "--password-stdin"], "short\n"),
        (["user", "disable", "nobody", *data], ""),
    ):
        assert_one_line_error(run(bad, stdin=stdin))


def test_branch_edit(tmp_path: Path) -> None:
    data = ["--data", str(tmp_path / "d")]
    for name, email in (
        ("Готель «Дніпро», рецепція", "desk@hotel.example"),
        ("Готель «Дніпро», бухгалтерія", "acc@hotel.example"),
    ):
        add = [
            "branch",
            "add",
            *data,
            "--name",
            name,
            "--address",
            "Дніпро, просп. Яворницького, 10",
            "--email",
            email,
        ]
        assert run(add).returncode == 0
    ok = run(
        [
            "branch",
            "edit",
            "1",
            *data,
            "--address",
            "Дніпро, вул. Нова, 5",
            "--organization",
            "ТОВ «Готель Дніпро»",
        ]
    )
    assert ok.returncode == 0, ok.stderr
    assert "address, organization changed" in ok.stdout
    assert_one_line_error(run(["branch", "edit", "1", *data, "--email", "ACC@hotel.example"]))
    assert_one_line_error(run(["branch", "edit", "1", *data, "--name", "  "]))
    assert_one_line_error(run(["branch", "edit", "9", *data, "--name", "Інше відділення"]))
    rows = json.loads(run(["branch", "list", *data, "--json"]).stdout)
    assert rows[0]["address"] == "Дніпро, вул. Нова, 5"
    assert rows[0]["organization"] == "ТОВ «Готель Дніпро»"
    assert rows[0]["email"] == "desk@hotel.example"
