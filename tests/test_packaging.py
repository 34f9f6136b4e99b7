"""The ways administrators run it: the container files, the systemd unit (checked by systemd's
own `systemd-analyze verify`), sd_notify readiness and watchdog spoken to a real unix datagram
socket by a real `serve`, and the constraints file the venv and the image install through."""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tomllib
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from tests.test_serve import free_port

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "packaging" / "diia-inbox.service"


def _docker_compose_works() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return done.returncode == 0


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_compose_file_is_valid() -> None:
    env = {**os.environ, "POSTGRES_PASSWORD": "example-only"}
    if _docker_compose_works():
        done = subprocess.run(
            ["docker", "compose", "-f", str(ROOT / "compose.yaml"), "config", "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    # Fallback (no compose CLI here) and in any case: what the file must say.
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "diia-inbox"}
    app = services["diia-inbox"]
    assert (ROOT / app["build"] / "Dockerfile").is_file()
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    app_env = app["environment"]
    assert app_env["DIIA_INBOX_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert app_env["DIIA_INBOX_SEARCH_BACKEND"] == "postgres"
    assert "data:/data" in app["volumes"]
    assert set(compose["volumes"]) == {"pgdata", "data"}
    assert any(p.endswith(":2525") for p in app["ports"])
    # Every setting the file names, the commented-out S3 ones too, is one the configuration
    # knows and accepts (an unknown DIIA_INBOX_* variable would be silently ignored).
    from diia_inbox.config import SECTIONS, load_config

    commented = re.findall(
        r"^\s*#\s*(DIIA_INBOX_\w+):\s*(\S+)", (ROOT / "compose.yaml").read_text(), re.M
    )
    settings = {k: str(v) for k, v in app_env.items() if k.startswith("DIIA_INBOX_")}
    settings.update(dict(commented))
    assert "DIIA_INBOX_BLOBS_BACKEND" in settings
    for name in settings:
        section, _, key = name.removeprefix("DIIA_INBOX_").lower().partition("_")
        assert key in {f.name for f in dataclasses.fields(SECTIONS[section])}, name
    config = load_config(data_dir="/tmp/unused", env=settings)
    assert config.search.backend == "postgres" and config.blobs.backend == "s3"


def test_dockerfile_copies_paths_that_exist_and_runs_unprivileged() -> None:
    instructions = _dockerfile_instructions()
    copies = [shlex.split(args) for word, args in instructions if word == "COPY"]
    assert copies
    for parts in copies:
        sources = [p for p in parts[:-1] if not p.startswith("--")]
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    copied = {Path(p).name for parts in copies for p in parts[:-1]}
    # Every package setuptools installs is copied into the image.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert packages <= copied, packages - copied
    # The build files: setup.py builds the C accelerator (verify/_native.c).
    assert {"pyproject.toml", "setup.py", "constraints.txt"} <= copied
    runs = " ".join(args for word, args in instructions if word == "RUN")
    assert "-c constraints.txt" in runs and "constraints.txt" in copied
    user = [args for word, args in instructions if word == "USER"]
    assert user and user[-1] not in ("root", "0")
    health = " ".join(args for word, args in instructions if word == "HEALTHCHECK")
    assert "/livez" in health
    assert any(word == "VOLUME" and "/data" in args for word, args in instructions)
    exposed = {args for word, args in instructions if word == "EXPOSE"}
    assert exposed == {"2525 8080"}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_unit_verifies(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the unit as shipped, with ExecStart pointing at this venv's
    real `diia-inbox` (verify checks the program exists); any warning fails the test."""
    program = Path(sys.executable).parent / "diia-inbox"
    assert program.exists()
    text = UNIT.read_text()
    assert "ExecStart=/opt/diia-inbox/venv/bin/diia-inbox serve" in text
    unit = tmp_path / "diia-inbox.service"
    unit.write_text(text.replace("/opt/diia-inbox/venv/bin/diia-inbox", str(program)))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "" and done.stdout.strip() == "", done.stderr + done.stdout
    # The promises of the unit, read back from what systemd parsed.
    for line in (
        "Type=notify",
        "WatchdogSec=",
        "StateDirectory=diia-inbox",
        "User=diia-inbox",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
    ):
        assert re.search(rf"^{re.escape(line)}", text, re.M), line


def test_serve_notifies_systemd_ready_watchdog_and_stopping(tmp_path: Path) -> None:
    """A real AF_UNIX datagram socket stands where systemd's would; `serve` is started with
    NOTIFY_SOCKET and WATCHDOG_USEC as systemd sets them for a Type=notify unit."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(120)  # a safety net for a hung start, not a measured time
    web, smtp = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIIA_INBOX_")}
    env.update(NOTIFY_SOCKET=str(path), WATCHDOG_USEC="1000000")
    proc = subprocess.Popen(
        [sys.executable, "-m", "diia_inbox.cli", "serve", "--data", str(tmp_path / "d"),
         "--web", f"127.0.0.1:{web}", "--smtp", f"127.0.0.1:{smtp}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    messages: list[str] = []
    try:
        first = sock.recv(4096).decode()
        messages.append(first)
        assert first.startswith("READY=1\n"), first
        assert f"MAINPID={proc.pid}" in first and f"web 127.0.0.1:{web}" in first
        # READY means ready: the web answers and every readiness check passes already.
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/readyz", timeout=30) as resp:
            assert resp.status == 200
        pings = 0
        while pings < 3:
            message = sock.recv(4096).decode()
            messages.append(message)
            pings += message == "WATCHDOG=1"
        proc.send_signal(signal.SIGTERM)
        while (message := sock.recv(4096).decode()) != "STOPPING=1":
            assert message == "WATCHDOG=1", message
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        sock.close()
    assert proc.returncode == 0, out


def test_serve_without_systemd_sends_nothing() -> None:
    from diia_inbox.sdnotify import notify, watchdog_seconds

    assert notify("READY=1", env={}) is False
    assert watchdog_seconds({}) is None
    assert watchdog_seconds({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_seconds({"WATCHDOG_USEC": "30000000"}) == 30.0


def test_abstract_notify_socket(tmp_path: Path) -> None:
    """NOTIFY_SOCKET=@name is the abstract namespace (systemd uses it in containers)."""
    from diia_inbox.sdnotify import notify

    name = f"diia-inbox-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(30)
        assert notify("READY=1", env={"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(100) == b"READY=1"


def test_constraints_pin_what_is_installed_and_satisfy_the_floors() -> None:
    """The venv `make` builds is exactly constraints.txt, and the pins meet pyproject's floors."""
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.lower().replace("_", "-")] = version
    assert len(pins) > 20
    installed = {
        (d.metadata["Name"] or "").lower().replace("_", "-"): d.version
        for d in metadata.distributions()
    }
    different = {n: (v, installed.get(n)) for n, v in pins.items() if installed.get(n) != v}
    assert different == {}, different
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(r) for r in pyproject["dependencies"]]
    for extra in ("postgres", "s3", "dev"):
        requirements += [Requirement(r) for r in pyproject["optional-dependencies"][extra]]
    for req in requirements:
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{req.name} is not pinned"
        assert req.specifier.contains(pins[name], prereleases=True), (req, pins[name])
    # The floors are what is tested, not older: pypdf's own decompression caps need 6+.
    assert (
        Requirement(
            next(r for r in pyproject["dependencies"] if r.startswith("pypdf"))
        ).specifier.contains("6.0")
        is False
    )


def test_the_installed_packages_ship_no_test_fixture_factories() -> None:
    """What `pip install` takes (pyproject's package list) holds no test code: the factories
    that make certificates and signatures for invented people live in tests/support/."""
    from setuptools import find_packages

    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
    packages = find_packages(str(ROOT), include=include)
    assert "verify" in packages and "web" in packages
    assert not [p for p in packages if p.split(".")[0] == "tests"]
    shipped = [
        path.relative_to(ROOT)
        for p in packages
        for path in (ROOT / p.replace(".", "/")).glob("*.py")
        if path.name.startswith("test")
    ]
    assert shipped == []
