"""The dashboard renders in a real browser: headless Chromium (Debian's package) parses the
page, draws the SVG and takes a screenshot. Skipped where Chromium is not installed."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_dashboard_renders_in_headless_chromium(client: TestClient, engine, risk, tmp_path: Path, database_url) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the page does not depend on the database; one run is enough")
    from app.core.db import transaction
    from app.demo import load

    with transaction(engine, write=True) as session:
        load(session, seed=7, today=date(2026, 11, 1))
    html = client.get("/dashboard", headers=risk, params={"as_of": "2026-11-01"}).text
    page = tmp_path / "dashboard.html"
    page.write_text(html, encoding="utf-8")
    common = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    # Chromium parsed the SVG: flagged managers are red circles with their ids as labels.
    assert dom.count('fill="#b42318"') >= 2 and "MSK-03" in dom and "POS-03" in dom
    shot = tmp_path / "dashboard.png"
    subprocess.run([*common, "--window-size=1200,1000", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=60, check=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
