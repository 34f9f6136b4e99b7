"""Several nodes, one archive: two `serve` processes with their own data folders, sharing
PostgreSQL (archive and search) and an S3 bucket (blobs), with no shared file system.

Mail goes to each node over SMTP; each node's staff finds both copies and opens both PDFs,
including the one the *other* node received (its bytes come from the bucket, not from a local
folder). The bucket is served by a real S3-protocol server on 127.0.0.1 (moto's server mode).
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from archive.models import Document, Message
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from tests.privacy.conftest import (
    Served,
    invent_person,
    open_installation,
    signer,
    start_serve,
    wait_for,
)
from tests.privacy.test_logs import Browser
from tests.s3server import S3Server

__all__ = ["signer"]  # the test PKI fixture of tests/privacy, used here too


def _pdf(browser: Browser, doc_id: int) -> bytes:
    with browser.opener.open(f"{browser.base}/documents/{doc_id}/pdf", timeout=60) as resp:
        assert resp.status == 200
        return bytes(resp.read())


def _archived(rt: Runtime, count: int) -> bool:
    with rt.db.session() as s:
        statuses = list(s.execute(select(Message.status)).scalars())
    return len(statuses) >= count and all(st == "done" for st in statuses)


def test_two_nodes_on_postgresql_and_s3_share_one_archive(
    tmp_path: Path,
    pg_url: str,
    s3_server: S3Server,
    s3_env: dict[str, str],
    signer: tuple[bytes, Callable[[bytes, bool], bytes]],
) -> None:
    root_der, sign = signer
    bucket = s3_server.new_bucket()
    env = {
        "DIIA_INBOX_DATABASE_URL": pg_url,
        "DIIA_INBOX_SEARCH_BACKEND": "postgres",
        "DIIA_INBOX_BLOBS_BACKEND": "s3",
        "DIIA_INBOX_BLOBS_ENDPOINT": s3_server.endpoint,
        "DIIA_INBOX_BLOBS_BUCKET": bucket,
        "DIIA_INBOX_BLOBS_PREFIX": "archive/",
        **s3_env,
    }
    data = [tmp_path / "node1", tmp_path / "node2"]
    for folder in data:
        open_installation(folder, root_der, env).close()  # each node trusts the test root

    first = invent_person(sign)
    second = invent_person(sign, "Косач Лариса Петрівна", "Kosach")
    nodes: list[Served] = []
    try:
        nodes.append(start_serve(data[0], tmp_path / "node1.log", env))
        password = nodes[0].admin_password()  # made once, in the shared database
        nodes.append(start_serve(data[1], tmp_path / "node2.log", env))
        nodes[0].send(first.mail())
        nodes[1].send(second.mail())

        rt = Runtime.open(load_config(data_dir=tmp_path / "observer", env=env))
        try:
            wait_for(lambda: _archived(rt, 2), "both nodes to archive their copy")
            with rt.db.session() as s:
                docs = {d.id: d.pdf_sha256 for d in s.execute(select(Document)).scalars()}
            assert len(docs) == 2
        finally:
            rt.close()

        # Nothing of the archive is in either data folder: blobs are in the bucket only.
        for folder in data:
            assert not any(p.is_file() for p in (folder / "blobs").rglob("*"))
        listed = s3_server.client().list_objects_v2(Bucket=bucket, Prefix="archive/")
        keys = {o["Key"].rsplit("/", 1)[-1] for o in listed.get("Contents", [])}
        assert set(docs.values()) <= keys

        for node in nodes:
            browser = Browser(node)
            browser.login(password)
            for person in (first, second):
                query = urllib.parse.urlencode({"q": person.full_name})
                found: list[int] = []

                def searched(
                    query: str = query, found: list[int] = found, browser: Browser = browser
                ) -> bool:
                    page = browser.get(f"/search?{query}")
                    found[:] = [i for i in docs if f"/documents/{i}" in page]
                    return bool(found)

                # The worker commits the index in groups (`group_commit_seconds`): a copy is
                # searchable up to that long after it is archived.
                wait_for(searched, f"{person.full_name} to be searchable")
                assert len(found) == 1, (node.web_port, person.full_name)
                assert _pdf(browser, found[0]) == person.pdf
            status, ready = browser.fetch("/readyz")
            assert status == 200, ready
    finally:
        for node in nodes:
            assert node.stop() == 0, node.log_text()[-3000:]
