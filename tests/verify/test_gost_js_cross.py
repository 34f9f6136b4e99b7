"""GOST 34.311-95 against another implementation on the same input: gost89 (dstucrypt's
JavaScript, the library Ukrainian web signers were built on), run by Node.js.

The published known answers are few and short; this compares digests of inputs nobody chose
(empty, one byte, block edges, a photo-sized copy) on both of our implementations, C kernels and
pure Python, with the DKE No.1 S-box that certificates use by default.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from verify.gost34311 import gost34311

pytestmark = pytest.mark.usefixtures("kernels")

SCRIPT = Path(__file__).resolve().parents[1] / "node" / "gost34311.js"
MODULES = SCRIPT.parent / "node_modules" / "gost89"
SIZES = (0, 1, 31, 32, 33, 63, 64, 65, 1000, 4096 + 7, 300 * 1024)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    if shutil.which("node") is None or not MODULES.is_dir():
        pytest.fail("node and tests/node/node_modules/gost89 are installed by `make test`")
    folder = tmp_path_factory.mktemp("gost")
    rng = random.Random(34311)
    paths = []
    for i, size in enumerate(SIZES):
        path = folder / f"in{i}.bin"
        path.write_bytes(rng.randbytes(size))
        paths.append(path)
    (folder / "text.bin").write_bytes("Шевченко Тарас Григорович\n".encode() * 50)
    paths.append(folder / "text.bin")
    return paths


@pytest.fixture(scope="module")
def theirs(inputs: list[Path]) -> list[str]:
    out = subprocess.run(
        ["node", str(SCRIPT), *map(str, inputs)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(SCRIPT.parent / "node_modules")},
        cwd=SCRIPT.parent,
    )
    return out.stdout.split()


def test_digests_equal_gost89(inputs: list[Path], theirs: list[str]) -> None:
    assert len(theirs) == len(inputs)
    ours = [gost34311(p.read_bytes()).hex() for p in inputs]
    assert ours == theirs


def test_a_changed_byte_changes_both(inputs: list[Path], theirs: list[str]) -> None:
    data = bytearray(inputs[-2].read_bytes())  # the photo-sized one
    data[len(data) // 2] ^= 1
    assert gost34311(bytes(data)).hex() != theirs[-2]
