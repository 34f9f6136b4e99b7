"""`python -m tests.hardening.worker_process DATA`: the worker of `diia-inbox serve`, alone.

Built exactly as `diia_inbox.server.build_components` builds it (the installation's spool with
its `max_attempts`, `deps_from_config`, the prepare processes), without the web app and the
SMTP listener, so that a test can SIGKILL and restart the real worker many times without paying
for a whole service's start each time. SIGTERM stops it cleanly.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from diia_inbox.wiring import context_factory, deps_from_config, with_prepare_pool, worker_loops
from ingest.spool import Spool
from ingest.worker import Worker


async def run(data: Path) -> None:
    config = load_config(data_dir=data, env={})
    rt = Runtime.open(config)
    try:
        spool = Spool(config.spool_dir, max_attempts=config.ingest.max_attempts)
        make_context = context_factory(config.verify, config.trust_dir, db=rt.db)
        deps = deps_from_config(config, rt.db, rt.blobs, make_context=make_context)
        concurrency = worker_loops(config.ingest)
        deps, pool = with_prepare_pool(config, deps, make_context, loops=concurrency)
        worker = Worker(spool, deps, idle_seconds=0.2, concurrency=concurrency)
        await worker.start()
        print("worker started", flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await worker.stop()
        if pool is not None:
            pool.close()
    finally:
        rt.close()


if __name__ == "__main__":
    asyncio.run(run(Path(sys.argv[1])))
