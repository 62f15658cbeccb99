"""Exchange queries: the grant bounds fields and rows whatever the request says."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.ledger.models import LedgerPending
from govhub.ledger.service import payload_digest
from govhub.privacy.pseudonyms import pseudonym_key, pseudonymize
from tests.data.exchange.conftest import QUERY_URL, Consumer, consumer_of, query, revoke
from tests.factories import World, make_id_number


class TestWithinTheGrant:
    def test_rows_fields_and_masks_come_from_the_grant(
        self, client: TestClient, consumer: Consumer
    ) -> None:
        response = query(client, consumer)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["fields"] == ["tyshxydm", "qymc", "fddbr", "fddbr_sfzh"]
        assert [r["qymc"] for r in page["rows"]] == [
            "宁波甲公司",
            "宁波乙公司",
            "宁波丙公司",
            "宁波戊公司",
        ]
        first = page["rows"][0]
        assert first["fddbr"] == "张*"
        assert (
            first["fddbr_sfzh"]
            == make_id_number("330203")[:6] + "*" * 8 + (make_id_number("330203")[-4:])
        )
        assert "szqh" not in first

    def test_projection_filter_sort_and_pages(self, client: TestClient, consumer: Consumer) -> None:
        body = {
            "fields": ["qymc"],
            "where": [{"field": "qymc", "op": "prefix", "value": "宁波"}],
            "order_by": [{"field": "tyshxydm", "descending": True}],
            "limit": 3,
        }
        first = query(client, consumer, **body).json()
        assert first["rows"] == [
            {"qymc": "宁波戊公司"},
            {"qymc": "宁波丙公司"},
            {"qymc": "宁波乙公司"},
        ]
        assert first["next_offset"] == 3
        rest = query(client, consumer, **body | {"offset": 3}).json()
        assert rest["rows"] == [{"qymc": "宁波甲公司"}]
        assert rest["next_offset"] is None

    def test_hostile_values_are_only_values(self, client: TestClient, consumer: Consumer) -> None:
        body = {"where": [{"field": "qymc", "op": "eq", "value": "x' OR '1'='1"}]}
        response = query(client, consumer, **body)
        assert response.status_code == 200
        assert response.json()["rows"] == []

    def test_each_call_is_ledgered_with_the_digest_of_what_left(
        self, client: TestClient, session: Session, consumer: Consumer
    ) -> None:
        page = query(client, consumer, fields=["qymc"], limit=2).json()
        rows = json.dumps(page["rows"], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        assert page["digest"] == hashlib.sha256(rows.encode()).hexdigest()
        entries = session.scalars(
            select(LedgerPending).where(LedgerPending.subject == f"grant:{consumer.grant.id}")
        ).all()
        access = [e for e in entries if e.kind == "data_access"]
        assert len(access) == 1
        expected = {
            "consumer": consumer.client.client_id,
            "resource": str(consumer.resource.id),
            "version": 1,
            "fields": ["qymc"],
            "rows": 2,
            "purpose": consumer.grant.purpose,
            "call": {"fields": ["qymc"], "where": [], "order_by": [], "limit": 2, "offset": 0},
            "response_sha256": page["digest"],
        }
        assert access[0].payload_digest == payload_digest(expected)
        assert access[0].actor == f"client:{consumer.client.client_id}"


class TestPseudonyms:
    def test_two_consumers_get_tokens_that_do_not_join(
        self, client: TestClient, session: Session, world: World, consumer: Consumer
    ) -> None:
        pseudo = {"fddbr_sfzh": {"treatment": "pseudonymize"}}
        other = consumer_of(
            session,
            world,
            client,
            consumer.resource,
            world.province_bureau,
            treatments=pseudo,
        )
        again = consumer_of(
            session, world, client, consumer.resource, world.city_b_market, treatments=pseudo
        )
        mine = query(client, again, fields=["fddbr_sfzh"], limit=1).json()["rows"][0]
        theirs = query(client, other, fields=["fddbr_sfzh"], limit=1).json()["rows"][0]
        real = make_id_number("330203")
        assert mine["fddbr_sfzh"] == pseudonymize(real, pseudonym_key(f"grant:{again.grant.id}"))
        assert theirs["fddbr_sfzh"] == pseudonymize(real, pseudonym_key(f"grant:{other.grant.id}"))
        assert mine != theirs


class TestRefusals:
    @pytest.mark.parametrize(
        ("body", "status", "words"),
        [
            ({"fields": ["qymc", "zczb"]}, 403, "outside your grant: zczb"),
            ({"where": [{"field": "szqh", "op": "eq", "value": "330106"}]}, 403, "szqh"),
            ({"where": [{"field": "fddbr", "op": "eq", "value": "张三"}]}, 403, "fddbr"),
            ({"order_by": [{"field": "fddbr_sfzh"}]}, 403, "fddbr_sfzh"),
            ({"limit": 5000}, 422, "at most 1000"),
            ({"limit": 0}, 422, "limit"),
            ({"fields": ['qymc" FROM x --']}, 422, "fields"),
            ({"where": [{"field": "qymc", "op": "regex", "value": "."}]}, 422, "op"),
            ({"where": [{"field": "qymc", "op": "in", "value": []}]}, 422, "list"),
            ({"select": "*"}, 422, "select"),
        ],
    )
    def test_bad_calls_are_problems(
        self,
        client: TestClient,
        consumer: Consumer,
        body: dict[str, Any],
        status: int,
        words: str,
    ) -> None:
        response = query(client, consumer, **body)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert words in response.text

    def test_a_value_that_does_not_fit_the_type(
        self, client: TestClient, session: Session, world: World, consumer: Consumer
    ) -> None:
        wide = consumer_of(
            session,
            world,
            client,
            consumer.resource,
            world.city_b_market,
            fields=["qymc", "zczb"],
        )
        response = query(client, wide, where=[{"field": "zczb", "op": "gt", "value": "lots"}])
        assert response.status_code == 422, response.text
        assert "type" in response.json()["detail"]

    def test_revoked_and_expired_grants(
        self, client: TestClient, session: Session, world: World, consumer: Consumer
    ) -> None:
        consumer.grant.expires_at = utcnow() - timedelta(seconds=1)
        session.flush()
        expired = query(client, consumer)
        assert expired.status_code == 403
        assert "expired" in expired.json()["detail"]
        revoke(session, world, consumer)
        session.flush()
        revoked = query(client, consumer)
        assert revoked.status_code == 403
        assert "revoked" in revoked.json()["detail"]

    def test_no_grant_looks_like_no_resource(self, client: TestClient, consumer: Consumer) -> None:
        unknown = QUERY_URL.format("00000000-0000-4000-8000-000000000000")
        missing = client.post(unknown, json={}, headers=consumer.headers)
        assert missing.status_code == 404
        assert missing.json()["detail"] == "no active grant for this resource"

    def test_officials_are_not_consumers(
        self,
        client: TestClient,
        consumer: Consumer,
        world: World,
        login: Any,
    ) -> None:
        denied = client.post(
            QUERY_URL.format(consumer.resource.id), json={}, headers=login(world.city_b_admin)
        )
        assert denied.status_code == 403
        admin = client.post(
            QUERY_URL.format(consumer.resource.id), json={}, headers=login(world.platform_admin)
        )
        assert admin.status_code == 404

    def test_rate_limit(
        self, client: TestClient, consumer: Consumer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("GOVHUB_EXCHANGE_REQUESTS_PER_MINUTE", "2")
        assert query(client, consumer).status_code == 200
        assert query(client, consumer).status_code == 200
        limited = query(client, consumer)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1


class TestConsumerGrants:
    def test_a_system_lists_its_grants_and_protections(
        self, client: TestClient, consumer: Consumer
    ) -> None:
        grants = client.get("/api/v1/exchange/grants", headers=consumer.headers).json()
        assert grants == [
            {
                "grant_id": str(consumer.grant.id),
                "resource_id": str(consumer.resource.id),
                "resource_title": consumer.resource.title,
                "fields": ["tyshxydm", "qymc", "fddbr", "fddbr_sfzh"],
                "protected_fields": {"fddbr": "mask", "fddbr_sfzh": "mask"},
                "expires_at": consumer.grant.expires_at.isoformat(),
            }
        ]
