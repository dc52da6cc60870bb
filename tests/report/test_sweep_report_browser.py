"""The sweep report opens in a real browser (headless Chromium, no network) and shows every
figure: each image decoded (natural width > 0), no console errors, no request leaves the disk.

Needs Debian's ``chromium`` package (``.ci/run`` installs it). Without it the test is skipped,
except under CI (``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cdp_client import Browser, find_chromium

CHROMIUM = find_chromium()
BROKEN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title></head>
<body><img alt="missing" src="no-such-image.png"><img alt="fine" src="data:image/png;base64,
iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==">
<script>console.error("deliberate error");</script></body></html>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    chromium = Browser(CHROMIUM)
    yield chromium
    chromium.close()


def test_checker_sees_broken_images_and_console_errors(browser: Browser, tmp_path: Path) -> None:
    """The check below can fail: a missing image and a console error are both caught."""
    page = tmp_path / "broken.html"
    page.write_text(BROKEN_PAGE, encoding="utf-8")
    seen = browser.check(page.as_uri())
    widths = {img["alt"]: img["width"] for img in seen.images}
    assert widths == {"missing": 0, "fine": 1}
    assert any("deliberate error" in e for e in seen.errors), seen.errors


def test_report_renders_every_figure_offline(browser: Browser, swept: Path) -> None:
    index = swept / "index.html"
    html = index.read_text(encoding="utf-8")
    expected = len(re.findall(r"<img ", html))
    assert expected >= 3
    seen = browser.check(index.as_uri())
    assert len(seen.images) == expected
    for img in seen.images:
        assert img["complete"] and img["width"] > 0 and img["height"] > 0, img
    assert seen.errors == []
    assert all(u.startswith(("file:", "data:")) for u in seen.requests), seen.requests
    assert seen.screenshot.startswith(b"\x89PNG")
