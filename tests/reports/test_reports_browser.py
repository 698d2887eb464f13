"""The HTML report as a browser shows it: Debian's headless Chromium renders the page and we read the DOM back.

Skips when no chromium is installed (``.ci/run`` installs Debian's chromium where apt is available).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pinreset.cli import main

pytestmark = pytest.mark.slow

_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")

# Appended to a copy of the report: once the page has loaded, write what the browser decoded into the DOM.
_PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images).map(i => `${i.naturalWidth}x${i.naturalHeight}`);
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({images, rows: document.querySelectorAll("tbody tr").length,
                                    tables: document.querySelectorAll("table").length});
  document.body.appendChild(out);
});
</script>"""


def _chromium() -> str:
    for candidate in _CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    pytest.skip("chromium is not installed (apt-get install chromium); the HTML report is not rendered here")


def _dump_dom(browser: str, page: Path, profile: Path) -> str:
    result = subprocess.run(
        # --disable-dev-shm-usage: containers often give /dev/shm 64 MB, too little for Chromium's renderer.
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=90, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pinreset report --demo --html` of a 12-device emulated tenant."""
    out = tmp_path_factory.mktemp("report") / "out.html"
    assert main(["report", "--demo", "--devices", "12", "--html", str(out)]) == 0
    return out


def test_report_renders_tables_and_decoded_charts(report_page: Path, tmp_path: Path) -> None:
    """Chromium decodes every embedded chart (non-zero natural size) and lays out every device row."""
    import json

    browser = _chromium()
    probe = tmp_path / "probe.html"
    text = report_page.read_text(encoding="utf-8")
    # The report forbids script by its CSP; this copy allows the one inline probe and nothing else.
    text = text.replace("script-src 'none'", "script-src 'unsafe-inline'").replace("</body>", _PROBE + "</body>")
    probe.write_text(text, encoding="utf-8")
    dom = _dump_dom(browser, probe, tmp_path / "profile")
    match = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert match, dom[-2000:]
    seen = json.loads(match.group(1).replace("&quot;", '"'))
    assert len(seen["images"]) == 3
    for size in seen["images"]:
        width, height = (int(n) for n in size.split("x"))
        assert width >= 300
        assert height >= 200
    assert seen["rows"] >= 12 + 2  # every device, plus the apps table
    assert seen["tables"] >= 4


def test_report_as_shipped_shows_rows_and_data_images(report_page: Path, tmp_path: Path) -> None:
    """The unmodified page (script forbidden) renders its device table and data: images."""
    browser = _chromium()
    dom = _dump_dom(browser, report_page, tmp_path / "profile")
    assert dom.count('src="data:image/png;base64,') == 3
    assert "device readiness" in dom
    assert len(re.findall(r"<td[^>]*>DESKTOP-|<td[^>]*>LAPTOP-|<td[^>]*>WIN-", dom)) >= 12
    assert 'id="probe"' not in dom
