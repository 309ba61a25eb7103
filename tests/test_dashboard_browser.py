"""The dashboard renders in a real browser: headless Chromium (Debian's package) parses the
overview and a manager's page, draws their SVG and takes screenshots. Skipped where Chromium
is not installed. ``LOANS_UPDATE_SCREENSHOTS=1`` copies the screenshots to docs/img/."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.risk.support import backfill_month_ends

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


def _render(common: list[str], html: str, name: str, tmp_path: Path, height: int) -> tuple[str, bytes]:
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    shot = tmp_path / f"{name}.png"
    subprocess.run([*common, f"--window-size=1280,{height}", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=60, check=True)
    data = shot.read_bytes()
    if os.environ.get("LOANS_UPDATE_SCREENSHOTS"):
        shutil.copy(shot, DOCS_IMG / f"{name}.png")
    return dom, data


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_dashboard_renders_in_headless_chromium(app, client: TestClient, engine, risk, tmp_path: Path,
                                                database_url) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the page does not depend on the database; one run is enough")
    from app.core.db import transaction
    from app.demo import load

    today = date(2026, 11, 1)
    app.state.clock = lambda: today  # the demo's business date: the stored state is read
    with transaction(engine, write=True) as session:
        load(session, seed=7, today=today)
    backfill_month_ends(engine, today)
    assert CHROMIUM is not None
    common = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    html = client.get("/dashboard", headers=risk, params={"as_of": str(today)}).text
    dom, data = _render(common, html, "dashboard", tmp_path, 1500)
    # Chromium parsed the SVG: flagged managers are red circles, every manager a link
    assert dom.count('fill="#b42318"') >= 2 and "MSK-03" in dom and "POS-03" in dom
    assert dom.count('class="dot ') >= 13
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    html = client.get("/dashboard/managers/POS-03", headers=risk, params={"as_of": str(today)}).text
    dom, data = _render(common, html, "dashboard-manager", tmp_path, 2200)
    assert dom.count('class="series"') >= 6, "vintage curves"
    assert dom.count("<rect") >= 12 * 3, "bucket bars and plan bars"
    assert "Roll rates" in dom and "/v1/loans/" in dom
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
