"""OAuth2 for IMAP against local stand-ins: Dovecot's oauth2 passdb asks a token-introspection
endpoint served by the test on 127.0.0.1, which also serves the device-code and token
endpoints. No real provider is ever reached."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archive import mailboxes
from diia_inbox.imap_service import mailbox_ring
from ingest.accounts import stored_accounts
from ingest.imap import ImapPoller, connect, probe
from ingest.oauth import OAuthClient, TokenSource
from ingest.settings import IngestSettings
from ingest.spool import Spool
from tests.ingest.oauth_provider import Provider, running_provider
from tests.ingest.test_imap import USER, Dovecot, running_dovecot
from tests.test_cli import run


@contextlib.contextmanager
def oauth_dovecot() -> Iterator[tuple[Dovecot, Provider]]:
    with running_provider(USER) as provider:
        conf_dir = Path(tempfile.mkdtemp(prefix="diia-oauth-"))
        conf_dir.chmod(0o755)
        conf = conf_dir / "oauth2.conf.ext"
        conf.write_text(
            "introspection_mode = post\n"
            f"introspection_url = {provider.url('/introspect')}\n"
            "force_introspection = yes\n"
            "username_attribute = username\n"
            "active_attribute = active\nactive_value = true\n"
        )
        conf.chmod(0o644)
        extra = (
            "auth_mechanisms = plain login xoauth2 oauthbearer\n"
            "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
            f"  args = {conf}\n}}\n"
        )
        with running_dovecot(extra=extra) as server:
            yield server, provider


def _client(provider: Provider) -> OAuthClient:
    return OAuthClient("google", "test-client", "", provider.url("/device"),
                       provider.url("/token"), "https://mail.google.com/")  # fmt: skip


def test_device_login_then_test_over_xoauth2(tmp_path: Path) -> None:
    with oauth_dovecot() as (server, provider):
        config = tmp_path / "diia.toml"
        config.write_text(
            "[ingest]\n"
            'oauth_google_client_id = "test-client"\n'
            f'oauth_device_url = "{provider.url("/device")}"\n'
            f'oauth_token_url = "{provider.url("/token")}"\n'
        )
        data = ["--data", str(tmp_path / "d"), "--config", str(config)]
        added = run(["imap", "add", "gm", *data, "--host", "127.0.0.1", "--port",
                     str(server.port), "--tls", "none", "--user", USER, "--password-stdin"],
                    stdin="placeholder password\n")  # fmt: skip
        assert added.returncode == 0, added.stderr
        login = run(["imap", "login", "--provider", "google", "--account", "gm", *data])
        assert login.returncode == 0, login.stdout + login.stderr
        assert "ABCD-EFGH" in login.stdout and provider.url("/activate") in login.stdout
        # Two "authorization_pending" answers, then the tokens.
        assert (
            provider.calls[:4] == ["device"] + ["urn:ietf:params:oauth:grant-type:device_code"] * 3
        )
        refresh_token = next(iter(provider.refresh_tokens))

        tested = run(["imap", "test", "gm", *data])
        assert tested.returncode == 0, tested.stdout + tested.stderr
        assert "1 messages" in tested.stdout
        assert provider.calls[-1] == "refresh_token" and provider.introspections >= 1
        log = (server.root / "dovecot.log").read_text()
        assert "method=XOAUTH2" in log
        for proc in (added, login, tested):
            assert refresh_token not in proc.stdout + proc.stderr
        db_files = list((tmp_path / "d").glob("diia-inbox.db*"))
        assert db_files and all(refresh_token.encode() not in f.read_bytes() for f in db_files)

        # Revoked: a clear reason with the provider's words, not a traceback.
        provider.revoke_all()
        revoked = run(["imap", "test", "gm", *data])
        assert revoked.returncode == 1
        assert "OAUTH_REVOKED" in revoked.stdout or "OAUTH_REVOKED" in revoked.stderr
        assert "Traceback" not in revoked.stderr


def test_refresh_before_expiry_and_both_mechanisms() -> None:
    with oauth_dovecot() as (server, provider):
        provider.expires_in = 3600
        refresh = provider._tokens()["refresh_token"]
        now = [1_000_000.0]
        source = TokenSource(_client(provider), str(refresh), clock=lambda: now[0])
        first = source.access_token()
        assert source.refreshes == 1
        now[0] += 3000  # 600 s left: still good
        assert source.access_token() == first and source.refreshes == 1
        now[0] += 400  # 200 s left: renewed before it runs out
        second = source.access_token()
        assert second != first and source.refreshes == 2
        for mechanism in ("XOAUTH2", "OAUTHBEARER"):
            account = server.account(
                auth="oauth2", sasl=mechanism, token_source=source.access_token
            )
            conn = connect(account)
            conn.logout()
        log = (server.root / "dovecot.log").read_text()
        assert "method=XOAUTH2" in log and "method=OAUTHBEARER" in log
        # Tampered twin: a token the provider never issued is refused by Dovecot.
        bad = server.account(auth="oauth2", token_source=lambda _fresh: "at-forged")
        result = probe(bad)
        assert not result.ok and result.reason == "IMAP_LOGIN_FAILED"


async def _until(condition: Any, seconds: float = 60) -> None:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


async def test_revoked_token_is_a_status_not_a_crash_loop(
    sqlite_runtime: Any, tmp_path: Path
) -> None:
    rt = sqlite_runtime
    with oauth_dovecot() as (server, provider):
        refresh = str(provider._tokens()["refresh_token"])
        ingest = IngestSettings(oauth_google_client_id="test-client",
                                oauth_device_url=provider.url("/device"),
                                oauth_token_url=provider.url("/token"))  # fmt: skip
        with rt.db.session() as s:
            mailboxes.add(s, mailbox_ring(rt), mailboxes.MailboxSettings(
                name="gm", host="127.0.0.1", port=server.port, tls="none", user=USER,
                auth="oauth2", provider="google"), refresh)  # fmt: skip
        (account,) = stored_accounts(rt.db, mailbox_ring(rt), ingest)
        spool = Spool(tmp_path / "spool")
        poller = ImapPoller(account, spool, tmp_path / "imap")
        await poller.start()
        try:
            await _until(lambda: poller._session is not None and poller._session.idling)
            assert poller.last_error is None
            provider.revoke_all()
            # The session in IDLE keeps going until it reconnects: drop it, as a server would.
            session = poller._session
            assert session is not None and session._conn is not None
            session._conn.sock.shutdown(socket.SHUT_RDWR)
            await _until(lambda: poller.failures >= 2)
            assert poller.status == "backoff" and poller.last_error == "OAUTH_REVOKED"
            refreshes = provider.calls.count("refresh_token")
            # One refresh attempt per connection attempt, spaced by the growing back-off.
            assert refreshes <= poller.failures + 1
            assert poller.backoff_seconds() >= 4
            assert poller._task is not None and not poller._task.done()
        finally:
            await poller.stop()
    print(json.dumps({"failures": poller.failures, "refresh_calls": refreshes}))
