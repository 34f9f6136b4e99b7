"""The suite reads nothing outside the repository.

A person who clones diia-inbox alone has no `../shared` (or anything else) beside it, and
`make test` must pass for them. Two guards: a static scan of the test and benchmark sources for
paths that climb out of the repository, and a run-time audit hook (installed by
`tests/conftest.py`) that records every file a test opens outside the repository's own tree
(system paths, the virtual environment and temporary folders aside) and fails the session.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A path literal that names the sibling folder or climbs above the repository root.
ESCAPES = re.compile(r"""["']\.\.["']\s*/\s*["']shared["']|\.\./shared|["']test-vectors["']""")


def test_no_source_names_a_path_outside_the_repository() -> None:
    offenders = []
    for folder in ("tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == Path(__file__).resolve():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ESCAPES.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_pattern_catches_what_it_is_for() -> None:
    assert ESCAPES.search('ROOT / ".." / "shared" / "test-vectors"')
    assert ESCAPES.search("open('../shared/test-vectors/x')")
    assert not ESCAPES.search('ROOT / "tests" / "vectors"')


def test_vectors_ship_with_the_repository() -> None:
    vectors = ROOT / "tests" / "vectors"
    bundle = vectors / "trust" / "CACertificates-2023-05.p7b"
    assert bundle.stat().st_size > 100_000
    assert (vectors / "README.md").read_text(encoding="utf-8").count("|") > 20
