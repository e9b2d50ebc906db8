"""The report as a person sees it: the example crawl's report opened in headless Chromium.

The example project crawls its demo site (a real crawl, as a subprocess), ``optout report``
turns its audit file into HTML, and Chromium (driven by Selenium through the system
chromedriver) renders it. The numbers on the page are checked against the audit file, counted
here independently of the library; the charts are checked as drawn (sizes, bars, labels); the
evidence examples open on a click; and nothing is loaded from the network, which a control page
with an outside image shows the check would catch.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .site import Site

if TYPE_CHECKING:
    from collections.abc import Iterator

    from selenium.webdriver.remote.webdriver import WebDriver

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "example_spider"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

if not (CHROMIUM and CHROMEDRIVER):  # CI installs both (.ci/run); there a skip is a failure
    if os.environ.get("CI"):
        pytest.fail("chromium and chromedriver must be on PATH in CI", pytrace=False)
    pytest.skip("chromium and chromedriver are not installed", allow_module_level=True)

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="optout-chromium-")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1200,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example crawl's audit file and its report."""
    out = tmp_path_factory.mktemp("example")
    audit, report = out / "audit.jsonl", out / "report.html"
    env = dict(os.environ)
    env.pop("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", None)  # the project's settings set it
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    crawl = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "optout_demo",
            "-s",
            f"OPTOUT_AUDIT_FILE={audit}",
        ],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert crawl.returncode == 0, crawl.stderr
    run = subprocess.run(
        [sys.executable, "-m", "optout_middleware", "report", str(audit), "-o", str(report)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return audit, report


def audit_facts(audit: Path) -> dict[str, Any]:
    """The totals of an audit file, counted here without the library."""
    records = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    decisions = [r for r in records if "type" not in r]

    def count(action: str, stage: str | None = None) -> int:
        return sum(r["action"] == action and stage in (None, r["stage"]) for r in decisions)

    reserved_by_origin: dict[str, int] = {}
    for r in decisions:
        origin = "/".join(r["url"].split("/")[:3])
        reserved_by_origin[origin] = reserved_by_origin.get(origin, 0) + (r["reserved"] is True)
    return {
        "decided": len(decisions),
        "reserved": sum(r["reserved"] is True for r in decisions),
        "not-reserved": sum(r["reserved"] is False for r in decisions),
        "unknown": sum(r["reserved"] is None for r in decisions),
        "dropped-before": count("dropped", "request"),
        "dropped-after": count("dropped", "response"),
        "forbidden": count("forbidden"),
        "tagged": count("tagged"),
        "passed": count("passed"),
        "families": {r["decided_by"]["family"] for r in decisions if r["decided_by"]},
        "reserved_by_origin": reserved_by_origin,
        "headers": [r for r in records if r.get("type") == "crawl"],
    }


def number(text: str) -> int:
    return int(text.replace(",", "").strip())


def open_page(browser: WebDriver, path: Path) -> None:
    browser.get(path.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"


def test_example_report_totals_equal_the_audit_file(
    browser: WebDriver, example: tuple[Path, Path]
) -> None:
    """Issue 16: the example crawl's report, rendered, shows the audit file's totals."""
    audit, report = example
    facts = audit_facts(audit)
    open_page(browser, report)
    assert browser.title == "Opt-out compliance report"
    shown = {
        row.get_attribute("data-total"): number(row.find_element(By.CSS_SELECTOR, "td.n").text)
        for row in browser.find_elements(By.CSS_SELECTOR, "#totals tr[data-total]")
    }
    assert shown == {k: facts[k] for k in shown}
    assert set(shown) == {
        "decided", "reserved", "not-reserved", "unknown", "dropped-before", "dropped-after",
        "forbidden", "tagged", "passed",
    }  # fmt: skip
    assert facts["decided"] == 44  # the demo site's 44 pages, each decided once
    assert browser.find_element(By.ID, "purpose").text == "train-ai"
    file_row = browser.find_element(By.CSS_SELECTOR, "#files tr.file")
    assert str(audit) in file_row.text
    assert file_row.get_attribute("data-records") == str(facts["decided"])


def test_example_report_charts_are_drawn_with_the_audit_numbers(
    browser: WebDriver, example: tuple[Path, Path]
) -> None:
    """The three charts render with a real size; their bars and labels carry the numbers."""
    audit, report = example
    facts = audit_facts(audit)
    open_page(browser, report)
    for chart in ("chart-families", "chart-share", "chart-origins"):
        svg = browser.find_element(By.ID, chart)
        assert svg.is_displayed()
        assert svg.size["width"] > 400
        assert svg.size["height"] > 100
    bars = browser.find_elements(By.CSS_SELECTOR, "#chart-families g.bar")
    labels = {bar.get_attribute("data-label") for bar in bars}
    assert labels == facts["families"] | {"(no deciding signal)"}
    assert sum(number(bar.get_attribute("data-total") or "") for bar in bars) == facts["decided"]
    texts = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#chart-families text")]
    assert "robotstxt" in texts  # labels are text in the SVG, readable and printable
    assert "reserved" in texts  # the legend names each series, not only its colour
    top = browser.find_elements(By.CSS_SELECTOR, "#chart-origins g.bar")[0]
    most = max(facts["reserved_by_origin"].values())
    assert top.find_element(By.CSS_SELECTOR, "rect").get_attribute("data-value") == str(most)
    assert facts["reserved_by_origin"][top.get_attribute("data-label")] == most
    points = browser.find_elements(By.CSS_SELECTOR, "#chart-share rect.point")
    weighted = sum(
        float(p.get_attribute("data-percent") or 0) * number(p.get_attribute("data-count") or "")
        for p in points
    )
    assert weighted / facts["decided"] == pytest.approx(
        100 * facts["reserved"] / facts["decided"], abs=0.1
    )


def test_example_report_examples_open_with_full_verdicts(
    browser: WebDriver, example: tuple[Path, Path]
) -> None:
    """Each kind of deciding evidence has example URLs whose full verdict opens on a click."""
    _, report = example
    open_page(browser, report)
    rows = browser.find_elements(By.CSS_SELECTOR, "#evidence tr.kind")
    assert rows
    row = rows[0]
    verdict_box = row.find_element(By.CSS_SELECTOR, "details pre")
    assert not verdict_box.is_displayed()
    row.find_element(By.CSS_SELECTOR, "details summary").click()
    assert verdict_box.is_displayed()
    verdict = json.loads(verdict_box.text)
    assert verdict["decided_by"]["family"] == row.get_attribute("data-family")
    assert verdict["evidence"]


def test_example_report_shows_version_and_settings(
    browser: WebDriver, example: tuple[Path, Path]
) -> None:
    """The crawl header's versions and verdict-shaping settings are on the page."""
    audit, report = example
    (header,) = audit_facts(audit)["headers"]
    open_page(browser, report)
    versions = browser.find_element(By.CSS_SELECTOR, "#crawls .versions").text
    assert f"optout-middleware {header['library']['optout-middleware']}" in versions
    settings = {
        row.get_attribute("data-setting"): row.find_element(By.TAG_NAME, "td").text
        for row in browser.find_elements(By.CSS_SELECTOR, "#crawls tr.setting")
    }
    assert settings["OPTOUT_PURPOSE"] == '"train-ai"'
    assert settings["ROBOTSTXT_OBEY"] == "true"


def _loaded(browser: WebDriver) -> list[str]:
    return list(
        browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    )


def test_report_loads_nothing_from_the_network(
    browser: WebDriver, example: tuple[Path, Path], tmp_path: Path
) -> None:
    """Nothing is fetched when the report opens; a control page with an outside image shows
    the check would see a fetch, and that the report's CSP would block it anyway."""
    _, report = example
    open_page(browser, report)
    assert _loaded(browser) == []
    csp = browser.find_element(By.CSS_SELECTOR, 'meta[http-equiv="Content-Security-Policy"]')
    assert "default-src 'none'" in (csp.get_attribute("content") or "")

    page = report.read_text(encoding="utf-8")
    with Site({"/probe.png": (200, {"Content-Type": "image/png"}, b"")}) as server:
        probe = f'<img src="{server.url("/probe.png")}" alt="">'
        blocked = tmp_path / "blocked.html"
        blocked.write_text(page.replace("</header>", probe + "</header>"), encoding="utf-8")
        open_page(browser, blocked)
        assert server.requested == []  # the report's CSP refuses the outside image
        console = " ".join(entry["message"] for entry in browser.get_log("browser"))
        assert "Content Security Policy" in console

        meta = page[page.index('<meta http-equiv="Content-Security-Policy"') :]
        unguarded = tmp_path / "unguarded.html"
        unguarded.write_text(
            page.replace(meta[: meta.index(">") + 1], "").replace("</header>", probe + "</header>"),
            encoding="utf-8",
        )
        open_page(browser, unguarded)
        assert server.requested == ["/probe.png"]  # without it the control page does fetch
        assert _loaded(browser) == [server.url("/probe.png")]


def test_report_prints_and_reads_without_colour(
    browser: WebDriver, example: tuple[Path, Path]
) -> None:
    """In print media the charts stay on the page and the page prints to PDF; each series is
    told apart by its fill pattern and its label, not only by colour."""
    _, report = example
    open_page(browser, report)
    legend = browser.find_elements(By.CSS_SELECTOR, "#chart-families rect[height='12']")
    fills = [rect.get_attribute("fill") or "" for rect in legend]
    assert len(set(fills)) == 3
    assert sum(not fill.startswith("url(#") for fill in fills) <= 1  # at most one plain colour
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert browser.execute_script("return matchMedia('print').matches")
        for chart in ("chart-families", "chart-share", "chart-origins"):
            assert browser.find_element(By.ID, chart).size["width"] > 400
        pdf = base64.b64decode(browser.print_page())
        assert pdf.startswith(b"%PDF")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
