"""Hostile input through the HTTP API, on SQLite and PostgreSQL: the server answers 4xx, leaks nothing, runs nothing.

Unit tests of ``engine.definitions.xmlsafe`` and ``engine.sandbox`` prove the parts; these prove the doors: every way a
diagram reaches the server (raw body, multipart upload, /definitions/validate), every place diagram code hides (script,
condition, timer, form default), and the request envelope itself (size, content type, JSON shape, path ids).
Secrets and marker files live under ``tmp_path`` so that a leak or an escape would be seen, not assumed.
"""

from __future__ import annotations

import io
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest
from sqlalchemy import select

from engine.store.models import Base

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
HEAD = (
    f'<bpmn:definitions xmlns:bpmn="{BPMN}" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'id="D" targetNamespace="http://emflow.example/t">'
)
SECRET = "EMFLOW-SECRET-7f3a9c"


# --------------------------------------------------------------------------------------------------- helpers
def _diagram(documentation: str = "", head: str = HEAD, extra: str = "") -> str:
    """A deployable one-task process; ``documentation`` lands inside an element the server stores and echoes."""
    return f"""{head}
  <bpmn:process id="hostile" isExecutable="true">
    <bpmn:documentation>{documentation}</bpmn:documentation>{extra}
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_A" name="a"><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Task_A" />
    <bpmn:sequenceFlow id="F2" sourceRef="Task_A" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>"""


def _stored(api: Any) -> str:
    """Every row of every table as text: what a leak into the database would look like."""
    db = api.app.extensions["emflow"].db
    with db.engine.connect() as conn:
        return "\n".join(
            repr(tuple(row)) for table in Base.metadata.sorted_tables for row in conn.execute(select(table))
        )


def _definitions(api: Any) -> list[dict[str, Any]]:
    return api.get("/api/v1/definitions?all_versions=true").get_json()


def _assert_error(res: Any, status: int) -> dict[str, Any]:
    """The expected 4xx with the JSON error body, never a stack trace."""
    request = f"{res.request.method} {res.request.full_path[:120]}"
    assert res.status_code == status, (request, res.status_code, res.get_data()[:500])
    assert "Traceback" not in res.get_data(as_text=True), request
    error = res.get_json()["error"]
    assert error["code"] and error["message"]
    return error


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(f"{SECRET}\n")
    return path


