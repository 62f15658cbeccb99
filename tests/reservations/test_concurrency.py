"""Concurrency and crash safety of booking, against a database of its own (a SQLite file, or a
fresh schema on PostgreSQL when GOVHUB_TEST_DATABASE_URL points there), because it needs real
commits from many connections and from other processes.

Durability under SIGKILL, precisely: a child process books for one resident after another,
printing `try <resident>` before each attempt and `ack <reservation id>` after its commit
returned. After the kill, (1) every acknowledged id is in the database (nothing acknowledged
is lost); (2) at most one reservation is unacknowledged, and only for the resident of the last
`try` line (the attempt in flight may have committed before its acknowledgement was printed;
nothing else may appear); (3) quota is conserved: remaining + reserved = quota.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from datetime import timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine, utcnow
from govhub.core.errors import GovHubError
from govhub.identity.models import AccountKind, DepartmentType
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.reservations import service
from govhub.reservations.booking import BookingPlan
from govhub.reservations.errors import AlreadyReserved, SoldOut
from govhub.reservations.models import Claim, QuotaShard, Reservation
from govhub.reservations.schemas import BookingCreate
from tests.factories import add_department, add_division
from tests.reservations.helpers import add_citizen, campaign_data

CHILD = """
import sys, uuid
from govhub.core.db import session_scope
from govhub.core.errors import GovHubError
from govhub.identity.models import AccountKind
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.reservations import service
from govhub.reservations.schemas import BookingCreate

campaign_id, slot_id = uuid.UUID(sys.argv[1]), uuid.UUID(sys.argv[2])
for line in sys.stdin:
    resident = uuid.UUID(line.strip())
    who = Principal("r", "r", frozenset({Role.CITIZEN}), account_id=resident,
                    kind=AccountKind.CITIZEN)
    print("try", resident, flush=True)
    try:
        with session_scope() as read:
            plan = service.plan_booking(read, principal=who, campaign_id=campaign_id,
                                        data=BookingCreate(slot_id=slot_id))
        with session_scope() as write:
            reservation = service.execute_booking(write, plan=plan)
        print("ack", reservation.id, flush=True)
    except GovHubError as exc:
        print("refused", type(exc).__name__, flush=True)
