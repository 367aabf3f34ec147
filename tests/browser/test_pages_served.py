"""What the server gives a browser before any script runs (Flask test client, no chromium): the page shell and
its assets, nothing from another origin, only the built files, and GET /api/v1/me for the login."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from api.views import pages


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.fixture
def client(sqlite_url: str) -> Iterator[Any]:
    from api import create_app

    app = create_app({"DATABASE_URL": sqlite_url, "TESTING": True})
    yield app.test_client()
    app.extensions["emflow"].close()


@pytest.fixture
def dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in build, so these tests do not depend on npm."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "app-ABC.js").write_text("console.log('emflow')")
    (tmp_path / "app-ABC.css").write_text("body{}")
    (tmp_path / "assets" / "bpmn-XYZ.woff2").write_bytes(b"wOF2")
    (tmp_path / "manifest.json").write_text(json.dumps({"app.js": "app-ABC.js", "app.css": "app-ABC.css"}))
    monkeypatch.setattr(pages, "DIST", tmp_path)
    return tmp_path


def test_the_shell_loads_only_its_own_bundle(client: Any, dist: Path) -> None:
    assert client.get("/").headers["Location"].endswith("/ui/")
    page = client.get("/ui/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "http" not in html and "//" not in html
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy and "connect-src 'self'" in policy
    links = _Links()
    links.feed(html)
    assert links.urls == ["data:,", "/ui/assets/app-ABC.css", "/ui/assets/app-ABC.js"]
    expected = {
        "/ui/assets/app-ABC.css": "text/css",
        "/ui/assets/app-ABC.js": "text/javascript",
        "/ui/assets/assets/bpmn-XYZ.woff2": "font/woff2",
    }
    for url, mimetype in expected.items():
        asset = client.get(url)
        assert asset.status_code == 200 and asset.mimetype == mimetype, url
        assert asset.headers["X-Content-Type-Options"] == "nosniff"


def test_only_built_files_are_served(client: Any, dist: Path) -> None:
    for path in (
        "/ui/assets/manifest.json",
        "/ui/assets/../manifest.json",
        "/ui/assets/%2e%2e/pages.py",
        "/ui/assets/..%2f..%2fviews%2fpages.py",
        "/ui/assets/nope.js",
        "/ui/assets/.built",
    ):
        assert client.get(path).status_code == 404, path


def test_without_a_build_the_page_says_how_to_make_one(
    client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "DIST", tmp_path / "missing")
    page = client.get("/ui/")
    assert page.status_code == 503 and "make setup" in page.get_data(as_text=True)


def test_the_real_build_is_complete() -> None:
    manifest_path = pages.DIST / "manifest.json"
    if not manifest_path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the pages must be built in CI: no {manifest_path}")
        pytest.skip("the pages are not built; `make setup` builds them")
    manifest = json.loads(manifest_path.read_text())
    css = (pages.DIST / manifest["app.css"]).read_text()
    assert (pages.DIST / manifest["app.js"]).stat().st_size > 100_000  # bpmn-js, the panel and the pages
    assert ".djs-container" in css and ".bio-properties-panel" in css and "@font-face" in css
    assert "url(http" not in css and "@import" not in css  # fonts and styles bundled, nothing fetched elsewhere


@pytest.mark.parametrize(
    "user, role, lanes",
    [("admin", "administrator", []), ("auditor", "auditor", []), ("office", "responder", ["emergency_office"])],
)
def test_me_names_the_caller(sqlite_url: str, user: str, role: str, lanes: list[str]) -> None:
    from api import create_app
    from tests.conftest import Api, make_users

    app = create_app({"DATABASE_URL": sqlite_url, "TESTING": True})
    api = Api(app, make_users(app.extensions["emflow"]))
    assert api.get("/api/v1/me", as_=user).get_json() == {"name": user, "role": role, "lanes": lanes}
    assert api.get("/api/v1/me", as_=None).status_code == 401
    app.extensions["emflow"].close()
