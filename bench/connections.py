"""Benchmark what joining online services to payments and e-licenses costs per application.

    .venv/bin/python bench/connections.py [--applications 200]
    GOVHUB_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
      .venv/bin/python bench/connections.py

Three pairs, each a measured path and its peer without the connection, one transaction per
operation at the service layer as the API runs it:

* submission of SC-001 with a fee (the fee order is raised) against the same matter free;
* submission of SC-003 by an enterprise holding a business license (the wallet license is
  verified with `require_valid` and recorded as a material) against one holding none;
* the final approval of SC-001 by an enterprise (a business license is signed and ledgered)
  against the same approval for a citizen (no license: the type is an enterprise's).

Prints a table and writes bench/results/connections.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine, utcnow
from govhub.identity.codes import DivisionLevel, division_level, division_parent_code
from govhub.identity.models import Account, AccountKind, Department, DepartmentType, Division
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.licenses import service as licenses
from govhub.licenses.demo import DEMO_TYPES
from govhub.licenses.models import HolderKind
from govhub.payments import service as payments
from govhub.services import service
from govhub.services.models import Application, Matter, Task, TaskStatus
from govhub.services.schemas import ApplicationCreate, Outcome, TaskComplete
from scratch import scratch

RESULTS = Path(__file__).parent / "results" / "connections.json"
PDF = b"%PDF-1.7\n%%EOF\n"
FORM = {"applicant_name": "王小明", "phone": "13800138000", "address": "清波街 1 号"}


def _accounts(session: Session, kind: AccountKind, count: int) -> list[Principal]:
    ids = [uuid.uuid4() for _ in range(count)]
    now = utcnow()
    role = Role.ENTERPRISE if kind is AccountKind.ENTERPRISE else Role.CITIZEN
    session.execute(
        insert(Account),
        [
            {"id": i, "kind": kind, "username": f"{kind.value}-{i.hex[:12]}",
             "display_name": "小明面馆", "password_hash": "!", "is_active": True,
             "failed_logins": 0, "locale": "zh_CN", "created_at": now, "updated_at": now}
            for i in ids
        ],
    )  # fmt: skip
    return [
        Principal(f"a{i.hex[:8]}", "a", frozenset({role}), account_id=i, kind=kind) for i in ids
    ]


def prepare(
    factory: sessionmaker[Session], count: int
) -> tuple[Principal, dict[str, list[Principal]]]:
    """City A with its market bureau, the catalog, license types and the applicants."""
    with factory() as session:
        for code in ("330000", "330100"):
            level = division_level(code) or DivisionLevel.CITY
            session.add(
                Division(code=code, name=code, level=level, parent_code=division_parent_code(code))
            )
            session.flush()
        market = Department(
            code="A-SCJG",
            name="市场监督管理局",
            type=DepartmentType.MARKET_REGULATION,
            division_code="330100",
        )
        session.add(market)
        session.flush()
        service.load_standard(session)
        for data in DEMO_TYPES:
            licenses.define_type(session, data=data)
        groups = {
            name: _accounts(session, kind, count)
            for name, kind in (
                ("fee", AccountKind.ENTERPRISE),
                ("free", AccountKind.ENTERPRISE),
                ("holder", AccountKind.ENTERPRISE),
                ("nonholder", AccountKind.ENTERPRISE),
                ("citizen", AccountKind.CITIZEN),
            )
        }
        for holder in groups["holder"]:
            licenses.issue(
                session,
                license_type="BUSINESS_LICENSE",
                holder=licenses.HolderRef(HolderKind.ENTERPRISE, _id(holder)),
                claims={"business_name": "小明面馆"},
                issuer_department_id=market.id,
            )
        session.commit()
        official = Principal("bench-official", "bench", frozenset({Role.OFFICIAL, Role.APPROVER}),
                             kind=AccountKind.OFFICIAL, department_id=market.id,
                             division_code="330100")  # fmt: skip
    return official, groups


def _set_fee(factory: sessionmaker[Session], code: str, fen: int) -> None:
    with factory() as session:
        session.scalars(select(Matter).where(Matter.code == code)).one().fee_fen = fen
        session.commit()


def _upload(session: Session, principal: Principal, code: str) -> uuid.UUID:
    return service.upload(
        session,
        principal=principal,
        filename=f"{code}.pdf",
        content_type="application/pdf",
        data=PDF,
        material_code=code,
    ).id


def sc001(session: Session, principal: Principal) -> ApplicationCreate:
    """An SC-001 application with its uploaded premises document."""
    form = {**FORM, "business_name": "小明面馆", "scope": "餐饮服务"}
    return ApplicationCreate(matter_code="SC-001", division_code="330100", form=form,
                             document_ids=[_upload(session, principal, "premises")])  # fmt: skip


def sc003(session: Session, principal: Principal) -> ApplicationCreate:
    """An SC-003 application with its two uploaded documents."""
    form = {**FORM, "business_name": "小明面馆", "area": 80}
    ids = [_upload(session, principal, c) for c in ("layout", "food_safety")]
    return ApplicationCreate(matter_code="SC-003", division_code="330100", form=form,
                             document_ids=ids)  # fmt: skip


def submit_all(
    factory: sessionmaker[Session],
    applicants: list[Principal],
    build: Callable[[Session, Principal], ApplicationCreate],
) -> tuple[float, list[uuid.UUID]]:
    """Submit one application per applicant; return operations per second and the ids."""
    ids = []
    started = time.perf_counter()
    for principal in applicants:
        with factory() as session:
            application, _ = service.submit(
                session, principal=principal, data=build(session, principal)
            )
            ids.append(application.id)
            session.commit()
    return len(applicants) / (time.perf_counter() - started), ids


def _step(factory: sessionmaker[Session], official: Principal, application_id: uuid.UUID) -> None:
    with factory() as session:
        task = session.scalars(
            select(Task).where(
                Task.application_id == application_id, Task.status == TaskStatus.OPEN
            )
        ).one()
        outcome = Outcome.ACCEPT if task.step == "accept" else Outcome.APPROVE
        service.complete(session, principal=official, task_id=task.id,
                         data=TaskComplete(outcome=outcome))  # fmt: skip
        session.commit()


def final_approvals(
    factory: sessionmaker[Session], official: Principal, ids: list[uuid.UUID]
) -> float:
    """Accept and review each application, then time the final approvals alone."""
    for application_id in ids:
        _step(factory, official, application_id)
        _step(factory, official, application_id)
    started = time.perf_counter()
    for application_id in ids:
        _step(factory, official, application_id)
    return len(ids) / (time.perf_counter() - started)


def _id(principal: Principal) -> uuid.UUID:
    if principal.account_id is None:  # pragma: no cover - every applicant has an account
        raise RuntimeError("an applicant without an account")
    return principal.account_id


def pay_all(
    factory: sessionmaker[Session], applicants: list[Principal], ids: list[uuid.UUID]
) -> float:
    """Pay each application's fee at the sandbox cashier; return payments per second."""
    started = time.perf_counter()
    for principal, application_id in zip(applicants, ids, strict=True):
        with factory() as session:
            order = payments.order_for_subject(session, f"application:{application_id}")
            if order is None:
                raise RuntimeError("an application with a fee has no order")
            payments.sandbox_pay(session, principal=principal, order_id=order.id, succeed=True)
            session.commit()
    return len(ids) / (time.perf_counter() - started)