@pytest.fixture
def listener() -> Iterator[tuple[int, Any]]:
    """A TCP port on 127.0.0.1 that records whether anything connected (an XML parser fetching a DTD would)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)

    def connections() -> int:
        count = 0
        while True:
            try:
                conn, _ = server.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    yield server.getsockname()[1], connections
    server.close()


def _all_doors(api: Any, xml: bytes) -> list[Any]:
    """Deploy as raw body and as multipart; validate as raw body and as multipart."""
    return [
        api.post("/api/v1/definitions", data=xml, content_type="application/xml"),
        api.post("/api/v1/definitions", data={"file": (io.BytesIO(xml), "d.bpmn")}, content_type="multipart/form-data"),
        api.post("/api/v1/definitions/validate", data=xml, content_type="application/xml"),
        api.post(
            "/api/v1/definitions/validate",
            data={"file": (io.BytesIO(xml), "d.bpmn")},
            content_type="multipart/form-data",
        ),
    ]


# ------------------------------------------------------------------------------------------------------- XXE
def _xxe_documents(secret: Path, port: int) -> dict[str, str]:
    url = secret.as_uri()
    return {
        "file entity": f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE bpmn:definitions [\n'
        f'  <!ENTITY secret SYSTEM "{url}">\n]>\n' + _diagram("&secret;"),
        "etc passwd": '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY p SYSTEM "file:///etc/passwd">]>\n'
        + _diagram("&p;"),
        "after a comment": f'<?xml version="1.0"?>\n<!-- harmless -->\n<!DOCTYPE d [<!ENTITY s SYSTEM "{url}">]>'
        + _diagram("&s;"),
        "parameter entity over the network": f'<?xml version="1.0"?>\n<!DOCTYPE d [\n  <!ENTITY % ext SYSTEM '
        f'"http://127.0.0.1:{port}/evil.dtd">\n  %ext;\n]>\n' + _diagram(),
        "external DTD": f'<?xml version="1.0"?>\n<!DOCTYPE bpmn:definitions SYSTEM "http://127.0.0.1:{port}/x.dtd">\n'
        + _diagram(),
        "undeclared entity": _diagram("&secret;"),
    }


@pytest.mark.parametrize("name", list(_xxe_documents(Path("/nonexistent"), 0)))
def test_xxe_is_refused_at_every_door_and_reads_nothing(api, secret_file, listener, name):
    port, connections = listener
    xml = _xxe_documents(secret_file, port)[name].encode()
    deployed_raw, deployed_multipart, validated_raw, validated_multipart = _all_doors(api, xml)
    for res in (deployed_raw, deployed_multipart):
        error = _assert_error(res, 400)
        assert error["code"] == "invalid_definition"
        assert {p["code"] for p in error["details"]} == {"xml_forbidden"}, error
    for res in (validated_raw, validated_multipart):  # validate reports problems; it never deploys
        assert res.status_code == 200
        assert res.get_json()["valid"] is False
        assert [p["code"] for p in res.get_json()["problems"]] == ["xml_forbidden"]
    text = "".join(
        r.get_data(as_text=True) for r in (deployed_raw, deployed_multipart, validated_raw, validated_multipart)
    )
    assert SECRET not in text and "root:x:0" not in text
    assert SECRET not in _stored(api) and "root:x:0" not in _stored(api)
    assert _definitions(api) == []
    assert connections() == 0, "the parser fetched a DTD"


def test_xinclude_is_stored_as_an_element_not_followed(api, secret_file):
    """XInclude needs no DTD; lxml would only follow it if asked to, and nothing asks."""
    include = f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{secret_file.as_uri()}" parse="text"/>'
    res = api.deploy(_diagram(include))
    assert res.status_code == 201, res.get_json()
    stored_xml = api.get("/api/v1/definitions/hostile/xml")
    assert include.encode() in stored_xml.data  # kept as written, not replaced by the file
    answers = [
        res,
        stored_xml,
        api.get("/api/v1/definitions/hostile"),
        api.post("/api/v1/definitions/validate", data=_diagram(include), content_type="application/xml"),
    ]
    assert all(SECRET not in r.get_data(as_text=True) for r in answers)
    assert SECRET not in _stored(api)


# ------------------------------------------------------------------------------------------------ XML bombs
def _billion_laughs() -> str:
    """Ten entities of ten references each: 10**9 "lol"s (3 GB) if a parser expanded them."""
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n  ' + "\n  ".join(entities) + "\n]>\n" + _diagram("&lol9;")


BOMBS = {
    "billion laughs": _billion_laughs,
    "quadratic blowup": lambda: (
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "' + "A" * 50_000 + '">]>\n' + _diagram("&a;" * 50_000)
    ),
    "deep nesting": lambda: _diagram(
        extra="<bpmn:extensionElements>" + "<x>" * 100_000 + "</x>" * 100_000 + "</bpmn:extensionElements>"
    ),
    "over the document limit": lambda: _diagram("x" * (6 * 1024 * 1024)),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_xml_bombs_are_refused_quickly(api, name):
    xml = BOMBS[name]().encode()
    started = time.perf_counter()
    deployed = api.deploy(xml)
    validated = api.post("/api/v1/definitions/validate", data=xml, content_type="application/xml")
    elapsed = time.perf_counter() - started
    error = _assert_error(deployed, 400)
    assert error["code"] == "invalid_definition"
    assert validated.status_code == 200 and validated.get_json()["valid"] is False
    assert elapsed < 0.5, f"{name} took {elapsed:.2f}s"
    assert _definitions(api) == []


# --------------------------------------------------------------------------------------------- request size
class _CountingStream(io.RawIOBase):
    """A 50 MB request body that is generated as it is read and counts what the server read of it."""

    def __init__(self, size: int):
        self.size = size
        self.position = 0
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # the test client measures the body by seeking to its end
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.size if whence == io.SEEK_END else offset
        return self.position

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.size - self.position)
        buffer[:n] = b" " * n
        self.position += n
        self.bytes_read += n
        return n


FIFTY_MB = 50 * 1024 * 1024
LARGE_BODIES = [
    ("/api/v1/definitions", "application/xml"),
    ("/api/v1/definitions", "multipart/form-data; boundary=b"),
    ("/api/v1/definitions/validate", "application/xml"),
    ("/api/v1/instances", "application/json"),
]


@pytest.mark.parametrize(("path", "content_type"), LARGE_BODIES)
def test_a_50_mb_body_is_413_without_being_read(api, path, content_type):
    body = _CountingStream(FIFTY_MB)
    res = api.post(path, input_stream=body, content_type=content_type)
    error = _assert_error(res, 413)
    assert error["code"] == "request_entity_too_large"
    assert body.bytes_read == 0  # refused on its Content-Length, before reading a byte
    assert _definitions(api) == [] and api.get("/api/v1/instances").get_json() == []


@pytest.mark.parametrize(("path", "content_type"), LARGE_BODIES)
def test_a_50_mb_chunked_body_is_413_after_at_most_the_limit(api, path, content_type):
    """Without a Content-Length the body is read up to the limit (10 MB), never further, and then refused —
    not silently cut at 10 MB and processed."""
    body = _CountingStream(FIFTY_MB)
    res = api.post(
        path,
        input_stream=body,
        content_type=content_type,
        environ_overrides={"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True},
    )
    _assert_error(res, 413)
    assert body.bytes_read <= api.app.config["MAX_CONTENT_LENGTH"] + 64 * 1024
    assert _definitions(api) == [] and api.get("/api/v1/instances").get_json() == []


# ----------------------------------------------------------------------------------------- diagram code
def _hostile_diagram(place: str, code: str) -> tuple[str, str]:
    """A diagram with ``code`` in one place; returns it and the id of the element that must be named."""
    if place == "script":
        element = "Script_Hostile"
        node = (
            f'<bpmn:scriptTask id="{element}" scriptFormat="python"><bpmn:incoming>F1</bpmn:incoming>'
            f"<bpmn:outgoing>F2</bpmn:outgoing><bpmn:script>{escape(code)}</bpmn:script></bpmn:scriptTask>"
        )
    elif place == "timer":
        element = "Timer_Hostile"
        node = (
            f'<bpmn:intermediateCatchEvent id="{element}"><bpmn:incoming>F1</bpmn:incoming>'
            "<bpmn:outgoing>F2</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeDuration>"
            f'{escape(code)} or "PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>'
            "</bpmn:intermediateCatchEvent>"
        )
    elif place == "form default":
        element = "Task_Hostile"
        node = (
            f'<bpmn:userTask id="{element}"><bpmn:extensionElements><camunda:formData>'
            f'<camunda:formField id="note" label="note" type="string" defaultValue={quoteattr(code)} />'
            "</camunda:formData></bpmn:extensionElements><bpmn:incoming>F1</bpmn:incoming>"
            "<bpmn:outgoing>F2</bpmn:outgoing></bpmn:userTask>"
        )
    else:  # condition, on the non-default flow of an exclusive gateway
        element = "Flow_Hostile"
        node = (
            '<bpmn:exclusiveGateway id="Gateway" default="Flow_Default"><bpmn:incoming>F1</bpmn:incoming>'
            "<bpmn:outgoing>Flow_Hostile</bpmn:outgoing><bpmn:outgoing>Flow_Default</bpmn:outgoing>"
            "</bpmn:exclusiveGateway>"
            '<bpmn:sequenceFlow id="Flow_Hostile" sourceRef="Gateway" targetRef="EndEvent_1">'
            f"<bpmn:conditionExpression>{escape(code)}</bpmn:conditionExpression></bpmn:sequenceFlow>"
            '<bpmn:sequenceFlow id="Flow_Default" sourceRef="Gateway" targetRef="EndEvent_1" />'
        )
    target = "Gateway" if place == "condition" else element
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
{HEAD}
  <bpmn:process id="hostile" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    {node}
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>{
        "Flow_Hostile</bpmn:incoming><bpmn:incoming>Flow_Default" if place == "condition" else "F2"
    }</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="{target}" />
    {"" if place == "condition" else f'<bpmn:sequenceFlow id="F2" sourceRef="{element}" targetRef="EndEvent_1" />'}
  </bpmn:process>
</bpmn:definitions>"""
    return xml, element


