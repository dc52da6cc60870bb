"""A minimal Chrome DevTools Protocol client for headless Chromium (tornado's websocket client,
already installed with dask): open a page, collect console errors, exceptions and network
requests, read every image's decoded size, take a screenshot. No network, no extra packages."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tornado.websocket import WebSocketClientConnection, websocket_connect

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--remote-debugging-port=0",
         "--window-size=1400,1000")


def find_chromium() -> str | None:
    """Path of Debian's ``chromium`` (or another Chromium/Chrome) if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageCheck:
    """What the browser saw on one page."""

    images: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    values: list[Any] = field(default_factory=list)
    """What each script given to :meth:`Browser.check` returned, in order."""


class Browser:
    """Headless Chromium with a fresh profile, driven over the DevTools protocol."""

    def __init__(self, executable: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="sim-chromium-")
        self.proc = subprocess.Popen([executable, *FLAGS, f"--user-data-dir={self.profile}",
                                      "about:blank"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.port = self._port()

    def _port(self, timeout: float = 60.0) -> int:
        marker = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker.is_file() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with status {self.proc.returncode}")
            time.sleep(0.05)
        raise RuntimeError("chromium did not open its DevTools port")

    def _json(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/{path}",
                                         method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        return json.loads(text) if text.startswith(("{", "[")) else text

    def check(self, url: str, timeout: float = 60.0,
              scripts: tuple[str, ...] = ()) -> PageCheck:
        """Load ``url`` in a new tab and report images, errors, requests and a screenshot;
        then evaluate each of ``scripts`` (JavaScript expressions) in the page, in order."""
        target = self._json("new?about:blank", method="PUT")
        try:
            return asyncio.run(asyncio.wait_for(
                _check(target["webSocketDebuggerUrl"], url, scripts), timeout))
        finally:
            self._json(f"close/{target['id']}")

    def close(self) -> None:
        """Stop the browser and delete its profile."""
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


IMAGES_JS = ("JSON.stringify(Array.from(document.images).map(i => ({alt: i.alt, complete: "
             "i.complete, width: i.naturalWidth, height: i.naturalHeight})))")


class _Session:
    def __init__(self, conn: WebSocketClientConnection) -> None:
        self.conn = conn
        self.ids = itertools.count(1)
        self.result = PageCheck()
        self.loaded = False

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        ident = next(self.ids)
        await self.conn.write_message(json.dumps({"id": ident, "method": method,
                                                  "params": params or {}}))
        while True:
            data = await self._next()
            if data.get("id") == ident:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return dict(data.get("result", {}))

    async def _next(self) -> dict[str, Any]:
        message = await self.conn.read_message()
        if message is None:
            raise RuntimeError("DevTools connection closed")
        data: dict[str, Any] = json.loads(message)
        self._event(data.get("method", ""), data.get("params", {}))
        return data

    def _event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Page.loadEventFired":
            self.loaded = True
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.result.errors.append(f"console.{params['type']}: {args}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.result.errors.append(f"exception: {details.get('text', '')} "
                                      f"{details.get('exception', {}).get('description', '')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            self.result.errors.append(f"log: {entry.get('text', '')} {entry.get('url', '')}")
        elif method == "Network.requestWillBeSent":
            self.result.requests.append(params["request"]["url"])

    async def drain(self, seconds: float) -> None:
        """Keep reading events for a while (late console errors)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drain_forever(), seconds)

    async def _drain_forever(self) -> None:
        while True:
            await self._next()


async def _check(socket_url: str, url: str, scripts: tuple[str, ...] = ()) -> PageCheck:
    conn = await websocket_connect(socket_url, max_message_size=256 * 1024 * 1024)
    session = _Session(conn)
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            await session.call(f"{domain}.enable")
        session.result = PageCheck()  # forget anything replayed from about:blank
        await session.call("Page.navigate", {"url": url})
        while not session.loaded:
            await session._next()
        await session.drain(0.5)
        value = await session.call("Runtime.evaluate", {"expression": IMAGES_JS,
                                                        "returnByValue": True})
        session.result.images = json.loads(value["result"]["value"])
        shot = await session.call("Page.captureScreenshot", {"format": "png"})
        session.result.screenshot = base64.b64decode(shot["data"])
        for script in scripts:
            value = await session.call("Runtime.evaluate", {"expression": script,
                                                            "returnByValue": True})
            session.result.values.append(value["result"].get("value"))
        await session.drain(0.2)  # console errors raised by the scripts' clicks
    finally:
        await _close(conn)
    return session.result


async def _close(conn: WebSocketClientConnection) -> None:
    """Close the websocket and wait for the close handshake, so no socket outlives the loop."""
    conn.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_until_closed(conn), 5)


async def _until_closed(conn: WebSocketClientConnection) -> None:
    while await conn.read_message() is not None:
        pass


def main() -> None:
    """``python tests/report/cdp_client.py PAGE.html SHOT.png``: check a page, save a screenshot
    (how ``docs/report-screenshot.png`` is made)."""
    import sys

    page, shot = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    executable = find_chromium()
    if executable is None:
        raise SystemExit("chromium is not installed")
    browser = Browser(executable)
    try:
        seen = browser.check(page.as_uri())
    finally:
        browser.close()
    shot.write_bytes(seen.screenshot)
    widths = [img["width"] for img in seen.images]
    print(f"{len(widths)} images, natural widths {widths}; console errors: {seen.errors or 'none'}")


if __name__ == "__main__":
    main()
