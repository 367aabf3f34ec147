"""The pages for people: one HTML shell at ``/ui/`` and the bundle built from ``api/web/`` into ``api/web/dist/``.

The pages are public (a browser opening a page cannot send a token); everything they show comes from the API
with the token the user pastes at login, so the shell and its assets hold no data. The bundle's file names carry
content hashes (``dist/manifest.json`` maps ``app.js`` and ``app.css`` to them), so assets are cached for long and
a new build is picked up at once. Without a build the shell says how to make one instead of failing obscurely.
These routes are outside ``/api/`` and so not operations of the OpenAPI document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, redirect, send_from_directory, url_for
from markupsafe import escape

from api.auth import public

bp = Blueprint("pages", __name__)

DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
MIMETYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".eot": "application/vnd.ms-fontobject",
    ".svg": "image/svg+xml",
}
"""The only files served from dist/, with types set here rather than guessed from the host's mime.types."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""bpmn-js and the properties panel set style attributes (hence 'unsafe-inline' for styles only) and draw some
icons as data: URIs; nothing is loaded from another origin."""

_SHELL = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>emflow 环境应急流程</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{css}">
</head>
<body>
  <div id="app"></div>
  <script src="{js}"></script>
</body>
</html>
"""

_NOT_BUILT = """<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>emflow</title></head>
<body>
  <h1>页面尚未构建 · The pages are not built</h1>
  <p>请在项目目录运行 <code>make setup</code>（执行 <code>npm ci</code> 并构建 <code>api/web/dist/</code>）。</p>
  <p>Run <code>make setup</code> in the project folder (it runs <code>npm ci</code> and builds
     <code>api/web/dist/</code>).</p>
</body>
</html>
"""


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _manifest() -> dict[str, str] | None:
    try:
        manifest = json.loads((DIST / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if {"app.js", "app.css"} <= manifest.keys() else None


@bp.get("/")
@public
def root() -> Any:
    return redirect(url_for("pages.shell"))


@bp.get("/ui/")
@public
def shell() -> Any:
    """The single page; the hash (``#/inbox``, ``#/editor`` ...) selects what it shows."""
    manifest = _manifest()
    if manifest is None:
        return _headers(Response(_NOT_BUILT, status=503, mimetype="text/html"))
    page = _SHELL.format(
        css=escape(url_for("pages.asset", name=manifest["app.css"])),
        js=escape(url_for("pages.asset", name=manifest["app.js"])),
    )
    response = Response(page, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return _headers(response)


@bp.get("/ui/assets/<path:name>")
@public
def asset(name: str) -> Any:
    """A built file (content-hashed name, so cached for a day); only the types of ``MIMETYPES``."""
    mimetype = MIMETYPES.get(Path(name).suffix)
    if mimetype is None:
        abort(404)
    return _headers(send_from_directory(DIST, name, mimetype=mimetype, max_age=86400))
