"""Concurrent double submissions and replayed callbacks, against a database of its own (real
commits from several connections at once: a SQLite file, or a fresh PostgreSQL schema)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine
from govhub.core.errors import GovHubError
from govhub.identity.models import Account, AccountKind, DepartmentType
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.payments import service
from govhub.payments.models import CallbackNonce, OrderStatus, PaymentOrder
from govhub.payments.schemas import OrderCreate
from tests.factories import add_department, add_division
from tests.payments.helpers import signed

THREADS = 6


def _race(work: Callable[[], object]) -> list[object]:
    results: list[object] = []
    barrier = threading.Barrier(THREADS)
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            outcome: object = work()
        except Exception as exc:
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _setup(factory: sessionmaker[Session]) -> tuple[Principal, uuid.UUID]:
    with factory() as session:
        add_division(session, "330000", "province")
        add_division(session, "330100", "city")
        department = add_department(session, "FEES", "330100", DepartmentType.MARKET_REGULATION)
        payer = Account(
            kind=AccountKind.CITIZEN, username="payer", display_name="payer", password_hash="x"
        )
        session.add(payer)
        session.commit()
        collector = Principal(
            "finance",
            "finance",
            frozenset({Role.FINANCE}),
            account_id=uuid.uuid4(),
            kind=AccountKind.OFFICIAL,
            department_id=department.id,
            division_code="330100",
        )
        return collector, payer.id


def test_concurrent_creation_with_one_key_makes_one_order(own_url: str) -> None:
    engine = make_engine(own_url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    collector, payer_id = _setup(factory)
    data = OrderCreate(payer_id=payer_id, subject="application:race-1", item="费", amount_fen=100)

    def create() -> uuid.UUID:
        with factory.begin() as session:
            return service.create_order(
                session, principal=collector, data=data, idempotency_key="race-key-0001"
            ).id

    results = _race(create)
    ids = {r for r in results if isinstance(r, uuid.UUID)}
    assert len(ids) == 1, results
    assert len(results) == THREADS, results
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(PaymentOrder)) == 1

    def create_without_key() -> uuid.UUID:
        with factory.begin() as session:
            other = data.model_copy(update={"subject": "application:race-2"})
            return service.create_order(session, principal=collector, data=other).id

    results = _race(create_without_key)
    created = [r for r in results if isinstance(r, uuid.UUID)]
    refused = [r for r in results if isinstance(r, GovHubError)]
    assert len(created) == 1, [repr(r)[:150] for r in results]
    assert len(refused) == THREADS - 1, [repr(r)[:150] for r in results]
    assert all(e.status == 409 for e in refused)
    engine.dispose()


def test_a_callback_replayed_concurrently_pays_once(own_url: str) -> None:
    engine = make_engine(own_url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    collector, payer_id = _setup(factory)
    with factory.begin() as session:
        order = service.create_order(
            session,
            principal=collector,
            data=OrderCreate(
                payer_id=payer_id, subject="application:cb", item="费", amount_fen=100
            ),
        )
    callback = signed(order)

    def deliver() -> OrderStatus:
        with factory.begin() as session:
            return service.handle_callback(
                session, notification=callback.notification, signature=callback.signature
            ).status

    results = _race(deliver)
    paid = [r for r in results if r is OrderStatus.PAID]
    refused = [r for r in results if isinstance(r, GovHubError)]
    assert len(paid) == 1, results
    assert len(refused) == THREADS - 1, results
    assert all(e.status == 409 for e in refused)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(CallbackNonce)) == 1
    engine.dispose()
