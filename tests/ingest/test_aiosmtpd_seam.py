"""The seam to aiosmtpd (issue 16 item 4): the receiver relies on a few private names of
aiosmtpd's SMTP class; this fails, naming the name, when an aiosmtpd release changes one, so an
upgrade cannot silently break streamed DATA, the greeting pause or the timers.

It also keeps the declaration honest: every private name of aiosmtpd that
`ingest/smtp_adapter.py` touches must be listed in its `AIOSMTPD_PRIVATE_*` tuples, no other
module imports aiosmtpd, and the policy module uses no private name of aiosmtpd's at all. And it
checks what the adapter reuses: `require_starttls` with its reply text, and `aiosmtpd.lmtp.LMTP`
still leaving DATA (streamed, one reply per recipient) to us.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import ALLOWED_BEFORE_STARTTLS, SMTP
from packaging.requirements import Requirement

from ingest import smtp_adapter as adapter

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("diia_inbox", "archive", "verify", "ingest", "search", "qrtools", "web")


def _aiosmtpd_requirement() -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (req,) = [Requirement(r) for r in project["dependencies"] if r.startswith("aiosmtpd")]
    return req


def test_installed_aiosmtpd_is_in_the_pinned_range() -> None:
    req = _aiosmtpd_requirement()
    assert req.specifier.filter(["1.4.6"]), "the range must admit the version we test with"
    assert any(s.operator == "<" for s in req.specifier), "an upper bound: private names change"
    assert version("aiosmtpd") in req.specifier


def test_private_methods_exist_with_the_signatures_we_call() -> None:
    for name, params in adapter.AIOSMTPD_PRIVATE_METHODS.items():
        method = getattr(SMTP, name, None)
        assert callable(method), f"aiosmtpd.smtp.SMTP.{name} is gone"
        assert tuple(inspect.signature(method).parameters) == params, name
    # The connection handler is awaited as a task; the timer callbacks are plain functions.
    assert inspect.iscoroutinefunction(SMTP._handle_client)
    assert not inspect.iscoroutinefunction(SMTP._timeout_cb)


def test_private_attributes_are_still_set_by_aiosmtpd() -> None:
    source = inspect.getsource(SMTP)
    for name in adapter.AIOSMTPD_PRIVATE_ATTRIBUTES:
        assert re.search(rf"self\.{name}\b\s*(:[^=]+)?=", source), f"SMTP no longer sets {name}"
    loop = asyncio.new_event_loop()  # its own: whatever loop an earlier test left set or not
    try:
        reader = asyncio.StreamReader(loop=loop)
        for name, kind in adapter.STREAMREADER_PRIVATE_ATTRIBUTES.items():
            assert isinstance(getattr(reader, name, None), kind), f"StreamReader.{name}"
        # The limit is what pauses the socket (feed_data) and resumes it (read).
        source = inspect.getsource(asyncio.StreamReader)
        assert "self._limit" in source and "2 * self._limit" in source
    finally:
        loop.close()


def _aiosmtpd_private_names() -> set[str]:
    theirs = {n for n in dir(SMTP) if n.startswith("_") and not n.startswith("__")}
    theirs |= set(re.findall(r"self\.(_[A-Za-z]\w*)\s*(?::[^=\n]+)?=", inspect.getsource(SMTP)))
    return theirs


def _private_names_used(module: str) -> set[str]:
    source = (ROOT / "ingest" / module).read_text()
    return set(re.findall(r"(?:self|super\(\))\.(_[A-Za-z]\w*)", source))


def test_every_private_aiosmtpd_name_used_is_declared() -> None:
    used = _private_names_used("smtp_adapter.py")
    theirs = _aiosmtpd_private_names()
    declared = set(adapter.AIOSMTPD_PRIVATE_METHODS) | set(adapter.AIOSMTPD_PRIVATE_ATTRIBUTES)
    assert used & theirs <= declared, sorted((used & theirs) - declared)
    # The declaration lists nothing the module does not use (it would hide a stale entry).
    assert declared <= used, sorted(declared - used)


def test_the_policy_module_touches_no_aiosmtpd_internals() -> None:
    assert _private_names_used("smtp.py") & _aiosmtpd_private_names() == set()


def test_only_the_adapter_imports_aiosmtpd() -> None:
    importers = sorted(
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if re.search(r"^\s*(from|import) aiosmtpd\b", path.read_text(), re.M)
    )
    assert importers == ["ingest/smtp_adapter.py"]


def test_require_starttls_is_still_aiosmtpds_gate_with_the_reply_we_rewrite() -> None:
    params = inspect.signature(SMTP.__init__).parameters
    assert {"require_starttls", "auth_require_tls", "tls_context"} <= params.keys()
    # The adapter recognises aiosmtpd's refusal by its text to give it an enhanced status code.
    assert f"'{adapter.AIOSMTPD_TLS_FIRST}'" in inspect.getsource(SMTP._handle_client)
    assert ALLOWED_BEFORE_STARTTLS == {"NOOP", "EHLO", "STARTTLS", "QUIT"}


def test_lmtp_is_aiosmtpds_with_our_data() -> None:
    lmtp = adapter._LmtpSession
    assert issubclass(lmtp, LMTP)
    # LHLO, HELO and EHLO come from aiosmtpd's LMTP ...
    for name in ("smtp_LHLO", "smtp_HELO", "smtp_EHLO"):
        assert getattr(lmtp, name) is getattr(LMTP, name), name
    # ... and DATA from the adapter: were aiosmtpd's LMTP to define its own (in-memory) DATA,
    # it would come first in the MRO and silently replace the streamed one.
    assert lmtp.smtp_DATA is adapter._Session.smtp_DATA
