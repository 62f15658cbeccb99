"""Benchmark e-payment: fee orders created and sandbox callbacks verified per second.

    .venv/bin/python bench/payments.py [--orders 2000]

Measured per backend (a fresh SQLite file; PostgreSQL too when GOVHUB_BENCH_DATABASE_URL is
set: the tables are built in a scratch schema `bench_payments` of that database, dropped at
the end), one transaction per operation, committed, from one thread:

- `create_order` with an Idempotency-Key (the payer check, the subject hold, the key record);
  its peer in the same run is a bare ORM insert of the same order row (no checks, no key):
  the ratio is what the safeguards cost;
- `handle_callback` on a signed sandbox notification (HMAC-SHA256 check, JSON parse,
  timestamp window, nonce insert, order row lock, amount check, status change, ledger
  record); the peer is the signature step alone done with Ed25519 instead of HMAC
  (`cryptography`), the obvious alternative a provider might use.

Prints a table and writes bench/results/payments.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine, utcnow
from govhub.identity.codes import division_level, division_parent_code
from govhub.identity.models import Account, AccountKind, Department, DepartmentType, Division
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.models import Base
from govhub.payments import service
from govhub.payments.models import OrderStatus, PaymentOrder
from govhub.payments.provider import sandbox
from govhub.payments.schemas import OrderCreate

RESULTS = Path(__file__).parent / "results" / "payments.json"
SCHEMA = "bench_payments"


def _setup(factory: sessionmaker[Session]) -> tuple[Principal, uuid.UUID]:
    with factory.begin() as session:
        for code, name in (("330000", "province"), ("330100", "city")):
            level = division_level(code)
            if level is None:
                raise ValueError(code)
            session.add(
                Division(code=code, name=name, level=level, parent_code=division_parent_code(code))
            )
        session.flush()
        department = Department(
            code="FEES", name="fees", type=DepartmentType.MARKET_REGULATION, division_code="330100"
        )
        payer = Account(
            kind=AccountKind.CITIZEN,
            username="payer",
            display_name="payer",
            password_hash="!",  # noqa: S106 - no password: this account never signs in
        )
        session.add_all([department, payer])
        session.flush()
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


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1)


def measure(engine: Engine, orders: int) -> dict[str, Any]:
    """Create `orders` orders, pay each with a verified callback; time both and the peers."""
    Base.metadata.create_all(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    collector, payer_id = _setup(factory)
    ids: list[uuid.UUID] = []
    started = time.perf_counter()
    for i in range(orders):
        with factory.begin() as session:
            order = service.create_order(
                session,
                principal=collector,
                data=OrderCreate(
                    payer_id=payer_id, subject=f"application:b{i}", item="fee", amount_fen=5000
                ),
                idempotency_key=f"bench-{i:08d}",
            )
            ids.append(order.id)
    create_s = time.perf_counter() - started

    started = time.perf_counter()
    now = utcnow()
    for i in range(orders):
        with factory.begin() as session:
            session.add(
                PaymentOrder(
                    department_id=collector.department_id,
                    payer_id=payer_id,
                    subject=f"application:p{i}",
                    holding_subject=f"application:p{i}",
                    item="fee",
                    amount_fen=5000,
                    refunded_fen=0,
                    status=OrderStatus.PENDING,
                    provider="sandbox",
                    created_by="bench",
                    created_at=now,
                    expires_at=now + timedelta(minutes=30),
                )
            )
    insert_s = time.perf_counter() - started

    provider = sandbox()
    callbacks = [
        provider.notify(order_id=oid, txn_id=f"sbx_{i:020d}", outcome="succeeded", amount_fen=5000)
        for i, oid in enumerate(ids)
    ]
    started = time.perf_counter()
    for callback in callbacks:
        with factory.begin() as session:
            paid = service.handle_callback(
                session, notification=callback.notification, signature=callback.signature
            )
            if paid.status is not OrderStatus.PAID:
                raise AssertionError(paid.status)
    callback_s = time.perf_counter() - started

    started = time.perf_counter()
    for callback in callbacks:
        if not provider.verify(callback.notification, callback.signature):
            raise AssertionError("signature")
    hmac_s = time.perf_counter() - started
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    signatures = [key.sign(c.notification.encode()) for c in callbacks]
    started = time.perf_counter()
    for callback, signature in zip(callbacks, signatures, strict=True):
        public.verify(signature, callback.notification.encode())
    ed_s = time.perf_counter() - started
    return {
        "orders": orders,
        "create_order_per_s": _rate(orders, create_s),
        "peer_bare_insert_per_s": _rate(orders, insert_s),
        "ratio_create_over_insert_time": round(create_s / insert_s, 2),
        "callbacks_verified_per_s": _rate(orders, callback_s),
        "hmac_verify_per_s": _rate(orders, hmac_s),
        "peer_ed25519_verify_per_s": _rate(orders, ed_s),
        "ratio_ed25519_over_hmac_time": round(ed_s / hmac_s, 1),
    }


def _postgres(url: str) -> Engine:
    base = make_engine(url)
    with base.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    base.dispose()
    return sqlalchemy.create_engine(url, connect_args={"options": f"-csearch_path={SCHEMA}"})


def main() -> None:
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    args = parser.parse_args()
    backends: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="govhub-bench-payments-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'payments.db'}")
        backends["sqlite"] = measure(engine, args.orders)
        engine.dispose()
    url = os.environ.get("GOVHUB_BENCH_DATABASE_URL", "")
    if url:
        engine = _postgres(url)
        try:
            backends["postgresql"] = measure(engine, args.orders)
        finally:
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            engine.dispose()
    print(f"e-payment: {args.orders:,} orders, one committed transaction each")
    print(
        f"{'backend':<11} {'orders/s':>9} {'bare/s':>8} {'ratio':>6} {'callbacks/s':>12} "
        f"{'HMAC/s':>9} {'Ed25519/s':>10} {'ratio':>6}"
    )
    for backend, r in backends.items():
        print(
            f"{backend:<11} {r['create_order_per_s']:>9,.0f} {r['peer_bare_insert_per_s']:>8,.0f} "
            f"{r['ratio_create_over_insert_time']:>6.2f} {r['callbacks_verified_per_s']:>12,.0f} "
            f"{r['hmac_verify_per_s']:>9,.0f} {r['peer_ed25519_verify_per_s']:>10,.0f} "
            f"{r['ratio_ed25519_over_hmac_time']:>6.1f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "payments",
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                    "sqlalchemy": sqlalchemy.__version__,
                },
                "parameters": {"orders": args.orders},
                "backends": backends,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