def run(backend: str, url: str, count: int) -> dict[str, Any]:
    """Measure one backend."""
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    official, groups = prepare(factory, count)
    result: dict[str, Any] = {"backend": backend, "applications": count}
    free_rate, free_ids = submit_all(factory, groups["free"], sc001)
    _set_fee(factory, "SC-001", 5000)
    fee_rate, fee_ids = submit_all(factory, groups["fee"], sc001)
    _set_fee(factory, "SC-001", 0)
    result["submit_with_fee_order_per_s"] = round(fee_rate, 1)
    result["submit_free_per_s"] = round(free_rate, 1)
    result["sandbox_payments_per_s"] = round(pay_all(factory, groups["fee"], fee_ids), 1)
    holder_rate, _ = submit_all(factory, groups["holder"], sc003)
    nonholder_rate, _ = submit_all(factory, groups["nonholder"], sc003)
    result["submit_with_wallet_license_per_s"] = round(holder_rate, 1)
    result["submit_without_license_per_s"] = round(nonholder_rate, 1)
    _, citizen_ids = submit_all(factory, groups["citizen"], sc001)
    result["approve_issuing_license_per_s"] = round(final_approvals(factory, official, fee_ids), 1)
    result["approve_without_license_per_s"] = round(
        final_approvals(factory, official, citizen_ids), 1
    )
    with factory() as session:
        issued = sum(len(licenses.issued_for(session, i)) for i in fee_ids)
        if issued != count or session.get(Application, free_ids[0]) is None:
            raise RuntimeError(f"expected {count} licenses, found {issued}")
    engine.dispose()
    return result


def main() -> None:
    """Run the benchmark on SQLite, and on PostgreSQL when a server is named."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=200)
    args = parser.parse_args()
    server = os.environ.get("GOVHUB_BENCH_DATABASE_URL")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GOVHUB_STORAGE_URL"] = str(Path(tmp) / "files")
        for target in (None, server) if server else (None,):
            with scratch(target, Path(tmp), "connections") as (backend, url):
                results.append(run(backend, url, args.applications))
    keys = [k for k in results[0] if k not in ("backend", "applications")]
    for r in results:
        print(r["backend"])
        for k in keys:
            print(f"  {k:<36}{r[k]:>10}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "parameters": vars(args),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
