"""schemathesis against a real `diia-inbox serve`, as an admin, DELETE excluded; counts 5xx.

    .venv/bin/pip install -e ".[apifuzz]"     # schemathesis, outside the suite
    .venv/bin/python bench/api_fuzz.py [--max-examples 50] [--seed 1] [--keep]

1. A temporary installation with one branch, documents received through SMTP (so ids, searches
   and downloads find something), an admin user and that admin's API token.
2. `serve` on free ports; `schemathesis run` on its own OpenAPI document
   (`/api/v1/openapi.json`, fetched with the token) with every check, DELETE excluded (it would
   remove the documents the other operations are about).
3. Prints schemathesis' summary, and counts the responses by status from the HAR file of every
   exchange, so the 5xx figure is a count of responses, not of reported failures.

Exit status: 1 when any response was 5xx.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hardening.material import BRANCH_ADDRESS, SENDER, diia_email, signed_copy  # noqa: E402
from tests.support.serve import free_port, start_serve  # noqa: E402


def prepare(data: Path) -> str:
    """Installation with a branch, the test root trusted and an admin; returns the token."""
    from archive.branches import add_branch
    from archive.users import add_user, issue_token
    from diia_inbox.config import load_config
    from diia_inbox.runtime import Runtime

    rt = Runtime.open(load_config(data_dir=data, env={}))
    try:
        with rt.db.session() as s:
            add_branch(s, "Готель «Дніпро»", "Дніпро, вул. Тестова, 1", BRANCH_ADDRESS)
            add_user(s, "fuzzadmin", "admin", "a long fuzzing password")
            token = issue_token(s, "fuzzadmin")
        (rt.config.trust_dir / "test-root.der").write_bytes(signed_copy().root_der)
    finally:
        rt.close()
    return token


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the data folder and log")
    args = parser.parse_args()
    tool = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if tool is None:
        print("schemathesis is not installed: .venv/bin/pip install schemathesis")
        return 2
    work = Path(tempfile.mkdtemp(prefix="diia-apifuzz-"))
    data, log = work / "data", work / "serve.log"
    token = prepare(data)
    web, smtp = free_port(), free_port()
    proc = start_serve(data, web=web, smtp=smtp, log=log, ready="http")
    try:
        signed = signed_copy()
        for n in range(3):
            with smtplib.SMTP("127.0.0.1", smtp, timeout=60) as client:
                client.sendmail(SENDER, [BRANCH_ADDRESS], diia_email(signed, f"fuzz{n}"))
        time.sleep(5)  # let the worker archive them (ids 1-3 then exist)
        started = time.monotonic()
        run = subprocess.run(
            [tool, "run", f"http://127.0.0.1:{web}/api/v1/openapi.json",
             "-H", f"Authorization: Bearer {token}",
             "--exclude-method", "DELETE",
             "--checks", "all",
             "--max-examples", str(args.max_examples),
             "--seed", str(args.seed),
             "--workers", "1",
             "--report", "har", "--report-har-path", str(work / "responses.har"),
             "--no-color"],
            capture_output=True, text=True, cwd=work, check=False,
        )  # fmt: skip
        elapsed = time.monotonic() - started
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    (work / "schemathesis.txt").write_text(run.stdout + run.stderr)
    print(run.stdout[-2500:])
    har = json.loads((work / "responses.har").read_text())
    statuses = Counter(
        str(e["response"]["status"]) for e in har["log"]["entries"] if e.get("response")
    )
    server_errors = sum(n for status, n in statuses.items() if status.startswith("5"))
    print(
        f"responses recorded: {sum(statuses.values())} in {elapsed:.0f} s; by status: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    )
    print(f"5xx responses: {server_errors}; schemathesis exit status {run.returncode}")
    print(f"full output: {work / 'schemathesis.txt'}" if args.keep else "")
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if server_errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