print("done", flush=True)
"""


class Setup:
    """A committed campaign with one slot and residents, in the test's own database."""

    def __init__(self, engine: Engine, *, quota: int, shards: int, residents: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            add_division(session, "330000", "province")
            add_division(session, "330100", "city")
            add_division(session, "330102", "county")
            add_division(session, "330102001", "township")
            department = add_department(
                session, "SURGE", "330100", DepartmentType.MARKET_REGULATION
            )
            manager = Principal(
                "manager",
                "Manager",
                frozenset({Role.OFFICIAL, Role.DEPT_ADMIN}),
                kind=AccountKind.OFFICIAL,
                department_id=department.id,
                division_code="330100",
            )
            now = utcnow()
            data = campaign_data(
                quota_per_slot=quota,
                shards=shards,
                points=[{"name": "Qingbo pharmacy", "division_code": "330102001"}],
                windows=[
                    {"starts_at": now + timedelta(days=1), "ends_at": now + timedelta(days=2)}
                ],
            )
            campaign = service.create_campaign(session, principal=manager, data=data)
            self.campaign_id = campaign.id
            self.slot_id = campaign.slots[0].id
            self.residents = [
                add_citizen(session, with_password=False).id for _ in range(residents)
            ]
            session.commit()
        self.quota = quota

    def principal(self, resident: uuid.UUID) -> Principal:
        """Return a citizen principal for `resident`."""
        return Principal(
            "r", "r", frozenset({Role.CITIZEN}), account_id=resident, kind=AccountKind.CITIZEN
        )

    def book(
        self, factory: sessionmaker[Session], resident: uuid.UUID, key: str | None = None
    ) -> uuid.UUID:
        """Book as the API does: plan in one transaction, execute in a write transaction."""
        with factory() as read:
            plan = service.plan_booking(
                read,
                principal=self.principal(resident),
                campaign_id=self.campaign_id,
                data=BookingCreate(slot_id=self.slot_id),
                idempotency_key=key,
            )
            read.commit()
        if not isinstance(plan, BookingPlan):
            return plan.id
        with factory() as write, write.begin():
            return service.execute_booking(write, plan=plan).id

    def check(self, engine: Engine) -> tuple[int, int]:
        """Assert quota conservation; return (reservations, remaining)."""
        with Session(engine) as session:
            reserved = session.scalar(select(func.count()).select_from(Reservation)) or 0
            shards = list(session.scalars(select(QuotaShard.remaining)))
            claims = session.scalar(select(func.count()).select_from(Claim)) or 0
            per_resident = session.execute(
                select(Reservation.resident_id, func.count()).group_by(Reservation.resident_id)
            ).all()
        assert min(shards) >= 0
        assert reserved + sum(shards) == self.quota
        assert claims == reserved
        assert all(n == 1 for _, n in per_resident)  # duplicates = 0
        return reserved, sum(shards)


def _run_threads(count: int, work: object) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            start.wait()
            work(i)  # type: ignore[operator]
        except BaseException as exc:  # pragma: no cover - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


class TestThreads:
    def test_many_workers_never_oversell_the_last_places(self, own_url: str) -> None:
        engine = make_engine(own_url)
        try:
            setup = Setup(engine, quota=5, shards=3, residents=48)
            factory = sessionmaker(bind=engine, expire_on_commit=False)
            booked: list[uuid.UUID] = []
            refused: list[str] = []
            lock = threading.Lock()

            def work(i: int) -> None:
                for resident in setup.residents[i::12]:
                    try:
                        rid = setup.book(factory, resident)
                    except (SoldOut, AlreadyReserved) as exc:
                        with lock:
                            refused.append(type(exc).__name__)
                    else:
                        with lock:
                            booked.append(rid)

            assert _run_threads(12, work) == []
            assert len(booked) == 5  # oversold = 0
            assert refused == ["SoldOut"] * 43
            assert setup.check(engine) == (5, 0)
        finally:
            engine.dispose()

    def test_one_resident_racing_itself_books_once(self, own_url: str) -> None:
        engine = make_engine(own_url)
        try:
            setup = Setup(engine, quota=20, shards=4, residents=2)
            factory = sessionmaker(bind=engine, expire_on_commit=False)
            plain: list[object] = []
            keyed: list[object] = []

            def work(i: int) -> None:
                for resident, key, out in (
                    (setup.residents[0], None, plain),
                    (setup.residents[1], "same-key-123", keyed),
                ):
                    try:
                        out.append(setup.book(factory, resident, key))
                    except GovHubError as exc:
                        out.append(type(exc).__name__)

            assert _run_threads(8, work) == []
            assert sorted(map(str, plain)).count("AlreadyReserved") == 7
            assert len({r for r in plain if isinstance(r, uuid.UUID)}) == 1
            # with one Idempotency-Key every attempt gets the same reservation
            assert len(set(keyed)) == 1
            assert isinstance(keyed[0], uuid.UUID)
            assert setup.check(engine) == (2, 18)
        finally:
            engine.dispose()


def _child(url: str, setup: Setup, residents: list[uuid.UUID]) -> subprocess.Popen[str]:
    env = {**os.environ, "GOVHUB_DATABASE_URL": url}
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, str(setup.campaign_id), str(setup.slot_id)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    child.stdin.write("".join(f"{r}\n" for r in residents))
    child.stdin.close()
    return child


class TestProcesses:
    def test_processes_booking_at_once_never_oversell(self, own_url: str) -> None:
        engine = make_engine(own_url)
        try:
            setup = Setup(engine, quota=12, shards=4, residents=45)
            children = [_child(own_url, setup, setup.residents[i::3]) for i in range(3)]
            acked: list[str] = []
            for child in children:
                assert child.stdout is not None
                out = child.stdout.read()
                child.stdout.close()
                assert child.wait(timeout=180) == 0
                acked += [line.split()[1] for line in out.splitlines() if line.startswith("ack")]
            assert len(acked) == len(set(acked)) == 12
            with Session(engine) as session:
                stored = {str(i) for i in session.scalars(select(Reservation.id))}
            assert stored == set(acked)
            assert setup.check(engine) == (12, 0)
        finally:
            engine.dispose()

    def test_acknowledged_bookings_survive_sigkill(self, own_url: str) -> None:
        engine = make_engine(own_url)
        try:
            setup = Setup(engine, quota=500, shards=4, residents=300)
            child = _child(own_url, setup, setup.residents)
            assert child.stdout is not None
            acked: set[str] = set()
            tries: list[str] = []

            def read(line: str) -> None:
                word, _, rest = line.strip().partition(" ")
                if word == "try":
                    tries.append(rest)
                elif word == "ack":
                    acked.add(rest)

            try:
                for line in child.stdout:
                    read(line)
                    if len(acked) >= 40:
                        break
            finally:
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=30)
                # What the child wrote before it died still counts as seen: its acks were
                # printed after their commits, and the parent may not have read them yet.
                for line in child.stdout:
                    read(line)
                child.stdout.close()
            last_try = tries[-1]
            assert child.returncode == -signal.SIGKILL
            with Session(engine) as session:
                stored = {
                    str(rid): str(resident)
                    for rid, resident in session.execute(
                        select(Reservation.id, Reservation.resident_id)
                    ).all()
                }
            assert acked <= set(stored)  # lost = 0
            phantoms = set(stored) - acked
            assert len(phantoms) <= 1  # only the attempt in flight may have committed
            assert all(stored[p] == last_try for p in phantoms)
            reserved, _ = setup.check(engine)
            assert reserved == len(stored)
        finally:
            engine.dispose()
