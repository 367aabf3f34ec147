"""The Swagger UI page at ``/api/v1/docs``: the OpenAPI document, browsable, every asset served by this server.

Public, like the document it shows: a browser cannot send a bearer token when it navigates to a page, and the
page reveals nothing the public document does not. Every call made from it ("Try it out") still needs a token
(the Authorize button), and the token is not persisted by the page.

The Swagger UI files come from the ``flask-swagger-ui`` package (its ``dist`` folder, Swagger UI 5), never from
a CDN: servers of an environment bureau often reach no internet, and a page that loads scripts from another host
runs that host's code with the token the user types in. Only the files the page needs are served, the page
initialises itself from a script file rather than an inline one, and the Content-Security-Policy has the
browser refuse anything from elsewhere — including Swagger UI's online validator badge, which is also turned off.
The page itself is in the OpenAPI document (public, ``text/html``); its script and asset files are not operations
of the API and are left out.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from flask import Blueprint, Response, send_from_directory, url_for
from markupsafe import escape

from api.auth import public

bp = Blueprint("docs", __name__)

_DIST = str(files("flask_swagger_ui") / "dist")
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png")
_MIMETYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}
"""Set here, not guessed from the host's /etc/mime.types (which may say application/javascript, or nothing)."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""Swagger UI sets style attributes (hence 'unsafe-inline' for styles only) and draws icons as data: URIs."""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>emflow API</title>
  <link rel="stylesheet" href="{css}">
  <link rel="icon" type="image/png" sizes="32x32" href="{icon32}">
  <link rel="icon" type="image/png" sizes="16x16" href="{icon16}">
</head>
<body>
  <div id="swagger-ui" data-spec-url="{spec}"></div>
  <script src="{bundle}"></script>
  <script src="{init}"></script>
</body>
</html>
"""

_INIT_JS = """window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false
  });
});
"""


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/docs")
@public
def swagger_ui() -> Any:
    """Swagger UI for this API (HTML; every asset is served by this server).
    ---
    get:
      tags: [meta]
      responses:
        200: {description: the Swagger UI page, content: {text/html: {schema: {type: string}}}}
    """
    page = _PAGE.format(
        css=escape(url_for("docs.asset", name="swagger-ui.css")),
        icon32=escape(url_for("docs.asset", name="favicon-32x32.png")),
        icon16=escape(url_for("docs.asset", name="favicon-16x16.png")),
        spec=escape(url_for("openapi.openapi_json")),
        bundle=escape(url_for("docs.asset", name="swagger-ui-bundle.js")),
        init=escape(url_for("docs.init_js")),
    )
    return _headers(Response(page, mimetype="text/html"))


@bp.get("/docs/init.js")
@public
def init_js() -> Any:
    """The page's initialiser, a file rather than an inline script so the policy can forbid inline scripts."""
    return _headers(Response(_INIT_JS, mimetype="text/javascript"))


@bp.get(f"/docs/<any({', '.join(map(repr, ASSETS))}):name>")
@public
def asset(name: str) -> Any:
    """One Swagger UI file from the installed package (an allow-list: nothing else under its folder)."""
    mimetype = _MIMETYPES[name[name.rindex(".") :]]
    return _headers(send_from_directory(_DIST, name, mimetype=mimetype, max_age=3600))
