"""systemd's service notification protocol (sd_notify), for `Type=notify` units.

The protocol is one datagram of `KEY=value` lines sent to the unix socket named in
NOTIFY_SOCKET (a path, or `@name` for the abstract namespace); see sd_notify(3). It is small
enough to speak directly, and doing so keeps a C library out of the container. Outside systemd
(no NOTIFY_SOCKET) every call is a no-op, so `serve` behaves the same under `make run`, Docker
or a test.

`serve` says READY=1 once every component has started (so `systemctl start` returns when the
node takes mail, and units ordered after it start then), pings WATCHDOG=1 at half the
interval systemd asked for (WATCHDOG_USEC) from the event loop, so a hung loop stops the pings
and systemd restarts the service, and says STOPPING=1 on the way down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger("diia_inbox.sdnotify")


def _address(env: Mapping[str, str]) -> str | None:
    path = env.get("NOTIFY_SOCKET", "")
    if not path:
        return None
    if path.startswith("@"):
        return "\0" + path[1:]
    return path


def notify(message: str, env: Mapping[str, str] | None = None) -> bool:
    """Send one notification; returns whether it was sent (False outside systemd)."""
    address = _address(os.environ if env is None else env)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:
        log.warning("sd_notify failed: %s", exc.strerror or type(exc).__name__)
        return False
    return True


def watchdog_seconds(env: Mapping[str, str] | None = None) -> float | None:
    """The watchdog interval systemd expects pings within, or None when it asked for none
    (or asked another process: WATCHDOG_PID names the one it watches)."""
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None
    return int(usec) / 1_000_000


class SystemdNotifier:
    """READY=1 / WATCHDOG=1 / STOPPING=1 for `serve`; does nothing when not run by systemd."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        self._watchdog: asyncio.Task[None] | None = None

    def ready(self, status: str) -> None:
        notify(f"READY=1\nSTATUS={status}\nMAINPID={os.getpid()}", self.env)
        interval = watchdog_seconds(self.env)
        if interval is not None and self._watchdog is None:
            self._watchdog = asyncio.get_running_loop().create_task(self._ping(interval / 2))

    async def _ping(self, every: float) -> None:
        while True:
            notify("WATCHDOG=1", self.env)
            await asyncio.sleep(every)

    async def stopping(self) -> None:
        notify("STOPPING=1", self.env)
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