def _payloads(marker: Path) -> dict[str, str]:
    """Expressions that write ``marker`` if Python ever evaluates them (see the control test below)."""
    m = str(marker)
    return {
        "import os": f"__import__('os').system('touch {m}')",
        "subclasses": (
            "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
            f".__init__.__globals__['system']('touch {m}')"
        ),
        "open": f"open('{m}', 'w').write('x')",
        "getattr builtins": f"getattr(__import__('builtins'), 'open')('{m}', 'w')",
        "underscore attribute": f"__import__('tempfile')._os.system('touch {m}')",
        "eval": f"eval(\"__import__('os').system('touch {m}')\")",
        "lambda default": f"(lambda f=open: f('{m}', 'w'))()",
    }


PLACES = ["script", "condition", "timer", "form default"]
PAYLOADS = list(_payloads(Path("marker")))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_control_the_payloads_do_write_the_marker_when_python_runs_them(tmp_path, payload):
    """Without this, a payload with a typo would make the refusal tests below pass for the wrong reason."""
    marker = tmp_path / "pwned"
    eval(_payloads(marker)[payload], {})  # the point: prove that the payload works
    assert marker.exists()


@pytest.mark.parametrize("place", PLACES)
def test_diagram_code_escapes_are_refused_at_deploy_naming_the_element(api, tmp_path, place):
    marker = tmp_path / "pwned"
    for payload, code in _payloads(marker).items():
        xml, element = _hostile_diagram(place, code)
        error = _assert_error(api.deploy(xml), 400)
        assert error["code"] == "invalid_definition", payload
        named = [p for p in error["details"] if p["element_id"] == element]
        assert named and element in error["message"], (payload, error)
        assert {p["code"] for p in named} & {
            "forbidden_expression",
            "script_syntax",
            "condition_syntax",
            "timer_expression",
            "form_field",
        }, (payload, named)
        assert isinstance(named[0]["line"], int), payload
        checked = api.post("/api/v1/definitions/validate", data=xml, content_type="application/xml").get_json()
        assert checked["valid"] is False and element in {p["element_id"] for p in checked["problems"]}, payload
    assert _definitions(api) == []
    assert not marker.exists()


