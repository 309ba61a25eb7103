"""The printed contract in a real browser: headless Chromium lays the page out and the test
reads the PSK frames' boxes (353-FZ art. 6 part 1: square frames in the top right corner of
the first page, before the table, capitals in the largest type, each at least 5 % of the
page). Skipped where Chromium is not installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.applications.conftest import approved

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]

# Runs in the page after layout: every box the test needs, written into the DOM as JSON.
MEASURE = """<div id="mm" style="width:100mm;height:1px"></div><script>
const r = e => { const b = e.getBoundingClientRect(); return {x: b.left, y: b.top, w: b.width, h: b.height}; };
const page = document.getElementById('first-page');
const frames = [...document.querySelectorAll('.psk .frame')];
let biggest = 0, biggestOutside = 0;
for (const e of page.querySelectorAll('*')) {
  const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own) continue;
  const size = parseFloat(getComputedStyle(e).fontSize);
  biggest = Math.max(biggest, size);
  if (!e.closest('.psk')) biggestOutside = Math.max(biggestOutside, size);
}
const out = {page: r(page), frames: frames.map(f => ({...r(f), font: parseFloat(getComputedStyle(f).fontSize),
  transform: getComputedStyle(f).textTransform, text: f.innerText})),
  table: r(document.getElementById('individual-terms')), biggest, biggestOutside,
  mm: r(document.getElementById('mm')).w};
const pre = document.createElement('pre'); pre.id = 'measure'; pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_the_psk_frames_sit_top_right_square_large_and_in_the_largest_capitals(
    client: TestClient, managers, branch_a, risk, tmp_path: Path, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the layout does not depend on the database; one run is enough")
    app = approved(client, branch_a, risk)
    client.post(f"/v1/applications/{app['id']}/contract", headers=branch_a)
    html = client.get(f"/v1/applications/{app['id']}/contract", headers=branch_a).text
    page = tmp_path / "contract.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"),
                    encoding="utf-8")
    common = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*common, "--window-size=1000,1400", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=90, check=True).stdout
    found = re.search(r'<pre id="measure">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    m = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    px_per_mm = m["mm"] / 100
    p = m["page"]
    assert abs(p["w"] / px_per_mm - 210) < 0.5  # the first page is A4 wide
    page_area = (210 * px_per_mm) * (297 * px_per_mm)
    percent, amount = m["frames"]
    for f in (percent, amount):
        assert abs(f["w"] - f["h"]) < 1, f  # square
        assert f["w"] * f["h"] >= 0.05 * page_area, (f["w"] * f["h"] / page_area)  # each >= 5 % of the page
        assert f["y"] - p["y"] <= 13 * px_per_mm  # at the top: within the 12 mm margin (+1 mm)
        assert f["y"] + f["h"] <= m["table"]["y"]  # before the table of individual terms
        assert f["transform"] == "uppercase" and f["text"] == f["text"].upper()
        assert f["font"] == m["biggest"] > m["biggestOutside"]  # the largest type on the page
    # top right: the roubles frame is right of the percent frame and ends at the right margin
    assert amount["x"] >= percent["x"] + percent["w"]
    assert abs((p["x"] + p["w"]) - (amount["x"] + amount["w"]) - 12 * px_per_mm) < 1.5
    assert percent["x"] > p["x"] + p["w"] / 3  # in the right part of the page, not the left
    assert "% ГОДОВЫХ" in percent["text"] and "РУБЛЕЙ" in amount["text"]
    # and it prints: A4 PDF through Chromium's print path
    pdf = tmp_path / "contract.pdf"
    subprocess.run([*common, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
                   capture_output=True, timeout=90, check=True)
    data = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    assert data[:5] == b"%PDF-" and boxes  # A4 is 595.28 x 841.89 pt; Chromium writes 594.96 x 841.92
    assert all(abs(float(w) - 595.28) < 1 and abs(float(h) - 841.89) < 1 for w, h in boxes)
