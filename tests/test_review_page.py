"""report.html: self-contained, and it works in a real browser (headless Chromium)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

from dedupe import run
from dedupe.review.explain import read_output
from dedupe.review.page import LARGEST_CLUSTERS, review_data

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Debian's chromium package; flags that keep it from calling home or needing a GPU or sandbox.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHARTS = ["chart-reasons", "chart-rules", "chart-sizes", "chart-jaccard", "chart-containment"]


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("review") / "out"
    run([ROOT / "samples" / "syndicated.jsonl"], output=folder)
    return folder


def test_every_output_folder_has_a_self_contained_page(output: Path) -> None:
    page = (output / "report.html").read_text(encoding="utf-8")
    assert "Chart.js v4" in page
    # No resource is fetched: no src= or href= to anything but inline data.
    assert not re.search(r"""(src|href)=["'](?!data:)""", page)
    assert "http://" not in page.split("<script>")[0]
    assert len(page) < 400_000


def test_review_data_is_capped_and_names_what_matched(output: Path) -> None:
    data = review_data(read_output(output))
    assert len(data["clusters"]) <= LARGEST_CLUSTERS
    harbor = next(c for c in data["clusters"] if c["cluster_id"] == "coast-harbor")
    assert harbor["size"] == 5
    edited = next(m for m in harbor["members"] if m["doc_id"] == "post-harbor-edited")
    assert edited["measure"] == "jaccard"
    assert any(op != "equal" for op, _, _ in edited["diff"])
    assert data["similarities"]["thresholds"]["current"] == 3
    json.dumps(data)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="playwright not installed"
)
def test_page_renders_in_headless_chromium(output: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = (output / "report.html").resolve().as_uri()
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url) if r.url != url else None)
            page.goto(url, wait_until="load")
            for chart in CHARTS:
                size = page.evaluate(
                    """(id) => { const c = document.getElementById(id);
                       return [c.width, c.height, !!Chart.getChart(c)]; }""",
                    chart,
                )
                assert size[0] > 0, chart
                assert size[1] > 0, chart
                assert size[2], f"{chart} has no chart"
            cluster = page.locator('details.cluster[data-cluster="coast-harbor"]')
            assert not cluster.locator(".diff").first.is_visible()
            cluster.locator("summary").click()
            diff = cluster.locator(".diff").first
            assert diff.is_visible()
            assert diff.locator("del, ins").count() > 0
            page.fill("#search", "wire-harbor")
            assert "exact_duplicate" in page.inner_text("#search-result")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert requests == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