def test_the_diagrams_are_deployable_without_the_payload(api):
    """The hostile diagrams differ from deployable ones only by the payload (so the refusal is the payload's)."""
    benign = {"script": "x = 1", "condition": "1 == 1", "timer": "'PT1H'", "form default": "draft"}
    for place, code in benign.items():
        res = api.deploy(_hostile_diagram(place, code)[0])
        assert res.status_code == 201, (place, res.get_json())


# ----------------------------------------------------------------------------------------- JSON envelopes
@pytest.fixture
def ids(api, triage_xml) -> dict[str, Any]:
    assert api.deploy(triage_xml).status_code == 201
    instance = api.start("triage", as_="duty").get_json()
    return {"instance": instance["id"], "task": instance["ready_tasks"][0]["id"]}


JSON_ENDPOINTS = [
    ("/api/v1/instances", "duty"),
    ("/api/v1/instances/{instance}/messages", "admin"),
    ("/api/v1/instances/{instance}/suspend", "admin"),
    ("/api/v1/tasks/{task}/complete", "duty"),
]

NOT_OBJECTS = ["[]", '["definition_key"]', '"triage"', "42", "true", "null"]


def test_json_bodies_that_are_not_objects_are_400(api, ids):
    for path, user in JSON_ENDPOINTS:
        for body in NOT_OBJECTS:
            res = api.post(path.format(**ids), as_=user, data=body, content_type="application/json")
            assert "JSON object" in _assert_error(res, 400)["message"], (path, body)
    _assert_nothing_changed(api, ids)


