"""Accounts and branches (issue 13 item 6, issue 14 item 3): passwords, tokens that die with
their user, and branch editing that keeps what was typed when it is refused.

The token tests are the regression for "API tokens come back": before the fix, disabling a user
kept their token and re-enabling them made it valid again, with whatever role they now had.
"""

from __future__ import annotations

import re

from aiohttp import ClientSession
from sqlalchemy import select

from archive.branches import add_branch
from archive.models import AuditEvent, Branch, User
from archive.users import get_user
from tests.web.conftest import PASSWORD, WebFixture, jar, signed_in


async def _status_with_token(app: WebFixture, token: str) -> int:
    async with (
        ClientSession() as s,
        s.get(app.url("/api/v1/me"), headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        return r.status


async def _post(app: WebFixture, session: ClientSession, path: str, data: dict[str, str]) -> int:
    csrf = await app.csrf(session)
    async with session.post(
        app.url(path), data={**data, "csrf_token": csrf}, allow_redirects=False
    ) as r:
        await r.read()
        return r.status


def _user_id(app: WebFixture, name: str) -> int:
    with app.rt.db.session() as s:
        return get_user(s, name).id


def _actions(app: WebFixture, user_id: int) -> list[tuple[str, dict[str, object]]]:
    with app.rt.db.session() as s:
        rows = s.execute(
            select(AuditEvent).where(AuditEvent.object_id == str(user_id)).order_by(AuditEvent.id)
        ).scalars()
        return [(e.action, dict(e.detail or {})) for e in rows if e.object_type == "user"]


async def test_disabled_user_token_stays_dead_after_re_enabling(webapp: WebFixture) -> None:
    token = webapp.tokens["staff"]
    staff = _user_id(webapp, "staff")
    assert await _status_with_token(webapp, token) == 200
    admin = await signed_in(webapp, "admin")
    try:
        assert await _post(webapp, admin, f"/users/{staff}", {"role": "staff"}) == 303
        assert await _status_with_token(webapp, token) == 401
        # Re-enabled, even with a stronger role: the old token must not come back.
        form = {"role": "admin", "active": "1"}
        assert await _post(webapp, admin, f"/users/{staff}", form) == 303
        assert await _status_with_token(webapp, token) == 401
    finally:
        await admin.close()
    actions = _actions(webapp, staff)
    assert ("token.revoke", {"reason": "user.update"}) in actions
    assert ("user.update", {"active": False}) in actions


async def test_role_change_and_password_reset_revoke_the_token(webapp: WebFixture) -> None:
    auditor = _user_id(webapp, "auditor")
    admin = await signed_in(webapp, "admin")
    try:
        form = {"role": "staff", "active": "1"}
        assert await _post(webapp, admin, f"/users/{auditor}", form) == 303
        assert await _status_with_token(webapp, webapp.tokens["auditor"]) == 401
        # The staff user signs in, then the admin resets their password: sessions end too.
        staff = await signed_in(webapp, "staff")
        try:
            new = "a brand new password 7"
            staff_id = _user_id(webapp, "staff")
            assert await _post(webapp, admin, f"/users/{staff_id}/password", {"password": new})
            assert await _status_with_token(webapp, webapp.tokens["staff"]) == 401
            async with staff.get(webapp.url("/account"), allow_redirects=False) as r:
                assert r.status == 302  # signed out
            async with ClientSession(cookie_jar=jar()) as fresh:
                assert await webapp.login(fresh, "staff", PASSWORD) != 302
                assert await webapp.login(fresh, "staff", new) == 302
            # Too short: refused with a reason, nothing changed.
            short = await _post(webapp, admin, f"/users/{staff_id}/password", {"password": "x"})
            assert short == 400
        finally:
            await staff.close()
    finally:
        await admin.close()
    assert ("user.password_reset", {}) in _actions(webapp, _user_id(webapp, "staff"))


async def test_admin_revokes_another_users_token(webapp: WebFixture) -> None:
    staff = _user_id(webapp, "staff")
    assert await _status_with_token(webapp, webapp.tokens["staff"]) == 200
    admin = await signed_in(webapp, "admin")
    try:
        async with admin.get(webapp.url("/users")) as r:
            assert f'action="/users/{staff}/token/revoke"' in await r.text()
        assert await _post(webapp, admin, f"/users/{staff}/token/revoke", {}) == 303
        assert await _post(webapp, admin, "/users/999999/token/revoke", {}) == 404
    finally:
        await admin.close()
    assert await _status_with_token(webapp, webapp.tokens["staff"]) == 401
    assert await _status_with_token(webapp, webapp.tokens["admin"]) == 200
    assert ("token.revoke", {"reason": "admin"}) in _actions(webapp, staff)


async def test_change_own_password_needs_the_current_one(webapp: WebFixture) -> None:
    me = await signed_in(webapp, "staff")
    other = await signed_in(webapp, "staff")  # a second browser of the same person
    new = "my own new password 9"
    try:
        wrong = {"current": "not my password", "password": new, "repeat": new}
        assert await _post(webapp, me, "/account/password", wrong) == 400
        assert await _status_with_token(webapp, webapp.tokens["staff"]) == 200
        mismatch = {"current": PASSWORD, "password": new, "repeat": new + "x"}
        assert await _post(webapp, me, "/account/password", mismatch) == 400
        good = {"current": PASSWORD, "password": new, "repeat": new}
        assert await _post(webapp, me, "/account/password", good) == 303
        async with me.get(webapp.url("/account?lang=uk"), allow_redirects=False) as r:
            assert r.status == 200  # this browser stays signed in
        async with other.get(webapp.url("/account"), allow_redirects=False) as r:
            assert r.status == 302  # the other one is signed out
        assert await _status_with_token(webapp, webapp.tokens["staff"]) == 401
    finally:
        await me.close()
        await other.close()
    async with ClientSession(cookie_jar=jar()) as fresh:
        assert await webapp.login(fresh, "staff", new) == 302
    actions = [a for a, _ in _actions(webapp, _user_id(webapp, "staff"))]
    assert "user.password_change_failed" in actions and "user.password_change" in actions


async def test_account_page_shows_the_password_form_in_both_languages(webapp: WebFixture) -> None:
    me = await signed_in(webapp, "auditor")
    try:
        async with me.get(webapp.url("/account?lang=uk")) as r:
            uk = await r.text()
        async with me.get(webapp.url("/account?lang=en")) as r:
            en = await r.text()
    finally:
        await me.close()
    assert "Поточний пароль" in uk and 'action="/account/password"' in uk
    assert "Current password" in en


async def test_branch_edit_keeps_what_was_typed_when_refused(webapp: WebFixture) -> None:
    with webapp.rt.db.session() as s:
        first = add_branch(
            s, "Готель «Дніпро», рецепція", "Дніпро, просп. Яворницького, 10", "desk@hotel.example"
        )
        add_branch(
            s,
            "Готель «Дніпро», бухгалтерія",
            "Дніпро, просп. Яворницького, 10",
            "accounts@hotel.example",
        )
        first_id = first.id
    admin = await signed_in(webapp, "admin")
    try:
        csrf = await webapp.csrf(admin)
        typed = {
            "name": "Готель «Дніпро», нова рецепція",
            "address": "Дніпро, вул. Нова, 5",
            "email": "accounts@hotel.example",  # another branch's address: refused
            "organization": "ТОВ «Готель Дніпро»",
        }
        async with admin.post(
            webapp.url(f"/branches/{first_id}"), data={**typed, "csrf_token": csrf}
        ) as r:
            assert r.status == 400
            body = await r.text()
        form = body[body.index(f'action="/branches/{first_id}"') :]
        form = form[: form.index("</form>")]
        values = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', form))
        assert values["name"] == "Готель «Дніпро», нова рецепція"
        assert values["address"] == "Дніпро, вул. Нова, 5"
        assert values["email"] == "accounts@hotel.example"
        assert "ТОВ" in values["organization"]
        with webapp.rt.db.session() as s:
            row = s.get(Branch, first_id)
            assert row is not None and row.email == "desk@hotel.example"  # nothing changed
        typed["email"] = "Reception@Hotel.Example"
        assert await _post(webapp, admin, f"/branches/{first_id}", typed) == 303
    finally:
        await admin.close()
    with webapp.rt.db.session() as s:
        row = s.get(Branch, first_id)
        assert row is not None
        assert (row.name, row.address, row.email, row.organization) == (
            "Готель «Дніпро», нова рецепція",
            "Дніпро, вул. Нова, 5",
            "reception@hotel.example",
            "ТОВ «Готель Дніпро»",
        )
        assert row.address_changed_at is not None
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "branch.update")
        ).scalar_one()
        assert set(event.detail["fields"]) == {"name", "address", "email", "organization"}
        assert s.execute(select(User).where(User.username == "admin")).scalar_one()
