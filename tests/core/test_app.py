"""Application plumbing: health, readiness, metrics, request ids, logs, OpenAPI and errors."""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from govhub.api import create_app
from govhub.core import health
from govhub.core.logging import JsonFormatter, request_id_var
from govhub.core.settings import get_settings


class TestOperations:
    def test_healthz(self, client: TestClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"

    def test_readyz_checks_the_database(self, client: TestClient) -> None:
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checks"]["database"] == "ok"

    def test_readyz_reports_an_unreachable_database(
        self, client: TestClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        dead = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
        monkeypatch.setattr(health, "get_engine", lambda: dead)
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["database"] == "unreachable"

    def test_metrics_count_requests_by_route_template(self, client: TestClient) -> None:
        client.get("/api/v1/divisions/330100")
        text = client.get("/metrics").text
        assert "govhub_http_requests_total" in text
        assert 'route="/api/v1/divisions/{code}"' in text

    def test_openapi_and_docs_are_published(self, client: TestClient) -> None:
        spec = client.get("/api/openapi.json").json()
        assert spec["info"]["title"] == "GovHub API"
        assert "/api/v1/accounts/citizens" in spec["paths"]
        assert client.get("/api/docs").status_code == 200


class TestRequestIds:
    def test_each_response_carries_a_fresh_id(self, client: TestClient) -> None:
        a = client.get("/healthz").headers["x-request-id"]
        b = client.get("/healthz").headers["x-request-id"]
        assert a != b
        assert len(a) == 32

    def test_a_well_formed_incoming_id_is_kept(self, client: TestClient) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": "trace-12345678"})
        assert response.headers["x-request-id"] == "trace-12345678"

    def test_a_hostile_incoming_id_is_replaced(self, client: TestClient) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
        assert response.headers["x-request-id"] != "bad id <script>"
        assert len(response.headers["x-request-id"]) == 32


class TestJsonLogs:
    def test_records_are_json_with_the_request_id_and_extras(self) -> None:
        token = request_id_var.set("req-abcdefgh")
        try:
            record = logging.makeLogRecord(
                {"name": "govhub.t", "levelname": "INFO", "msg": "hello %s", "args": ("x",)}
            )
            record.route = "/a"
            record.color_message = "\x1b[36mhello\x1b[0m"
            doc = json.loads(JsonFormatter().format(record))
        finally:
            request_id_var.reset(token)
        assert doc["message"] == "hello x"
        assert doc["request_id"] == "req-abcdefgh"
        assert doc["route"] == "/a"
        assert doc["level"] == "info"
        assert "color_message" not in doc

    def test_request_logs_carry_no_credentials(self, client: TestClient) -> None:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
        logging.getLogger("govhub").addHandler(handler)
        try:
            client.post(
                "/api/v1/auth/token",
                json={"username": "someone", "password": "hunter2-secret-pw"},
            )
            client.get("/api/v1/me", headers={"Authorization": "Bearer abc.def.ghi"})
        finally:
            logging.getLogger("govhub").removeHandler(handler)
        err = stream.getvalue()
        assert '"route": "/api/v1/auth/token"' in err
        assert "hunter2-secret-pw" not in err
        assert "abc.def.ghi" not in err
        assert "someone" not in err


class TestUnexpectedErrors:
    def test_a_crash_is_a_500_problem_without_a_stack_trace(self, client: TestClient) -> None:
        app = client.app

        @app.get("/api/v1/test-crash")  # type: ignore[attr-defined, untyped-decorator]
        def crash() -> None:
            raise RuntimeError("internal detail that must not leak")

        with TestClient(app, raise_server_exceptions=False) as quiet:
            response = quiet.get("/api/v1/test-crash")
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert "internal detail" not in response.text
        assert "Traceback" not in response.text
        assert response.json()["request_id"] == response.headers["x-request-id"]


class TestUploadLimit:
    def test_uploads_get_their_own_larger_limit(self, client: TestClient) -> None:
        limit = get_settings().max_body_bytes
        files = {"file": ("big.csv", b"a,b\n" + b"1,2\n" * (limit // 4 + 10), "text/csv")}
        # Past the JSON limit but within the upload limit: the body reaches the route.
        response = client.post("/api/v1/divisions", files=files)
        assert response.status_code != 413

    def test_uploads_over_the_upload_limit_are_refused(
        self, session_factory: object, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "max_upload_bytes", 1000)
        files = {"file": ("big.csv", b"1,2\n" * 1000, "text/csv")}
        with TestClient(create_app()) as small:
            response = small.post("/api/v1/divisions", files=files)
        assert response.status_code == 413
        assert "1000 bytes" in response.json()["detail"]


class TestNulCharacters:
    def test_nul_in_the_query_string_is_a_400_problem(self, client: TestClient) -> None:
        response = client.get("/api/v1/divisions/330100?x=%00")
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["request_id"] == response.headers["x-request-id"]

    def test_nul_in_a_json_body_names_the_problem(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/auth/token", json={"username": "a\u0000b", "password": "whatever"}
        )
        assert response.status_code == 422
        assert "NUL" in response.text