WRONG_TYPES = [
    ('{"definition_key": "triage", "business_key": "X"}', "text/plain"),
    ('{"definition_key": "triage", "business_key": "X"}', "application/xml"),
    ('{"definition_key": "triage", "business_key": "X"}', None),
    ("<instance/>", "application/xml"),
]


def test_wrong_content_types_are_400(api, ids):
    for path, user in JSON_ENDPOINTS:
        for body, content_type in WRONG_TYPES:
            res = api.post(path.format(**ids), as_=user, data=body, content_type=content_type)
            error = _assert_error(res, 400)
            assert "Content-Type: application/json" in error["message"], (path, content_type)
    _assert_nothing_changed(api, ids)


def test_multipart_to_a_json_endpoint_is_400(api, ids):
    res = api.post(
        "/api/v1/instances",
        as_="duty",
        data={"definition_key": "triage", "business_key": "X"},
        content_type="multipart/form-data",
    )
    _assert_error(res, 400)
    _assert_nothing_changed(api, ids)


def _start(definition_key: str = '"triage"', business_key: str = '"X"', extra: str = "") -> str:
    return f'{{"definition_key": {definition_key}, "business_key": {business_key}{extra}}}'


HOSTILE_BODIES = [
    # (raw JSON body of a start request, status, the field the error must name)
    (_start(extra=', "version": 1e400'), 422, "version"),
    (_start(extra=', "version": 18446744073709551616'), 422, "version"),
    (_start(extra=', "version": 2147483648'), 422, "version"),
    (_start(extra=', "version": "1"'), 422, "version"),
    (_start(extra=', "version": true'), 422, "version"),
    (_start(extra=', "version": ' + "9" * 5000), 400, None),  # beyond Python's int parsing limit
    (_start(extra=', "data": {"level": 1e400}'), 422, "data.level"),
    (_start(extra=', "data": {"level": NaN}'), 422, "data.level"),
    (_start(extra=', "data": {"level": -Infinity}'), 422, "data.level"),
    (_start(business_key='"INC\\u0000-1"'), 422, "business_key"),
    (_start(business_key='"INC\\ud800"'), 422, "business_key"),
    (_start(definition_key='"tri\\u0000age"'), 422, "definition_key"),
    (_start(extra=', "data": {"note": "a\\u0000b"}'), 422, "data.note"),
    (_start(extra=', "data": {"list": ["ok", "\\udfff"]}'), 422, "data.list[1]"),
    (_start(extra=', "data": {"\\ud83d": 1}'), 422, "data.'\\ud83d'"),
    (_start(extra=', "data": ' + '{"a": ' * 40 + "1" + "}" * 40), 400, None),
    (_start(extra=', "data": ' + "[" * 100_000 + "]" * 100_000), 400, None),
    ("[" * 100_000 + "]" * 100_000, 400, None),
    ('{"a": ' * 100_000 + "1" + "}" * 100_000, 400, None),
]


def test_hostile_json_values_are_4xx_naming_the_field(api, ids):
    for body, status, field in HOSTILE_BODIES:
        res = api.post("/api/v1/instances", as_="duty", data=body, content_type="application/json")
        error = _assert_error(res, status)
        assert field is None or field in error["details"], (body[:80], error)
    _assert_nothing_changed(api, ids)


def test_big_but_storable_values_round_trip(api, ids):
    """What is refused above is refused for a reason: shallow nesting and huge integers are fine."""
    data = {"nested": json.loads('{"a": ' * 20 + "1" + "}" * 20), "big": 10**400, "text": "污染\n\t事件 ☢"}
    res = api.start("triage", business_key="INC-BIG", data=data)
    assert res.status_code == 201, res.get_json()
    assert api.get(f"/api/v1/instances/{res.get_json()['id']}").get_json()["data"]["big"] == 10**400


def _assert_nothing_changed(api: Any, ids: dict[str, Any]) -> None:
    instances = api.get("/api/v1/instances").get_json()
    assert [i["id"] for i in instances] == [ids["instance"]]
    assert instances[0]["version"] == 1 and instances[0]["status"] == "running"


