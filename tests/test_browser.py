"""End to end in a real headless browser: ``clastordf serve`` (granian) and Debian's Chromium via Playwright.

Chromium is found at ``$CLASTORDF_CHROMIUM``, or as ``chromium`` on the PATH (``.ci/run`` installs
Debian's package). Outside CI a machine without Chromium skips these tests; in CI they always run.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CLASTORDF_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("no Chromium on this machine (CI installs Debian's chromium)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(real_build_dir: Path) -> Iterator[str]:
    """The main job as users run it: ``clastordf serve`` on a free port, served by granian."""
    port = free_port()
    cli = Path(sys.executable).parent / "clastordf"
    proc = subprocess.Popen(
        [str(cli), "serve", "--no-build", "--build-dir", str(real_build_dir), "--port", str(port), "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            output = proc.stdout.read().decode() if proc.stdout else ""
            pytest.fail(f"clastordf serve did not come up:\n{output[-3000:]}")
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "Chromium is required in CI"
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


def test_landing_query_and_fact_in_a_browser(live_server, browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(live_server + "/")
    assert "clastordf" in page.title().lower() or "clastokine" in page.content().lower()
    page.get_by_role("link", name="query page").first.click()
    page.wait_for_url("**/query**")

    # an example query runs through /sparql and its answers appear as table rows
    page.locator("a.example[href*='lifr-gp130-ligands']").click()
    # (a locator, not wait_for_function: the site's Content-Security-Policy forbids evaluating strings)
    page.locator("#results tbody tr").first.wait_for(timeout=15000)
    assert page.locator("#results tbody tr").count() > 0
    assert "rows" in page.locator("#query-status").inner_text()

    # the facts list filters on the contested axis with its form; contested facts carry a badge
    page.goto(live_server + "/facts")
    page.select_option("select[name='contested']", "true")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/facts?*contested=true*")
    assert page.locator("table#facts a[href*='/fact/CF0320']").count() == 1
    assert page.locator("table#facts a[href*='/fact/CF0215']").count() == 0  # C3a: not contested
    rows = page.locator("table#facts tbody tr")
    assert rows.count() > 0 and page.locator("table#facts tbody tr .badge.contested").count() >= rows.count()

    # follow a fact link from the facts list to its page, with its claims and evidence
    page.goto(live_server + "/facts")
    link = page.locator("table a[href*='/fact/CF0200']").first
    link.click()
    page.wait_for_url("**/fact/CF0200")
    body = page.locator("body").inner_text()
    assert "Sphingosine-1-phosphate" in body or "sphingosine" in body.lower()
    assert "pubmed.ncbi.nlm.nih.gov" in page.content()
    assert errors == [], errors
    page.close()


def test_answers_link_only_to_http_and_the_site_allows_no_inline_script(live_server, browser):
    """Under the Content-Security-Policy the query page's script still runs; an answer's
    ``javascript:`` IRI is text, and an IRI under the base that reads as ``//host`` links to its entity
    page, not to that host. An inline script the page did not bring is blocked."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(live_server + "/query")
    query = (
        "SELECT ?x WHERE { VALUES ?x { <javascript:alert(document.domain)> <https://example.org/x> "
        "<https://w3id.org/clastordf//evil.example/x> } }"
    )
    page.fill("#query-text", query)
    page.get_by_role("button", name="Run").click()
    page.locator("#results tbody tr").nth(2).wait_for(timeout=15000)
    hrefs = page.eval_on_selector_all("#results a", "links => links.map(a => a.getAttribute('href'))")
    assert len(hrefs) == 2 and all(h.startswith(("/entity?iri=", "/term?iri=")) for h in hrefs), hrefs
    assert "javascript:alert(document.domain)" in page.locator("#results").inner_text()
    assert blocked == [] and errors == [], (blocked, errors)

    # the policy holds: a script put into the page inline does not run
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';
                            document.body.appendChild(s); }""")
    assert page.evaluate("() => window.ran") is None
    assert any("Content Security Policy" in m for m in blocked)
    page.close()


def test_the_pages_that_misled_read_plainly_in_a_browser(live_server, browser):
    """The pages the newcomer review found misleading (issue 18), as a browser shows them."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(live_server + "/")
    body = page.locator("body").inner_text()
    assert "An unreleased build of version" in body and "Release 0" not in body
    assert "clastokines by the ontology's definition" in body
    icon = page.locator("link[rel='icon']").get_attribute("href")
    assert icon and page.request.get(live_server + icon).headers["content-type"].startswith("image/svg+xml")

    # the menu's endpoint link shows the query page, not Turtle
    page.get_by_role("link", name="SPARQL endpoint").first.click()
    page.wait_for_url("**/query")
    assert page.locator("#query-text").count() == 1

    # a filter value that matches nothing says so, and case does not matter
    page.goto(live_server + "/facts?cell=Nonexistent")
    assert "No fact has “Nonexistent”" in page.locator("body").inner_text()
    page.goto(live_server + "/facts?level=invivosupport")
    assert page.locator("select[name='level']").input_value() == "InVivoSupport"
    assert page.locator("table#facts tbody tr").count() > 0

    page.goto(live_server + "/evidence/E0650")
    assert "knowledge assertion" in page.locator("body").inner_text()
    page.goto(live_server + "/dataset")
    assert (page.locator("p.kicker").text_content() or "").startswith("Dataset")  # CSS shows it in capitals
    assert errors == [], errors
    page.close()
