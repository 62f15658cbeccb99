"""Bulk exports: every granted row, transformed, in three formats, ledgered before sending."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.settings import get_settings
from govhub.ledger.models import LedgerEntry
from tests.data.exchange.conftest import Consumer

URL = "/api/v1/exchange/resources/{}/export"
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
            select(LedgerEntry.kind).where(LedgerEntry.subject == f"grant:{consumer.grant.id}")
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
