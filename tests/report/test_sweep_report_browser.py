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


def column_values(table: str, title: str, click: int) -> str:
    """JavaScript: click the heading of metric ``title`` ``click`` times, then return the
    column's stored values (``data-v``) top to bottom."""
    return f"""(function () {{
  var t = document.getElementById("{table}");
  var th = Array.from(t.tHead.rows[0].cells).find(function (c) {{ return c.title === "{title}"; }});
  for (var i = 0; i < {click}; i++) {{ th.click(); }}
  return Array.from(t.tBodies[0].rows).map(function (r) {{
    return r.cells[th.cellIndex].getAttribute("data-v"); }});
}})()"""


def filtered_rows(table: str, words: str) -> str:
    """JavaScript: type ``words`` into the table's filter box; return the visible rows' count."""
    return f"""(function () {{
  var box = document.getElementById("{table}-filter");
  box.value = "{words}";
  box.dispatchEvent(new Event("input"));
  return Array.from(document.getElementById("{table}").tBodies[0].rows)
    .filter(function (r) {{ return !r.hidden; }}).length;
}})()"""


def sorts_and_filters(browser: Browser, index: Path, metric: str, failed: int) -> None:
    """Clicking a heading sorts the column up, again down (numbers by their stored value,
    blanks last); the filter keeps exactly the rows with the typed word; no console error."""
    seen = browser.check(index.as_uri(), scripts=(
        column_values("points", metric, 1), column_values("points", metric, 1),
        filtered_rows("points", "failed"), filtered_rows("points", "")))
    assert seen.errors == []
    up, down, only_failed, everything = seen.values
    numbers = [float(v) for v in up if v is not None]
    assert len(numbers) >= 3 and numbers == sorted(numbers) and numbers[0] < numbers[-1]
    assert [float(v) for v in down if v is not None] == sorted(numbers, reverse=True)
    assert up[len(numbers):] == [None] * (len(up) - len(numbers))  # failed points (no value)
    assert only_failed == failed and everything == len(up)


def test_report_table_sorts_and_filters(browser: Browser, swept: Path) -> None:
    sorts_and_filters(browser, swept / "index.html", "energy_pj", failed=8)


def test_sort_check_catches_an_unsorted_table(browser: Browser, swept: Path,
                                              tmp_path: Path) -> None:
    """Negative control: with the script removed, clicking sorts nothing and the check fails."""
    html = (swept / "index.html").read_text(encoding="utf-8")
    start, end = html.index("<script>"), html.index("</script>") + len("</script>")
    page = tmp_path / "index.html"
    page.write_text(html[:start] + html[end:], encoding="utf-8")
    with pytest.raises(AssertionError):
        sorts_and_filters(browser, page, "energy_pj", failed=8)
