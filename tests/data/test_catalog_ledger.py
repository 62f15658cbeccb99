"""Catalog edits are ledgered: creation, updates and withdrawal record the snapshot's digest."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.data.catalog.models import ResourceVersion
from govhub.identity.models import Account
from govhub.ledger import service as ledger_service
from govhub.ledger.models import LedgerPending
from tests.data.helpers import resource_body
from tests.data.ingest import files
from tests.factories import World

Login = Callable[[Account], dict[str, str]]
BASE = "/api/v1/catalog/resources"


def _entries(session: Session, identifier: str) -> list[LedgerPending]:
    query = (
        select(LedgerPending)
        .where(LedgerPending.subject.like(f"catalog:{identifier}:%"))
        .order_by(LedgerPending.seq)
    )
    return list(session.scalars(query))


def _expected_digest(session: Session, body: dict[str, str], version: int, action: str) -> str:
    stored = session.get_one(ResourceVersion, (uuid.UUID(body["id"]), version))
    payload = {
        "action": action,
        "resource_id": body["id"],
        "identifier": body["identifier"],
        "version": version,
        "snapshot_digest": f"sha256:{ledger_service.payload_digest(stored.snapshot)}",
    }
    return ledger_service.payload_digest(payload)


class TestCatalogLedger:
    def test_create_update_withdraw_each_record_an_event(
        self, client: TestClient, login: Login, world: World, session: Session
    ) -> None:
        headers = login(world.city_a_admin)
        created = client.post(BASE, headers=headers, json=resource_body())
        assert created.status_code == 201, created.text
        body = created.json()
        url = f"{BASE}/{body['id']}"
        assert client.patch(url, headers=headers, json={"title": "企业登记"}).status_code == 200
        withdrawn = client.post(f"{url}/withdraw", headers=headers)
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["withdrawn_at"] is not None
        assert withdrawn.json()["version"] == 3

        entries = _entries(session, body["identifier"])
        assert [e.kind for e in entries] == ["catalog_changed"] * 3
        assert [e.subject.rsplit(":", 1)[1] for e in entries] == ["v1", "v2", "v3"]
        assert {e.actor for e in entries} == {str(world.city_a_admin.id)}
        assert {e.department_id for e in entries} == {world.city_a_market.id}
        for entry, (version, action) in zip(
            entries, [(1, "created"), (2, "updated"), (3, "withdrawn")], strict=True
        ):
            assert entry.payload_digest == _expected_digest(session, body, version, action)

    def test_a_withdrawn_resource_is_frozen_and_hidden_from_search(
        self, client: TestClient, login: Login, world: World, tmp_path: Path
    ) -> None:
        headers = login(world.city_a_admin)
        body = client.post(BASE, headers=headers, json=resource_body(title="停用资源")).json()
        url = f"{BASE}/{body['id']}"
        assert client.post(f"{url}/withdraw", headers=headers).status_code == 200
        assert client.post(f"{url}/withdraw", headers=headers).status_code == 409
        assert client.patch(url, headers=headers, json={"title": "x"}).status_code == 409
        found = client.get(BASE, headers=headers, params={"q": "停用资源"}).json()
        assert found["total"] == 0
        assert client.get(url, headers=headers).status_code == 200  # kept, with its versions
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(3))
        with path.open("rb") as handle:
            loaded = client.post(f"{url}/loads", headers=headers, files={"file": ("a.csv", handle)})
        assert loaded.status_code == 409

    def test_who_may_withdraw(
        self, client: TestClient, login: Login, world: World, session: Session
    ) -> None:
        body = client.post(BASE, headers=login(world.city_a_admin), json=resource_body()).json()
        url = f"{BASE}/{body['id']}/withdraw"
        assert client.post(url).status_code == 401
        assert client.post(url, headers=login(world.city_a_official)).status_code == 403
        assert client.post(url, headers=login(world.city_b_admin)).status_code == 404
        assert len(_entries(session, body["identifier"])) == 1
        assert client.post(url, headers=login(world.platform_admin)).status_code == 200

    def test_a_rejected_edit_records_nothing(
        self, client: TestClient, login: Login, world: World, session: Session
    ) -> None:
        headers = login(world.city_a_admin)
        body = client.post(BASE, headers=headers, json=resource_body()).json()
        dates = {"temporal_start": "2024-01-02", "temporal_end": "2023-01-01"}
        bad = client.patch(f"{BASE}/{body['id']}", headers=headers, json=dates)
        assert bad.status_code == 422
        assert len(_entries(session, body["identifier"])) == 1
