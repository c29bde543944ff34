"""``GET /api/openapi.json`` describes every route of the API from the definitions the handlers use."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route
from starlette.testclient import TestClient

from server import api
from server.api.reassign import ReassignBody
from server.parsing import object_schema
from server.routing import ApiRoute


def _document(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")  # no token: integrators read it first
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def test_every_route_of_the_api_is_described(client: TestClient) -> None:
    document = _document(client)
    assert document["openapi"] == "3.1.0"
    described = {(path, verb) for path, item in document["paths"].items() for verb in item}
    routes = [r for r in api.routes if isinstance(r, Route)]
    assert len(routes) == len(api.routes)
    expected = {(r.path_format, m.lower()) for r in routes for m in r.methods or () if m != "HEAD"}
    assert expected | {("/api/openapi.json", "get")} == described
    assert all(isinstance(r, ApiRoute) for r in api.routes)


def test_a_body_is_described_by_the_definition_that_checks_it(client: TestClient) -> None:
    operation = _document(client)["paths"]["/api/campaigns/{cid}/reassign"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema == object_schema(ReassignBody)
    # Closed: an unknown key is refused, as the handler refuses it.
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"action", "from", "status", "count", "to"}
    assert schema["required"] == ["action"]
    assert schema["properties"]["count"]["anyOf"][0]["maximum"] == 2**63 - 1


def test_paths_queries_answers_and_errors_are_described(client: TestClient) -> None:
    document = _document(client)
    listing = document["paths"]["/api/campaigns/{campaign_id}/conversations"]["get"]
    params = {(p["in"], p["name"]) for p in listing["parameters"]}
    assert {("path", "campaign_id"), ("query", "sender"), ("query", "limit"), ("query", "cursor")} <= params
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["required"] == [
        "conversations",
        "next_cursor",
    ]
    assert listing["responses"]["422"] == {"$ref": "#/components/responses/E422"}
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    login = document["paths"]["/api/login"]["post"]
    assert login["security"] == [] and "429" in login["responses"]
    assert document["paths"]["/api/health"]["get"]["security"] == []
