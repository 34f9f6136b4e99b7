"""The IMAP side of a running node: one reader per account, kept in step with the accounts
stored in the database, and the first imports the administrator asked for.

Accounts change without a restart: the supervisor re-reads the list every `reload_seconds`
and starts, stops or restarts (changed settings or secret) readers accordingly. It writes
each reader's state to `mailbox_status`, which is what `diia-inbox imap list` and the
mailboxes page show from any node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from archive import mailboxes
from archive.errors import reason_of
from archive.keyring import Keyring, load_keyring
from diia_inbox.runtime import Runtime
from ingest.accounts import DbImportLedger, all_accounts, display_name, stored_accounts
from ingest.imap import ImapPoller, account_key
from ingest.imap_import import import_history
from ingest.settings import ImapAccount
from ingest.spool import Spool

log = logging.getLogger("diia_inbox.imap")


def mailbox_ring(rt: Runtime) -> Keyring:
    """The keyring that encrypts mailbox secrets: the installation's (shared through the
    database when a master key is set), made in keys/ when blob encryption is off."""
    if rt.keyring is not None:
        return rt.keyring
    ring = load_keyring(rt.config.keys_dir, {}, create=True)
    assert ring is not None  # create=True always yields one
    return ring


def listed_accounts(rt: Runtime) -> list[ImapAccount]:
    """Every account, file ones first, then every stored one (also one reading the same
    folder as another, which `serve` leaves out: the listing shows what was configured)."""
    return [*rt.config.ingest.imap, *stored_accounts(rt.db, mailbox_ring(rt), rt.config.ingest)]


def find_account(rt: Runtime, name: str) -> ImapAccount | None:
    """An account by its stored name, or a file account by `user@host`."""
    for account in reversed(listed_accounts(rt)):
        if account.name == name or (not account.name and display_name(account) == name):
            return account
    return None


class MailboxSupervisor:
    """Keeps one `ImapPoller` per account running on this node (a `serve` component)."""

    def __init__(
        self,
        rt: Runtime,
        spool: Spool,
        *,
        on_spooled: Callable[[], None] | None = None,
        reload_seconds: float = 10.0,
    ) -> None:
        self.rt = rt
        self.spool = spool
        self.on_spooled = on_spooled
        self.reload_seconds = reload_seconds
        self.state_dir: Path = rt.config.data_dir / "imap"
        self.pollers: dict[str, ImapPoller] = {}
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._import: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stop.clear()
        await self.reload()
        self._task = asyncio.create_task(self._loop(), name="imap-supervisor")

    async def stop(self) -> None:
        self._stop.set()
        for task in (self._task, self._import):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for poller in self.pollers.values():
            await poller.stop()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self._report)
        self.pollers.clear()

    async def _loop(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.reload_seconds)
            if self._stop.is_set():
                break
            try:
                await self.reload()
                await asyncio.to_thread(self._report)
                self._maybe_import()
            except Exception as exc:  # the database may be briefly away: try next round
                log.warning("imap accounts not reloaded: %s", type(exc).__name__)

    async def reload(self) -> None:
        ring = mailbox_ring(self.rt)
        wanted = await asyncio.to_thread(all_accounts, self.rt.config.ingest, self.rt.db, ring)
        by_key = {account_key(a): a for a in wanted}
        for key in list(self.pollers):
            current = self.pollers[key]
            if by_key.get(key) != current.account:
                await current.stop()
                del self.pollers[key]
                log.info("imap %s: reader stopped (account removed or changed)", key)
        for key, account in by_key.items():
            if key not in self.pollers:
                poller = ImapPoller(
                    account,
                    self.spool,
                    self.state_dir,
                    max_message_bytes=self.rt.config.ingest.max_message_bytes,
                    on_spooled=self.on_spooled,
                )
                self.pollers[key] = poller
                await poller.start()
                log.info("imap %s: reader started", key)

    def _report(self) -> None:
        with self.rt.db.session() as s:
            for key, poller in self.pollers.items():
                mailboxes.report(
                    s,
                    key,
                    node=self.rt.config.node_name,
                    status=poller.status,
                    last_error=poller.last_error or "",
                    last_message_at=poller.last_spooled_at,
                    backlog=None,
                )

    def _maybe_import(self) -> None:
        """Run one requested first import at a time, beside the live readers."""
        if self._import is not None and not self._import.done():
            return
        with self.rt.db.session() as s:
            rows = mailboxes.statuses(s)
        for key, poller in self.pollers.items():
            row = rows.get(key)
            if row is not None and row.import_requested:
                self._import = asyncio.create_task(self._run_import(poller.account, row))
                return

    async def _run_import(self, account: ImapAccount, row: mailboxes.MailboxStatus) -> None:
        key = account_key(account)
        order = row.import_order or "newest"
        try:
            report = await asyncio.to_thread(
                import_history,
                account,
                self.spool,
                self.state_dir,
                DbImportLedger(self.rt.db),
                order=order,
                max_message_bytes=self.rt.config.ingest.max_message_bytes,
                should_stop=self._stop.is_set,
            )
            log.info(
                "imap %s: import %s, %d spooled, %d skipped",
                key,
                report.progress.state,
                report.spooled,
                len(report.skipped),
            )
        except Exception as exc:
            log.warning("imap %s: import failed: %s", key, reason_of(exc))
            with self.rt.db.session() as s:
                st = mailboxes.status_row(s, key)
                st.import_state, st.import_requested = "failed", False
