"""One writer process of the audit race: N threads append to the chain at the same instant.

Run as `python -m tests.cluster.audit_writers URL THREADS GO_FILE`; every thread opens its own
session and waits until GO_FILE exists, so two such processes start appending together.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from archive import audit
from archive.db import Database


def main(url: str, threads: int, go_file: Path) -> int:
    db = Database(url)
    ready = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        ready.wait()
        while not go_file.exists():
            time.sleep(0.001)
        try:
            with db.session() as s:
                audit.record(s, f"writer-{n}", "document.view", "document", n)
        except BaseException as exc:  # reported through the exit status
            errors.append(exc)

    pool = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    db.dispose()
    for exc in errors:
        print(f"writer failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])))
