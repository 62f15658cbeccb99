"""Webhooks: signed, retried with backoff, only to safe targets, only under an active grant."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.data.exchange import webhooks
from govhub.data.exchange.models import Delivery, DeliveryStatus
from govhub.data.ingest import service as ingest_service
from tests.data.exchange.conftest import Consumer, consumer_of, csv_text, revoke
from tests.factories import World


@dataclass
class Receiver:
    """A real HTTP endpoint on localhost that records what it receives."""

    url: str
    answers: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            box.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(box.answers.pop(0) if box.answers else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/govhub"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVHUB_EXCHANGE_WEBHOOK_ALLOW_PRIVATE", "true")


def _subscribe(client: TestClient, consumer: Consumer, url: str) -> Any:
    return client.post(
        "/api/v1/exchange/subscriptions",
        json={"resource_id": str(consumer.resource.id), "url": url},
        headers=consumer.headers,
    )


def _publish(session: Session, world: World, consumer: Consumer, tmp_path: Path) -> None:
    source = tmp_path / "v2.csv"
    source.write_text(csv_text(), encoding="utf-8")
    ingest_service.ingest(
        session,
        principal=world.principal(world.city_a_admin),
        resource_id=consumer.resource.id,
        source=source,
        filename=source.name,
    )
    session.flush()


def _deliveries(session: Session) -> list[Delivery]:
    session.expire_all()
    return list(session.scalars(select(Delivery)))


@pytest.mark.usefixtures("private_targets")
class TestDelivery:
    def test_a_new_version_is_announced_with_a_verifiable_signature(
        self,
        client: TestClient,
        session: Session,
        world: World,
        consumer: Consumer,
        receiver: Receiver,
        tmp_path: Path,
    ) -> None:
        made = _subscribe(client, consumer, receiver.url)
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
        assert secret.startswith("whsec_")
        _publish(session, world, consumer, tmp_path)

        with httpx.Client() as http:
            assert webhooks.deliver_due(http) == 1
        headers, body = receiver.received[0]
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
        key = base64.b64decode(secret.removeprefix("whsec_"))
        expected = base64.b64encode(hmac.digest(key, signed, hashlib.sha256)).decode()
        assert headers["webhook-signature"] == f"v1,{expected}"
        assert b'"type":"dataset.published"' in body
        assert b'"version":2' in body
        assert "宁波".encode() not in body  # identifiers and digests only, never data

        listed = client.get(
            f"/api/v1/exchange/subscriptions/{made.json()['id']}/deliveries",
            headers=consumer.headers,
        ).json()
        assert [(d["status"], d["attempts"], d["last_status"]) for d in listed] == [
            ("delivered", 1, 204)
        ]

    def test_failures_are_retried_with_backoff_then_given_up(
        self,
        client: TestClient,
        session: Session,
        world: World,
        consumer: Consumer,
        receiver: Receiver,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("GOVHUB_EXCHANGE_WEBHOOK_MAX_ATTEMPTS", "3")
        _subscribe(client, consumer, receiver.url)
        _publish(session, world, consumer, tmp_path)
        receiver.answers = [500, 503, 500]
        start = utcnow()
        with httpx.Client() as http:
            assert webhooks.deliver_due(http, now=start) == 0
            assert webhooks.deliver_due(http, now=start + timedelta(seconds=10)) == 0
            assert len(receiver.received) == 1  # not due yet: the first retry waits 30 s
            webhooks.deliver_due(http, now=start + timedelta(seconds=31))
            webhooks.deliver_due(http, now=start + timedelta(seconds=92))
        (delivery,) = _deliveries(session)
        assert len(receiver.received) == 3
        assert delivery.status is DeliveryStatus.FAILED
        assert delivery.attempts == 3
        assert delivery.last_error == "HTTP 500"

    def test_a_revoked_grant_stops_announcements(
        self,
        client: TestClient,
        session: Session,
        world: World,
        consumer: Consumer,
        receiver: Receiver,
        tmp_path: Path,
    ) -> None:
        _subscribe(client, consumer, receiver.url)
        revoke(session, world, consumer)
        _publish(session, world, consumer, tmp_path)
        assert _deliveries(session) == []

    def test_unsubscribing_drops_pending_deliveries(
        self,
        client: TestClient,
        session: Session,
        world: World,
        consumer: Consumer,
        receiver: Receiver,
        tmp_path: Path,
    ) -> None:
        made = _subscribe(client, consumer, receiver.url).json()
        _publish(session, world, consumer, tmp_path)
        gone = client.delete(
            f"/api/v1/exchange/subscriptions/{made['id']}", headers=consumer.headers
        )
        assert gone.status_code == 204
        with httpx.Client() as http:
            assert webhooks.deliver_due(http) == 0
        assert receiver.received == []
        listed = client.get("/api/v1/exchange/subscriptions", headers=consumer.headers).json()
        assert listed == []


class TestTargets:
    @pytest.mark.parametrize(
        ("url", "words"),
        [
            ("http://example.com/hook", "HTTPS"),
            ("https://127.0.0.1/hook", "public"),
            ("https://localhost/hook", "public"),
            ("https://10.1.2.3/hook", "public"),
            ("https://user:pw@example.com/hook", "credentials"),
            ("ftp://example.com/hook", "http(s)"),
            ("https://host.invalid/hook", "resolve"),
        ],
    )
    def test_unsafe_targets_are_refused(
        self, client: TestClient, consumer: Consumer, url: str, words: str
    ) -> None:
        response = _subscribe(client, consumer, url)
        assert response.status_code == 422, response.text
        assert words in response.json()["detail"]
        assert client.get("/api/v1/exchange/subscriptions", headers=consumer.headers).json() == []

    @pytest.mark.usefixtures("private_targets")
    def test_no_grant_no_subscription(
        self, client: TestClient, consumer: Consumer, receiver: Receiver
    ) -> None:
        response = client.post(
            "/api/v1/exchange/subscriptions",
            json={"resource_id": "00000000-0000-4000-8000-000000000000", "url": receiver.url},
            headers=consumer.headers,
        )
        assert response.status_code == 404


@pytest.mark.usefixtures("private_targets")
class TestOwnership:
    def test_another_system_cannot_see_or_stop_a_subscription(
        self,
        client: TestClient,
        session: Session,
        world: World,
        consumer: Consumer,
        receiver: Receiver,
    ) -> None:
        made = _subscribe(client, consumer, receiver.url).json()
        other = consumer_of(session, world, client, consumer.resource, world.province_bureau)
        url = f"/api/v1/exchange/subscriptions/{made['id']}"
        assert client.get(f"{url}/deliveries", headers=other.headers).status_code == 404
        assert client.delete(url, headers=other.headers).status_code == 404
        assert client.get(f"{url}/deliveries", headers=consumer.headers).status_code == 200