# ------------------------------------------------------------------------------------------- path and query
HOSTILE_PATHS = [
    "/api/v1/tasks/a%00b",
    "/api/v1/tasks/%00",
    "/api/v1/tasks/%ff%fe",
    "/api/v1/tasks/" + "x" * 300,
    "/api/v1/tasks/%E4%BB%BB%E5%8A%A1",
    "/api/v1/definitions/%00",
    "/api/v1/definitions/tri%00age/xml",
    "/api/v1/definitions/%E6%B5%81%E7%A8%8B",
    "/api/v1/definitions/%ED%A0%80",  # an encoded lone surrogate: not UTF-8
    "/api/v1/instances/99999999999999999999999",
    "/api/v1/instances/2147483648",
    "/api/v1/instances/0",
    "/api/v1/instances/-1",
    "/api/v1/instances/%EF%BC%91",  # a full-width digit one
    "/api/v1/instances/1%00",
    "/api/v1/instances/99999999999999999999999/history",
]


def test_hostile_path_ids_are_404(api, ids):
    for path in HOSTILE_PATHS:
        _assert_error(api.get(path), 404)
        if "/tasks/" in path:
            _assert_error(api.post(path + "/complete", as_="duty", json={"data": {}}), 404)
        if "/instances/" in path and not path.endswith("/history"):
            _assert_error(api.post(path + "/cancel"), 404)
    _assert_nothing_changed(api, ids)


HOSTILE_QUERIES = [
    ("/api/v1/tasks?lane=%00", "lane"),
    ("/api/v1/tasks?lane=duty%0Aofficer", "lane"),
    ("/api/v1/tasks?instance_id=99999999999999999999", "instance_id"),
    ("/api/v1/tasks?instance_id=1e3", "instance_id"),
    ("/api/v1/tasks?offset=9223372036854775808", "offset"),
    ("/api/v1/instances?business_key=%00", "business_key"),
    ("/api/v1/instances?definition_key=" + "k" * 201, "definition_key"),
    ("/api/v1/instances?stauts=running", "stauts"),
    ("/api/v1/definitions/triage?version=99999999999999999999", "version"),
    ("/api/v1/definitions?version=0", "version"),
]


def test_hostile_query_strings_are_422_naming_the_parameter(api, ids):
    for path, field in HOSTILE_QUERIES:
        for user in ("admin", "allhands"):
            assert field in _assert_error(api.get(path, as_=user), 422)["details"], (path, user)


def test_a_denial_on_a_long_path_is_still_403_and_audited(api):
    """The audited action is cut to its column: a 233-character path must not turn the 403 into a 500."""
    path = "/api/v1/tasks/" + "t" * 200 + "/complete"
    _assert_error(api.post(path, as_="auditor", json={"data": {}}), 403)
    entry = api.app.extensions["emflow"].users.audit_log(1)[0]
    assert entry["actor"] == "auditor" and entry["outcome"] == "denied"
    assert entry["action"].startswith("POST /api/v1/tasks/ttt") and len(entry["action"]) <= 200


def test_bodies_without_a_fixed_schema_get_the_same_checks(api):
    """Escalation facts and ruleset documents are free-form, yet as hostile as any other body."""
    evaluate = "/api/v1/escalation/evaluate"
    nan = api.post(evaluate, as_="duty", data='{"deaths": NaN}', content_type="application/json")
    assert "deaths" in _assert_error(nan, 422)["details"]
    _assert_error(
        api.post(evaluate, as_="duty", data="[" * 100_000 + "]" * 100_000, content_type="application/json"), 400
    )
    _assert_error(api.post(evaluate, as_="duty", data='{"deaths": 0}', content_type="text/plain"), 400)
    huge = api.post(evaluate + "?version=99999999999999999999", as_="duty", json={"deaths": 0})
    assert "version" in _assert_error(huge, 422)["details"]
    # an error that quotes a key holding a lone surrogate is still a 400, not a 500 while writing the answer
    quoted = api.post("/api/v1/rulesets", data='{"\\ud800": 1}', content_type="application/json")
    assert "\ufffd" in _assert_error(quoted, 400)["message"]
