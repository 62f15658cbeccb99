"""Bulk exports: every granted row, transformed, in three formats, ledgered before sending."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from collections.abc import Callable

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.settings import get_settings
from govhub.identity.models import Account
from govhub.ledger.models import LedgerPending
from tests.data.exchange.conftest import Consumer
from tests.factories import World

URL = "/api/v1/exchange/resources/{}/export"
Login = Callable[[Account], dict[str, str]]
NINGBO = ["宁波甲公司", "宁波乙公司", "宁波丙公司", "宁波戊公司"]


def _export(client: TestClient, consumer: Consumer, fmt: str, **body: object) -> bytes:
    response = client.post(
        URL.format(consumer.resource.id), json={"format": fmt, **body}, headers=consumer.headers
    )
    assert response.status_code == 200, response.text
    digest = base64.b64encode(hashlib.sha256(response.content).digest()).decode()
    assert response.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert response.headers["x-row-count"] == str(len(NINGBO))
    return response.content


class TestFormats:
    def test_csv(self, client: TestClient, consumer: Consumer) -> None:
        rows = list(csv.DictReader(io.StringIO(_export(client, consumer, "csv").decode())))
        assert [r["qymc"] for r in rows] == NINGBO
        assert rows[0]["fddbr"] == "张*"
        assert set(rows[0]) == {"tyshxydm", "qymc", "fddbr", "fddbr_sfzh"}

    def test_ndjson(self, client: TestClient, consumer: Consumer) -> None:
        lines = _export(client, consumer, "ndjson").decode().splitlines()
        rows = [json.loads(line) for line in lines]
        assert [r["qymc"] for r in rows] == NINGBO
        assert rows[1]["fddbr"] == "李*"

    def test_parquet_with_a_projection(self, client: TestClient, consumer: Consumer) -> None:
        table = pq.read_table(io.BytesIO(_export(client, consumer, "parquet", fields=["fddbr"])))
        assert table.column_names == ["fddbr"]
        assert table.column("fddbr").to_pylist() == ["张*", "李*", "王*", "孙*"]


class TestLedger:
    def test_the_export_is_ledgered_with_the_file_digest(
        self, client: TestClient, session: Session, consumer: Consumer
    ) -> None:
        _export(client, consumer, "csv")
        spool = get_settings().var_dir / "spool" / "exchange"
        assert list(spool.iterdir()) == []  # the file is removed once sent
        kinds = session.scalars(
            select(LedgerPending.kind).where(LedgerPending.subject == f"grant:{consumer.grant.id}")
        ).all()
        assert sorted(kinds) == ["data_access", "share_granted"]


class TestRefusals:
    def test_unknown_format_and_fields_outside_the_grant(
        self, client: TestClient, consumer: Consumer
    ) -> None:
        url = URL.format(consumer.resource.id)
        bad = client.post(url, json={"format": "xlsx"}, headers=consumer.headers)
        assert bad.status_code == 422
        outside = client.post(url, json={"fields": ["szqh"]}, headers=consumer.headers)
        assert outside.status_code == 403

    def test_export_quota(
        self, client: TestClient, consumer: Consumer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("GOVHUB_EXCHANGE_EXPORTS_PER_HOUR", "1")
        _export(client, consumer, "csv")
        limited = client.post(
            URL.format(consumer.resource.id), json={"format": "csv"}, headers=consumer.headers
        )
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 60


class TestUsage:
    def test_the_owner_sees_who_read_how_much(
        self, client: TestClient, consumer: Consumer, world: World, login: Login
    ) -> None:
        query = f"/api/v1/exchange/resources/{consumer.resource.id}/query"
        client.post(query, json={"limit": 2}, headers=consumer.headers)
        client.post(query, json={"fields": ["qymc"]}, headers=consumer.headers)
        _export(client, consumer, "csv")
        url = f"/api/v1/sharing/grants/{consumer.grant.id}/usage"
        usage = client.get(url, headers=login(world.city_a_admin)).json()
        assert usage["calls"] == 3
        assert usage["rows"] == 2 + 4 + 4
        assert usage["calls_by_kind"] == {"query": 2, "export": 1}
        assert len(usage["by_day"]) == 1
        assert usage["by_day"][0]["calls"] == 3
        assert usage["last_at"] is not None
        stranger = client.get(url, headers=login(world.city_a_leader))
        assert stranger.status_code == 403
