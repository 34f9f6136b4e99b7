"""`diia-inbox` with Python logging at DEBUG on stderr, for the log-hygiene test.

The command configures logging at INFO (`logging.basicConfig` in `diia_inbox.cli.main`); a root
handler installed first makes that call a no-op, so every logger of every part (ours, aiohttp,
aiosmtpd, SQLAlchemy, Whoosh) writes whatever it has, down to DEBUG. Run as
`python -m tests.privacy.debug_cli VERB ...` from the repository root.
"""

from __future__ import annotations

import logging
import sys

from diia_inbox.cli import main

if __name__ == "__main__":
    logging.basicConfig(
        level=logging.DEBUG,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    raise SystemExit(main(sys.argv[1:]))
