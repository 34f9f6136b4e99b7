"""The seam to aiosmtpd (issue 16 item 4): the receiver relies on a few private names of
aiosmtpd's SMTP class; this fails, naming the name, when an aiosmtpd release changes one, so an
upgrade cannot silently break streamed DATA, the per-client cap or the timers.

It also keeps the declaration honest: every private name of aiosmtpd that `ingest/smtp.py`
touches must be listed in its `AIOSMTPD_PRIVATE_*` tuples, and no other module imports aiosmtpd.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

from aiosmtpd.smtp import SMTP
from packaging.requirements import Requirement

from ingest import smtp

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
    for name, params in smtp.AIOSMTPD_PRIVATE_METHODS.items():
        method = getattr(SMTP, name, None)
        assert callable(method), f"aiosmtpd.smtp.SMTP.{name} is gone"
        assert tuple(inspect.signature(method).parameters) == params, name
    # The connection handler is awaited as a task; the timer callbacks are plain functions.
    assert inspect.iscoroutinefunction(SMTP._handle_client)
    assert not inspect.iscoroutinefunction(SMTP._timeout_cb)


def test_private_attributes_are_still_set_by_aiosmtpd() -> None:
    source = inspect.getsource(SMTP)
    for name in smtp.AIOSMTPD_PRIVATE_ATTRIBUTES:
        assert re.search(rf"self\.{name}\b\s*(:[^=]+)?=", source), f"SMTP no longer sets {name}"
    loop = asyncio.new_event_loop()  # its own: whatever loop an earlier test left set or not
    try:
        reader = asyncio.StreamReader(loop=loop)
        for name in smtp.STREAMREADER_PRIVATE_ATTRIBUTES:
            assert isinstance(getattr(reader, name, None), bytearray), f"StreamReader.{name}"
    finally:
        loop.close()


def test_every_private_aiosmtpd_name_used_is_declared() -> None:
    source = (ROOT / "ingest" / "smtp.py").read_text()
    used = set(re.findall(r"(?:self|super\(\))\.(_[A-Za-z]\w*)", source))
    theirs = {n for n in dir(SMTP) if n.startswith("_") and not n.startswith("__")}
    theirs |= set(re.findall(r"self\.(_[A-Za-z]\w*)\s*(?::[^=\n]+)?=", inspect.getsource(SMTP)))
    declared = set(smtp.AIOSMTPD_PRIVATE_METHODS) | set(smtp.AIOSMTPD_PRIVATE_ATTRIBUTES)
    assert used & theirs <= declared, sorted((used & theirs) - declared)
    # The declaration lists nothing the module does not use (it would hide a stale entry).
    assert declared <= used, sorted(declared - used)


def test_only_the_receiver_module_imports_aiosmtpd() -> None:
    importers = sorted(
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if re.search(r"^\s*(from|import) aiosmtpd\b", path.read_text(), re.M)
    )
    assert importers == ["ingest/smtp.py"]
