"""One error contract (issue 16 item 5): every exception class the project defines carries a
stable, upper-case `reason` code, and the one helper that reads it (`archive.errors.reason_of`)
prefers that code to anything else.

The walk imports every module of every package, so a new exception class anywhere without a
code fails here by name. aiohttp's HTTP exceptions are the one exception: their `reason` is the
HTTP reason phrase, and they are answers, not errors of ours.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

from aiohttp import web

from archive.errors import NotFound, Reasoned, reason_of
from ingest.imap import ImapError

PACKAGES = ("diia_inbox", "archive", "verify", "ingest", "search", "qrtools", "web")
CODE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")


def project_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            module = importlib.import_module(info.name)
            for name, obj in vars(module).items():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, BaseException)
                    and obj.__module__ == module.__name__
                    and not issubclass(obj, web.HTTPException)
                ):
                    found[f"{module.__name__}.{name}"] = obj
    return found


def test_the_walk_sees_the_packages_errors() -> None:
    found = project_exceptions()
    # A few from each corner, so an empty or broken walk cannot pass the next test.
    for name in (
        "archive.errors.ArchiveError",
        "verify.errors.VerifyError",
        "ingest.spool.SpoolError",
        "search.errors.QueryError",
        "qrtools.errors.NoCodeFound",
        "diia_inbox.config.ConfigError",
        "web.pages_check.BadUpload",
    ):
        assert name in found, name
    assert len(found) >= 50


def test_every_exception_class_has_a_stable_reason_code() -> None:
    missing = {
        name: getattr(cls, "reason", None)
        for name, cls in project_exceptions().items()
        if not (isinstance(getattr(cls, "reason", None), str) and CODE.match(cls.reason))  # type: ignore[attr-defined]
    }
    assert missing == {}


def test_reason_of_prefers_the_code_and_falls_back_to_the_class() -> None:
    assert reason_of(NotFound("no such copy")) == "NOT_FOUND"
    assert reason_of(ImapError("IMAP_LOGIN_FAILED", "server said no")) == "IMAP_LOGIN_FAILED"
    assert isinstance(NotFound("x"), Reasoned)
    assert not isinstance(OSError("disk"), Reasoned)
    assert reason_of(OSError("disk")) == "OSError"
    assert reason_of(OSError("disk"), "STORAGE_ERROR") == "STORAGE_ERROR"
