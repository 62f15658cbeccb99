"""One page call, start to finish: authenticated, authorized, recorded, then answered."""

from __future__ import annotations

import hashlib
import math
from datetime import date

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.data.exchange import api as exchange_api
from govhub.data.exchange.schemas import QueryResult
from govhub.data.exchange.writers import jsonable
from govhub.data.sharing.models import AccessKind, GrantAccess
from govhub.ledger.models import LedgerPending
from tests.data.exchange.conftest import QUERY_URL, Consumer, query, revoke
from tests.factories import World


def _recorded(session: Session, consumer: Consumer) -> tuple[int, int]:
    """Count the grant's usage rows and data-access ledger entries."""
    usage = session.scalar(select(func.count()).where(GrantAccess.grant_id == consumer.grant.id))
    ledgered = session.scalar(
        select(func.count()).where(
            LedgerPending.subject == f"grant:{consumer.grant.id}",
            LedgerPending.kind == "data_access",
        )
    )
    return usage or 0, ledgered or 0


class TestOneWorkerThread:
    def test_the_page_route_has_no_dependencies_to_hand_off(self) -> None:
        # Each synchronous dependency would run in the thread pool, a hand-off of its own.
        (route,) = [
            r
            for r in exchange_api.router.routes
            if isinstance(r, APIRoute) and r.path.endswith("/resources/{resource_id}/query")
        ]
        assert route.dependant.dependencies == []

    def test_each_answered_call_is_counted_and_ledgered(
        self, client: TestClient, session: Session, consumer: Consumer
    ) -> None:
        pages = [query(client, consumer, fields=["qymc"], limit=n) for n in (1, 3)]
        assert [p.status_code for p in pages] == [200, 200]
        assert _recorded(session, consumer) == (2, 2)
        usage = session.scalars(
            select(GrantAccess)
            .where(GrantAccess.grant_id == consumer.grant.id)
            .order_by(GrantAccess.rows)
        ).all()
        assert [(u.kind, u.rows, u.fields) for u in usage] == [
            (AccessKind.QUERY, 1, ["qymc"]),
            (AccessKind.QUERY, 3, ["qymc"]),
        ]
        assert [u.digest for u in usage] == [p.json()["digest"] for p in pages]


class TestRefusedCallsLeaveNoRecord:
    def test_no_token_is_a_401_problem(self, client: TestClient, consumer: Consumer) -> None:
        response = client.post(QUERY_URL.format(consumer.resource.id), json={})
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")

    def test_a_forged_token_is_a_401_problem(
        self, client: TestClient, session: Session, consumer: Consumer
    ) -> None:
        token = consumer.headers["Authorization"]
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        response = client.post(
            QUERY_URL.format(consumer.resource.id), json={}, headers={"Authorization": forged}
        )
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert _recorded(session, consumer) == (0, 0)

    def test_a_call_outside_the_grant_is_a_403_problem(
        self, client: TestClient, session: Session, consumer: Consumer
    ) -> None:
        response = query(client, consumer, fields=["zczb"])
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
        assert _recorded(session, consumer) == (0, 0)

    def test_revocation_stops_the_next_call_and_its_records(
        self, client: TestClient, session: Session, world: World, consumer: Consumer
    ) -> None:
        assert query(client, consumer).status_code == 200
        revoke(session, world, consumer)
        session.flush()
        refused = query(client, consumer)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert _recorded(session, consumer) == (1, 1)


class TestTheRowsLeaveAsLedgered:
    def test_the_body_carries_the_digested_bytes(
        self, client: TestClient, consumer: Consumer
    ) -> None:
        response = query(client, consumer, limit=2)
        assert response.status_code == 200
        raw = response.content
        start = raw.index(b'"rows":') + len(b'"rows":')
        end = raw.index(b',"offset":')
        page = response.json()
        assert hashlib.sha256(raw[start:end]).hexdigest() == page["digest"]
        assert list(page) == [
            "resource_id",
            "version",
            "fields",
            "rows",
            "offset",
            "limit",
            "next_offset",
            "digest",
        ]
        assert QueryResult.model_validate(page).next_offset == 2

    def test_non_finite_numbers_become_null(self) -> None:
        row = {"a": math.nan, "b": math.inf, "c": 1.5, "d": date(2024, 1, 2)}
        assert jsonable(row) == {"a": None, "b": None, "c": 1.5, "d": "2024-01-02"}
