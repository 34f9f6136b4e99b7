"""A tiny W3C WebDriver client for the system's chromedriver and headless Chromium.

Just the commands the end-to-end test uses, over plain HTTP (urllib), so the suite drives a real
browser without downloading anything or adding a dependency.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.serve import free_port as _free_port

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
ENTER, TAB = "\ue007", "\ue004"
#: The page does not scroll sideways (issue 13: at 1366 and 390 px; issue 19: at 320 px).
NO_OVERFLOW = "return document.documentElement.scrollWidth <= window.innerWidth;"
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--lang=uk",
]


def available() -> bool:
    return Path(CHROMEDRIVER).exists() and Path(CHROMIUM).exists()


class WebDriverError(Exception):
    pass


class Browser:
    """One chromedriver process and one browser session with a fresh profile."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="diia-chromium-")
        self.driver = subprocess.Popen(
            [CHROMEDRIVER, f"--port={self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        try:
            self._start()
        except BaseException:
            self.driver.kill()
            self.driver.wait()
            shutil.rmtree(self.profile, ignore_errors=True)
            raise

    def _start(self) -> None:
        self._wait_ready()
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": [*CHROME_ARGS, f"--user-data-dir={self.profile}"],
                    },
                }
            }
        }
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _wait_ready(self) -> None:
        # Not a timing assertion: wait for the driver to listen, at most about 20 seconds.
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{self.base}/status", timeout=2) as r:
                    if json.load(r)["value"].get("ready"):
                        return
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise WebDriverError("chromedriver did not start")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        req = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                payload = json.load(r)
        except urllib.error.HTTPError as exc:
            raise WebDriverError(exc.read().decode(errors="replace")[:2000]) from None
        return payload.get("value")

    def cmd(self, method: str, path: str, body: Any = None) -> Any:
        return self._call(method, f"/session/{self.session}{path}", body)

    # --- the commands the tests use --------------------------------------------------------

    def go(self, url: str) -> None:
        self.cmd("POST", "/url", {"url": url})

    def url(self) -> str:
        return str(self.cmd("GET", "/url"))

    def size(self, width: int, height: int) -> None:
        self.cmd("POST", "/window/rect", {"width": width, "height": height})

    def find(self, css: str) -> str:
        found = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        return str(found[ELEMENT])

    def find_all(self, css: str) -> list[str]:
        found = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
        return [str(f[ELEMENT]) for f in found]

    def type(self, element: str, text: str) -> None:
        self.cmd("POST", f"/element/{element}/value", {"text": text})

    def click(self, element: str) -> None:
        self.cmd("POST", f"/element/{element}/click")

    def text(self, element: str) -> str:
        return str(self.cmd("GET", f"/element/{element}/text"))

    def js(self, script: str, *args: Any) -> Any:
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def js_async(self, script: str, *args: Any) -> Any:
        return self.cmd("POST", "/execute/async", {"script": script, "args": list(args)})

    def keys(self, *keys: str) -> None:
        """Press keys on whatever has the focus (the Actions API, as a person would)."""
        actions = []
        for key in keys:
            actions += [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
        self.cmd("POST", "/actions", {"actions": [{"type": "key", "id": "kb", "actions": actions}]})

    def active(self) -> dict[str, Any]:
        return dict(
            self.js(
                "const e = document.activeElement;"
                "return {tag: e.tagName, id: e.id, cls: e.className, href: e.getAttribute('href')};"
            )
        )

    def wait_for(self, script: str, attempts: int = 100) -> Any:
        """Poll a JS condition until it holds (page loads are asynchronous)."""
        for _ in range(attempts):
            value = self.js(script)
            if value:
                return value
            time.sleep(0.1)
        raise WebDriverError(f"condition never held: {script}")

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.cmd("GET", "/screenshot")))

    def close(self) -> None:
        try:
            self._call("DELETE", f"/session/{self.session}")
        except (WebDriverError, OSError):
            pass
        finally:
            self.driver.terminate()
            try:
                self.driver.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.driver.kill()
            shutil.rmtree(self.profile, ignore_errors=True)
