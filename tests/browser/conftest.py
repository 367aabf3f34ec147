"""Browser tests: a real server on a free port, Debian's chromium driven by Playwright, one page per test.

The server is the Flask app in a thread (werkzeug's ``make_server``) on a fresh SQLite database with the bundled
``processes/`` and rulesets deployed and one user per role. Chromium is ``/usr/bin/chromium`` from Debian
(``make test`` installs it); Playwright's own browser download is never used. Without chromium, Playwright or the
built pages the tests skip — except with CI=true, where they fail. A failing test leaves a screenshot of its page
in ``test-output/``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from engine.services import BUNDLED_PROCESSES, deploy_paths
from engine.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"
DIST = ROOT / "api" / "web" / "dist"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USERS = {
    "admin": ("administrator", ()),
    "auditor": ("auditor", ()),
    "duty": ("responder", ("duty_officer", "leader")),
}

FIRST_INFORMATION = {
    "source": "12369环保举报热线群众举报",
    "place": "临江县滨江化工园区江城新材料有限公司厂区东侧雨水排口",
    "description": "企业苯乙烯储罐区发生泄漏，部分物料经雨水管网流入厂外沟渠",
}
FACTS: dict[str, Any] = {
    "deaths": 0,
    "injured_or_poisoned": 0,
    "evacuated": 0,
    "direct_loss_yuan": 0,
    "water_source_interruption": "none",
    "radioactive_source_class": "none",
    "radiation_wide_severe_contamination": False,
    "ecological_damage": "none",
    "cross_boundary": "none",
    "heavy_metal": False,
    "affects_drinking_water_source": False,
    "sensitive_receptors": [],
    "mass_incident": False,
    "sensitive_period": False,
    "reporting_authority": "county",
}
"""The incident facts (docs/ESCALATION.md, §Facts) of a level IV incident without an Art.4 trigger: its initial
report is due 240 minutes after discovery."""
INITIAL_REPORT_MINUTES = 240


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {what}")
    pytest.skip(what)


def chromium_path() -> str | None:
    return shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)


@dataclass
class Server:
    url: str
    tokens: dict[str, str]
    app: Any
    session: requests.Session = field(default_factory=requests.Session)

    def api(self, method: str, path: str, as_: str, **kw: Any) -> Any:
        """Call the API directly (to set up what a test does not do in the browser)."""
        headers = {"Authorization": f"Bearer {self.tokens[as_]}"}
        res = self.session.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=30, **kw)
        assert res.status_code < 400, (method, path, res.status_code, res.text[:500])
        return res.json() if res.headers.get("Content-Type", "").startswith("application/json") else res.text


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from werkzeug.serving import make_server

    from api import create_app

    if not (DIST / "manifest.json").is_file():
        _missing(f"the pages are not built ({DIST}); run `make setup`")
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'emflow.sqlite3'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url})
    services = app.extensions["emflow"]
    deploy_paths(services, [BUNDLED_PROCESSES], "system")
    services.rulesets.deploy_bundled()
    tokens = {name: services.users.add(name, role, list(lanes))[1] for name, (role, lanes) in USERS.items()}
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    yield Server(f"http://127.0.0.1:{http.server_port}", tokens, app)
    http.shutdown()
    thread.join(5)
    services.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the Python package playwright is not installed (pip install -e '.[test]')")
    executable = chromium_path()
    if executable is None:
        _missing("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh page (its own sessionStorage and localStorage) in Chinese, in China Standard Time."""
    context = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1440, "height": 960},
        accept_downloads=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.errors = []  # uncaught exceptions and console errors other than the HTTP errors a test provokes
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            page.errors.append(msg.text) if msg.type == "error" and "Failed to load resource" not in msg.text else None
        ),
    )
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """On failure, a full-page screenshot of the test's page: test-output/<test name>.png."""
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page is not None:
        OUTPUT.mkdir(exist_ok=True)
        path = OUTPUT / f"{item.name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            report.sections.append(("screenshot", str(path)))
        except Exception as exc:  # a crashed page cannot be photographed; the failure itself still reports
            report.sections.append(("screenshot", f"none: {exc}"))


@pytest.fixture
def recorded_incident(server: Server) -> Any:
    """``recorded_incident(business_key, report_due_in)``: start five_firsts and record the incident through the
    API as the duty officer, discovered so that the initial report falls due ``report_due_in`` from now (the test
    server fires no timers, so a deadline that passes leaves the task READY and overdue). Returns the instance."""

    def record(business_key: str, report_due_in: timedelta) -> dict[str, Any]:
        discovered = datetime.now(UTC) - timedelta(minutes=INITIAL_REPORT_MINUTES) + report_due_in
        started = server.api(
            "POST",
            "/instances",
            as_="duty",
            json={"definition_key": "five_firsts", "business_key": business_key, "data": FIRST_INFORMATION},
        )
        [task] = started["ready_tasks"]
        data = {**FIRST_INFORMATION, **FACTS, "discovered_at": discovered.isoformat()}
        return server.api("POST", f"/tasks/{task['id']}/complete", as_="duty", json={"data": data})

    return record


@pytest.fixture
def login(page: Any, server: Server) -> Any:
    """``login("duty")``: paste the user's token on the login page, as a person would."""

    def log_in(user: str) -> None:
        page.goto("/ui/")
        page.fill("#token", server.tokens[user])
        page.click("#login-form button[type=submit]")
        page.wait_for_selector(f"header .who[data-role='{USERS[user][0]}']")

    return log_in
