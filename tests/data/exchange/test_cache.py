"""The gateway's per-process caches never let a change made here go unseen."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, update
from sqlalchemy.orm import Session

from govhub.core.cache import WatchedCache
from govhub.core.db import utcnow
from govhub.data.exchange import service
from govhub.data.exchange.cache import grants
from govhub.data.ingest import service as ingest_service
from govhub.data.sharing.models import Grant
from govhub.identity import authn, tokens
from govhub.identity.models import Department, OAuthClient
from tests.data.exchange.conftest import QUERY_URL, Consumer, csv_text, query, revoke
from tests.factories import World


def _cached(consumer: Consumer) -> bool:
    key = (consumer.client.client_id, consumer.resource.id)
    return grants.get(key, ttl=3600) is not None


@pytest.fixture
def warm(client: TestClient, consumer: Consumer) -> Consumer:
    """The consumer after one answered call: its grant is in the cache."""
    assert query(client, consumer).status_code == 200
    assert _cached(consumer)
    return consumer


class TestInvalidation:
    def test_a_revoked_grant_is_refused_by_the_next_call(
        self, client: TestClient, session: Session, world: World, warm: Consumer
    ) -> None:
        revoke(session, world, warm)
        session.flush()
        assert not _cached(warm)
        refused = query(client, warm)
        assert refused.status_code == 403
        assert "revoked" in refused.json()["detail"]

    def test_a_narrowed_grant_applies_at_once(
        self, client: TestClient, session: Session, warm: Consumer
    ) -> None:
        warm.grant.fields = ["qymc"]
        session.flush()
        assert query(client, warm).json()["fields"] == ["qymc"]
        outside = query(client, warm, fields=["tyshxydm"])
        assert outside.status_code == 403

    def test_a_bulk_update_invalidates(
        self, client: TestClient, session: Session, warm: Consumer
    ) -> None:
        session.execute(update(Grant).where(Grant.id == warm.grant.id).values(revoked_at=utcnow()))
        assert not _cached(warm)
        assert query(client, warm).status_code == 403

    def test_expiry_is_checked_on_every_call(
        self, client: TestClient, connection: Connection, warm: Consumer
    ) -> None:
        # Changed as another process would change it: no session of this one sees it.
        connection.execute(
            update(Grant)
            .where(Grant.id == warm.grant.id)
            .values(expires_at=utcnow() + timedelta(seconds=1.5))
        )
        grants.invalidate()
        assert query(client, warm).status_code == 200
        assert _cached(warm)  # kept, with its expiry
        time.sleep(1.6)
        expired = query(client, warm)
        assert expired.status_code == 403
        assert "expired" in expired.json()["detail"]

    def test_another_process_s_revocation_is_seen_within_the_time_to_live(
        self,
        client: TestClient,
        connection: Connection,
        warm: Consumer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("GOVHUB_EXCHANGE_CACHE_SECONDS", "0.3")
        grants.invalidate()
        assert query(client, warm).status_code == 200
        connection.execute(
            update(Grant).where(Grant.id == warm.grant.id).values(revoked_at=utcnow())
        )
        time.sleep(0.35)
        assert query(client, warm).status_code == 403

    def test_a_cache_time_of_zero_reads_every_time(
        self,
        client: TestClient,
        connection: Connection,
        warm: Consumer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("GOVHUB_EXCHANGE_CACHE_SECONDS", "0")
        connection.execute(
            update(Grant).where(Grant.id == warm.grant.id).values(revoked_at=utcnow())
        )
        assert query(client, warm).status_code == 403

    def test_a_new_version_is_read_by_the_next_call(
        self, client: TestClient, session: Session, world: World, warm: Consumer, tmp_path: Path
    ) -> None:
        assert query(client, warm).json()["version"] == 1
        source = tmp_path / "v2.csv"
        source.write_text(csv_text(), encoding="utf-8")
        ingest_service.ingest(
            session,
            principal=world.principal(world.city_a_admin),
            resource_id=warm.resource.id,
            source=source,
            filename=source.name,
        )
        session.flush()
        assert query(client, warm).json()["version"] == 2

    def test_a_deactivated_client_is_refused_by_the_next_call(
        self, client: TestClient, session: Session, warm: Consumer
    ) -> None:
        system = session.get(OAuthClient, warm.client.client_id)
        assert system is not None
        system.is_active = False
        session.flush()
        assert query(client, warm).status_code == 401

    def test_a_changed_department_drops_the_client_principal(
        self, session: Session, world: World, warm: Consumer
    ) -> None:
        principals = authn._client_principals
        assert principals.get(warm.client.client_id, ttl=3600) is not None
        department = session.get(Department, world.city_b_market.id)
        assert department is not None
        department.name = "宁波市市场监督管理局（新）"
        session.flush()
        assert principals.get(warm.client.client_id, ttl=3600) is None

    def test_a_client_token_is_verified_once_and_dropped_with_its_client(
        self, client: TestClient, session: Session, warm: Consumer
    ) -> None:
        token = warm.headers["Authorization"].removeprefix("Bearer ")
        assert authn._client_tokens.get(token, ttl=3600) is not None
        system = session.get(OAuthClient, warm.client.client_id)
        assert system is not None
        system.is_active = False
        session.flush()
        assert authn._client_tokens.get(token, ttl=3600) is None
        assert query(client, warm).status_code == 401

    def test_a_cached_client_token_is_refused_once_it_expires(
        self, client: TestClient, session: Session, consumer: Consumer
    ) -> None:
        claims = {
            "sub": f"client:{consumer.client.client_id}",
            "client_id": consumer.client.client_id,
            "aud": authn.API_AUDIENCE,
            "scope": "",
        }
        # Expired already, but within the verifier's leeway for one to two more seconds.
        token = tokens.issue_jwt(session, claims, ttl_seconds=2 - tokens._LEEWAY_SECONDS)
        session.commit()
        headers = {"Authorization": f"Bearer {token}"}
        url = QUERY_URL.format(consumer.resource.id)
        assert client.post(url, json={}, headers=headers).status_code == 200
        time.sleep(2.1)
        refused = client.post(url, json={}, headers=headers)
        assert refused.status_code == 401

    def test_a_retired_signing_key_is_refused_at_once(
        self, client: TestClient, session: Session, warm: Consumer
    ) -> None:
        tokens.rotate_keys(session)
        tokens.rotate_keys(session, retire_after=timedelta(0))
        session.flush()
        refused = query(client, warm)
        assert refused.status_code == 401


class TestWatchedCache:
    def test_a_value_read_across_a_change_is_not_kept(self) -> None:
        cache: WatchedCache[str, int] = WatchedCache(Grant)
        since = cache.generation
        cache.invalidate()  # a change lands while the value is being read
        cache.put("k", 1, since=since, ttl=60)
        assert cache.get("k", ttl=60) is None
        cache.put("k", 2, since=cache.generation, ttl=60)
        assert cache.get("k", ttl=60) == 2

    def test_time_to_live_and_size(self) -> None:
        cache: WatchedCache[int, int] = WatchedCache(Grant, max_entries=2)
        cache.put(1, 1, since=cache.generation, ttl=60)
        assert cache.get(1, ttl=0) is None  # 0: never reuse
        time.sleep(0.02)
        assert cache.get(1, ttl=0.01) is None
        cache.put(2, 2, since=cache.generation, ttl=60)
        cache.put(3, 3, since=cache.generation, ttl=60)  # full: starts over
        assert [cache.get(k, ttl=60) for k in (1, 2, 3)] == [None, None, 3]

    def test_unrelated_changes_keep_entries(self, session: Session, world: World) -> None:
        cache: WatchedCache[str, int] = WatchedCache(Grant)
        cache.put("k", 1, since=cache.generation, ttl=60)
        department = session.get(Department, world.city_a_market.id)
        assert department is not None
        department.name = "改名"
        session.flush()
        assert cache.get("k", ttl=60) == 1


class TestPageSlots:
    def test_page_queries_take_a_slot(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("GOVHUB_EXCHANGE_PAGE_QUERIES", "3")
        slots = service._page_slots.get()
        taken = [slots.acquire(blocking=False) for _ in range(4)]
        assert taken == [True, True, True, False]  # the fourth waits its turn
        for _ in range(3):
            slots.release()
        monkeypatch.setenv("GOVHUB_EXCHANGE_PAGE_QUERIES", "0")
        service._page_slots.get()
        assert service._page_slots.size == (os.cpu_count() or 1)

    def test_a_page_says_how_long_the_engine_took(
        self, client: TestClient, consumer: Consumer
    ) -> None:
        response = query(client, consumer)
        assert response.status_code == 200
        name, _, duration = response.headers["server-timing"].partition(";dur=")
        assert name == "engine"
        assert float(duration) >= 0
