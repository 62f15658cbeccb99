"""Pages of a version sealed at rest, read from the decrypted copy kept in memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.storage import get_storage
from govhub.data.catalog.models import DatasetVersion
from govhub.data.exchange import service
from govhub.privacy import vault
from tests.data.exchange.conftest import Consumer, query, revoke
from tests.factories import World

PAGE = {"order_by": [{"field": "tyshxydm", "descending": True}], "limit": 2}


def _storage_key(session: Session, consumer: Consumer) -> str:
    key = session.scalar(
        select(DatasetVersion.storage_key).where(DatasetVersion.resource_id == consumer.resource.id)
    )
    assert key is not None
    return key


@pytest.fixture(autouse=True)
def empty_vault_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts and ends without decrypted versions in memory."""
    monkeypatch.delenv("GOVHUB_VAULT_CACHE_BYTES", raising=False)
    vault.forget()
    yield
    vault.forget()


class TestSealedPages:
    def test_the_version_is_sealed_and_kept_decrypted_after_one_call(
        self, client: TestClient, session: Session, consumer: Consumer
    ) -> None:
        key = _storage_key(session, consumer)
        assert vault.read_pointer(get_storage(), key) is not None
        assert vault.cached_bytes() == 0
        assert query(client, consumer).status_code == 200
        assert vault.cached_bytes() > 0

    def test_cached_and_uncached_pages_carry_the_same_rows_and_digest(
        self, client: TestClient, consumer: Consumer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        first = query(client, consumer, **PAGE)  # decrypts and keeps the version
        cached = query(client, consumer, **PAGE)  # reads the kept copy
        monkeypatch.setenv("GOVHUB_VAULT_CACHE_BYTES", "0")
        vault.forget()
        uncached = query(client, consumer, **PAGE)  # decrypts for this call only
        assert vault.cached_bytes() == 0
        assert [r.status_code for r in (first, cached, uncached)] == [200, 200, 200]
        assert first.content == cached.content == uncached.content
        page = cached.json()
        assert len(page["rows"]) == 2
        assert page["rows"][0]["fddbr"].endswith("*")  # masked as the grant says

    def test_a_revoked_grant_is_refused_although_its_data_is_in_memory(
        self, client: TestClient, session: Session, world: World, consumer: Consumer
    ) -> None:
        assert query(client, consumer).status_code == 200
        assert vault.cached_bytes() > 0
        revoke(session, world, consumer)
        session.flush()
        refused = query(client, consumer)
        assert refused.status_code == 403
        assert "rows" not in refused.json()

    def test_a_rotated_version_answers_the_same_page(
        self, client: TestClient, session: Session, consumer: Consumer
    ) -> None:
        before = query(client, consumer, **PAGE)
        path = vault.open_dataset(_storage_key(session, consumer)).path
        vault.rotate(session, actor="service:test", reencrypt=True)
        after = query(client, consumer, **PAGE)
        assert vault.open_dataset(_storage_key(session, consumer)).path != path
        assert after.status_code == 200
        assert after.json()["rows"] == before.json()["rows"]
        assert after.json()["digest"] == before.json()["digest"]


class TestEngine:
    def test_parquet_footers_are_kept_by_every_cursor(self) -> None:
        con = service._engine.get()
        row = con.execute("SELECT current_setting('parquet_metadata_cache')").fetchone()
        assert row == (True,)
