"""Trust upkeep in `serve` (diia_inbox.trust_jobs) and the trust cache behind every verification.

- The installation's trust material is loaded once and cached; a change in the database (an
  import on this or another node) reloads it, and only then.
- `serve` notices a trust change made elsewhere (here: `trust import` through the library, as
  another node would) and re-verifies the stored copies; the admin's button asks for a run.
- With `[verify] trust_urls` configured, `serve` downloads them once a day from a real HTTP
  server on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.models import AuditEvent, Document
from diia_inbox import trust_admin
from diia_inbox.cli import main
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from diia_inbox.trust_jobs import TrustJobs
from diia_inbox.wiring import (
    PIPELINE_TRUST_MAX_AGE,
    TrustCache,
    context_factory,
    make_verifier,
)
from tests.ingest.mailmaker import diia_pair, gmail
from tests.support.pdf import make_diia_copy_pdf
from tests.support.pki import make_pki, sign_cades
from tests.test_trust import BUNDLE, _Server
from verify.validate import ValidationContext


def test_trust_material_is_loaded_once_and_reloaded_on_change(tmp_path: Path) -> None:
    rt = Runtime.open(load_config(data_dir=str(tmp_path / "data")))
    try:
        trust_admin.import_paths(rt.db, [BUNDLE], actor="test")
        cache = TrustCache([rt.config.trust_dir], [], rt.db)
        first = cache.store()
        assert len(first.anchors) == 484
        for _ in range(5):
            assert cache.store() is first
        assert cache.loads == 1
        root = tmp_path / "root.cer"
        root.write_bytes(make_pki("ecdsa").anchor)
        trust_admin.import_paths(rt.db, [root], actor="another node")
        assert len(cache.store().anchors) == 485
        assert cache.loads == 2
        trust_admin.remove(rt.db, "2", actor="test")
        assert len(cache.store().anchors) == 484
        assert cache.loads == 3
    finally:
        rt.close()


def test_serve_reverifies_after_a_trust_change_made_elsewhere(tmp_path: Path) -> None:
    data = tmp_path / "data"
    pki = make_pki("dstu", now=dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC))
    pdf = make_diia_copy_pdf()
    mail = tmp_path / "copy.eml"
    mail.write_bytes(gmail(diia_pair(pdf, sign_cades(pki, pdf, detached=True))))
    assert main(["ingest", str(mail), "--data", str(data)]) == 0
    rt = Runtime.open(load_config(data_dir=str(data)))
    try:
        jobs = TrustJobs(rt, context_factory(rt.config.verify, rt.config.trust_dir, db=rt.db))
        jobs.step()  # first look: remembers the revision, nothing to do
        assert jobs.status.last is None

        root = tmp_path / "root.cer"
        root.write_bytes(pki.anchor)
        trust_admin.import_paths(rt.db, [root], actor="another node")
        jobs.step()
        assert jobs.status.last is not None and jobs.status.last.changed == 1
        with rt.db.session() as s:
            [doc] = s.execute(select(Document)).scalars().all()
            assert doc.indication == "TOTAL_PASSED"
        print(f"\nre-verification: {jobs.status.last.per_second:.1f} documents/s (DSTU 4145)")

        # The admin's button: a run over every signed copy, nothing changes now.
        jobs.request("all")
        jobs.step()
        assert jobs.status.last.checked == 1 and jobs.status.last.changed == 0
    finally:
        rt.close()


def test_serve_updates_configured_urls_daily(tmp_path: Path) -> None:
    server = _Server()
    server.thread.start()
    try:
        now = [dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)]
        cfg = load_config(data_dir=str(tmp_path / "data"))
        cfg = dataclasses.replace(
            cfg,
            verify=dataclasses.replace(cfg.verify, trust_urls=(server.url,), trust_timeout=2.0),
        )
        rt = Runtime.open(cfg)
        try:
            jobs = TrustJobs(
                rt, context_factory(cfg.verify, cfg.trust_dir, db=rt.db), clock=lambda: now[0]
            )
            jobs.step()
            from archive import trust_files

            with rt.db.session() as s:
                assert [f.certificates for f in trust_files.listing(s)] == [484]
            server.mode = "html"  # the next day's download fails; the installed copy stays
            now[0] += dt.timedelta(hours=5)
            jobs.step()  # not due yet: no download at all
            now[0] += dt.timedelta(days=1)
            jobs.step()
            with rt.db.session() as s:
                assert [f.certificates for f in trust_files.listing(s)] == [484]
                actions = [a.action for a in s.execute(select(AuditEvent)).scalars()]
            assert actions.count("trust.update") == 1
            assert actions.count("trust.update_failed") == 1
        finally:
            rt.close()
    finally:
        server.close()


def test_trust_material_is_shared_by_the_nodes_of_one_database(db_url: str, tmp_path: Path) -> None:
    """Two nodes (two data folders, one database, on SQLite and PostgreSQL): what one imports,
    the other verifies with, without a file in its own `trust/`; a removal reaches it too."""
    from archive.db import Database

    node_a, node_b = Database(db_url), Database(db_url)
    try:
        node_a.migrate()
        root = tmp_path / "root.cer"
        pki = make_pki("ecdsa")
        root.write_bytes(pki.anchor)
        cache_b = TrustCache([tmp_path / "b" / "trust"], [], node_b)
        assert cache_b.store().anchors == ()
        [imported] = trust_admin.import_paths(node_a, [root], actor="node a")
        assert [c.der for c in cache_b.store().anchors] == [pki.anchor]
        trust_admin.remove(node_a, str(imported.file.id), actor="node a")
        assert cache_b.store().anchors == ()
        assert not (tmp_path / "b" / "trust").exists()
    finally:
        node_a.dispose()
        node_b.dispose()


def test_a_trust_stamp_younger_than_max_age_is_not_read_again(tmp_path: Path) -> None:
    """The pipeline's calls (max_age > 0) skip the database round trip for a recent stamp and
    see a change made elsewhere once it is older; calls without max_age always look."""
    rt = Runtime.open(load_config(data_dir=str(tmp_path / "data")))
    try:
        now = [100.0]
        cache = TrustCache([rt.config.trust_dir], [], rt.db, clock=lambda: now[0])
        assert cache.store(max_age=2.0).anchors == ()
        reads = cache.stamp_reads
        root = tmp_path / "root.cer"
        root.write_bytes(make_pki("ecdsa").anchor)
        trust_admin.import_paths(rt.db, [root], actor="another node")
        now[0] += 1.5
        assert cache.store(max_age=2.0).anchors == ()  # within max_age: the stamp is kept
        assert cache.stamp_reads == reads
        now[0] += 1.0
        assert len(cache.store(max_age=2.0).anchors) == 1  # older: read, and the change seen
        assert cache.stamp_reads == reads + 1
        trust_admin.remove(rt.db, "1", actor="another node")
        assert cache.store().anchors == ()  # no max_age: looked at once
    finally:
        rt.close()


def test_the_pipeline_verifier_uses_a_recent_stamp_and_the_other_callers_do_not(
    tmp_path: Path,
) -> None:
    rt = Runtime.open(load_config(data_dir=str(tmp_path / "data")))
    try:
        asked: list[float] = []
        make_context = context_factory(rt.config.verify, rt.config.trust_dir, db=rt.db)

        def spy(*, trust_max_age: float = 0.0) -> ValidationContext:
            asked.append(trust_max_age)
            return make_context(trust_max_age=trust_max_age)

        verifier = make_verifier(spy)
        verifier(b"not a signature", None)
        make_context()
        assert asked == [PIPELINE_TRUST_MAX_AGE]
        assert PIPELINE_TRUST_MAX_AGE > 0
    finally:
        rt.close()


def test_loops_asking_at_once_share_one_load_of_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's loops ask for the store at their first message together: the material is
    loaded once and all get the same store (each loaded its own before, and a prepare pool,
    seeing a second store, retired the children it had just started)."""
    import threading
    import time

    rt = Runtime.open(load_config(data_dir=str(tmp_path / "data")))
    try:
        (rt.config.trust_dir / "root.der").write_bytes(make_pki("ecdsa").anchor)
        cache = TrustCache([rt.config.trust_dir], [], rt.db)
        real = TrustCache._current_stamp

        def slow_stamp(self: TrustCache) -> tuple[tuple[str, float], ...]:
            time.sleep(0.2)  # a busy disk and database: the callers overlap
            return real(self)

        monkeypatch.setattr(TrustCache, "_current_stamp", slow_stamp)
        stores: list[object] = []
        threads = [
            threading.Thread(target=lambda: stores.append(cache.store(max_age=60)))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(stores) == 4 and all(s is stores[0] for s in stores)
        assert cache.loads == 1 and cache.stamp_reads == 1
        assert len(cache.store(max_age=60).anchors) == 1
    finally:
        rt.close()
