"""Schemathesis against the OpenAPI document: no 5xx, and every response as the document describes it.
Also: the document is valid OpenAPI 3, and the Swagger UI page that shows it loads nothing from elsewhere.

The document is loaded from the app itself (``/api/v1/openapi.json`` through WSGI), so what is checked is what
clients get. Checks: no server error, every status and content type documented, every JSON body valid against its
response schema, and no protected operation answering 2xx without a valid token (``ignored_auth``).

Each run is with a valid administrator token, then a responder's (whose many 403s must be documented too). Random
ids almost never exist, so half of the generated requests use ids that do (a deployed definition, a running
instance, its ready task; also as ``definition_key`` in a start body), and a handful of hand-written requests
walk the happy path (deploy, start, claim, complete, message) so that every success response is checked against
its schema as well. Hypothesis is derandomized and keeps no example database: a run is the same every time.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate as validate_spec
from schemathesis.checks import not_a_server_error
from schemathesis.models import Case
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
)
MAX_EXAMPLES = 15
"""Per operation and run: 20 operations × 15 × 2 tokens is about 600 requests per database, a few seconds."""

FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def known(api: Any, triage_xml: bytes) -> dict[str, Any]:
    """Ids that exist, so generated requests reach the handlers behind the 404."""
    assert api.deploy(triage_xml).status_code == 201
    instance = api.start("triage", as_="allhands").get_json()
    return {"key": "triage", "instance_id": instance["id"], "task_id": instance["ready_tasks"][0]["id"]}


def _use_known(case: Case, known: dict[str, Any]) -> None:
    case.path_parameters = {k: known.get(k, v) for k, v in (case.path_parameters or {}).items()}
    if isinstance(case.body, dict) and "definition_key" in case.body:
        case.body["definition_key"] = known["key"]


def _happy_path(schema: BaseSchema, known: dict[str, Any], triage_xml: bytes) -> list[Case]:
    """Requests that succeed for the role allowed to make them, in an order that keeps them valid."""
    task = {"task_id": known["task_id"]}
    instance = {"instance_id": known["instance_id"]}
    cases = [
        schema["/api/v1/definitions"]["POST"].make_case(body=triage_xml.decode(), media_type="application/xml"),
        schema["/api/v1/definitions/validate"]["POST"].make_case(
            body=triage_xml.decode(), media_type="application/xml"
        ),
        schema["/api/v1/instances"]["POST"].make_case(
            body={"definition_key": "triage", "business_key": "FUZZ-1", "data": {"来源": "12369"}},
            media_type="application/json",
        ),
        schema["/api/v1/tasks/{task_id}/claim"]["POST"].make_case(path_parameters=task),
        schema["/api/v1/tasks/{task_id}/complete"]["POST"].make_case(
            path_parameters=task, body={"data": {"severity": 1, "channel": "phone"}}, media_type="application/json"
        ),
        schema["/api/v1/instances/{instance_id}/messages"]["POST"].make_case(
            path_parameters=instance,
            body={"name": "situation_update", "payload": {"更新": 1}},
            media_type="application/json",
        ),
        schema["/api/v1/instances/{instance_id}/suspend"]["POST"].make_case(
            path_parameters=instance, body={"reason": "核实中"}, media_type="application/json"
        ),
        schema["/api/v1/instances/{instance_id}/history"]["GET"].make_case(path_parameters=instance),
    ]
    for case in cases:
        case.headers = {}  # ignored_auth adds a bad token to the case's headers, and make_case leaves them None
    return cases


@pytest.mark.parametrize("user", ["admin", "allhands"])
def test_no_server_error_and_every_response_as_documented(
    api: Any, known: dict[str, Any], triage_xml: bytes, user: str
) -> None:
    schema = schemathesis.from_wsgi("/api/v1/openapi.json", api.app)
    headers = {"Authorization": f"Bearer {api.tokens[user]}"}
    statuses: set[int] = set()

    for case in _happy_path(schema, known, triage_xml):
        statuses.add(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy(), use_known=st.booleans())
        def run(case: Case, use_known: bool) -> None:
            if use_known:
                _use_known(case, known)
            statuses.add(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

        run()
    # the runs reached past authorization and validation, not only the error handlers (each role is also
    # refused somewhere: claim/complete for the administrator, deploy for the responder)
    assert {200, 201, 403, 404, 409, 422} <= statuses, statuses


# ------------------------------------------------------------------------------------ the document and its page
@pytest.fixture
def sqlite_app(sqlite_url: str) -> Iterator[Any]:
    """The document and the page do not touch the database: one backend is enough."""
    from api import create_app

    app = create_app({"DATABASE_URL": sqlite_url, "TESTING": True})
    yield app
    app.extensions["emflow"].close()


def test_the_document_is_valid_openapi_3(sqlite_app: Any) -> None:
    res = sqlite_app.test_client().get("/api/v1/openapi.json")
    assert res.status_code == 200
    document = res.get_json()
    assert document["openapi"].startswith("3.0")
    validate_spec(document)  # raises OpenAPIValidationError naming the first problem
    assert "/api/v1/docs" in document["paths"]
    assert "text/html" in document["paths"]["/api/v1/docs"]["get"]["responses"]["200"]["content"]


class _Links(HTMLParser):
    """Every URL the page makes a browser fetch: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.spec_url: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for attribute in ("src", "href"):
            if values.get(attribute):
                self.urls.append(values[attribute] or "")
        self.spec_url = values.get("data-spec-url") or self.spec_url


def test_the_swagger_ui_page_is_public_and_loads_only_local_assets(sqlite_app: Any) -> None:
    client = sqlite_app.test_client()
    page = client.get("/api/v1/docs")  # no token: a browser cannot send one when it opens a page
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html and "//" not in html.replace("<!--", "")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy and "http" not in policy

    links = _Links()
    links.feed(html)
    assert links.spec_url == "/api/v1/openapi.json"
    assert len(links.urls) == 5, links.urls  # stylesheet, two icons, Swagger UI, its initialiser
    expected = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}
    for url in links.urls:
        assert url.startswith("/api/v1/docs/"), url  # same origin, no scheme, no protocol-relative //host
        asset = client.get(url)
        assert asset.status_code == 200 and asset.data, url
        assert asset.mimetype == expected[url[url.rindex(".") :]], (url, asset.mimetype)
    bundle = client.get(next(u for u in links.urls if u.endswith("swagger-ui-bundle.js"))).get_data(as_text=True)
    assert "SwaggerUIBundle" in bundle  # the real Swagger UI, not a stub
    init = client.get("/api/v1/docs/init.js").get_data(as_text=True)
    assert "validatorUrl: null" in init and "http" not in init  # no badge fetched from the online validator


def test_the_page_serves_only_its_own_assets(sqlite_app: Any) -> None:
    client = sqlite_app.test_client()
    for path in (
        "/api/v1/docs/swagger-ui.js",
        "/api/v1/docs/oauth2-redirect.html",
        "/api/v1/docs/LICENSE",
        "/api/v1/docs/../../openapi.json/x",
        "/api/v1/docs/%2e%2e/__init__.py",
    ):
        assert client.get(path).status_code == 404, path
