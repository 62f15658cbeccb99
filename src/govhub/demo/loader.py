"""Write a demo plan into the database: bulk inserts, idempotent, fast enough for a laptop.

Rows that already exist (by division code, department code, username, ID-number index or
credit code) are left alone, so loading twice changes nothing and a larger load only adds
what is missing. Like every service, the loader flushes and never commits: the caller owns
the transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from govhub.core.crypto import encrypt_field
from govhub.core.db import utcnow
from govhub.core.errors import PermissionDenied
from govhub.core.settings import get_settings
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.schemas import ResourceCreate
from govhub.demo import applications as demo_applications
from govhub.demo.campaigns import DEMO_CAMPAIGNS, load_campaigns
from govhub.demo.catalog import DEMO_RESOURCES
from govhub.demo.datasets import DIRECTORY_TITLE, REGISTER_TITLE, load_datasets
from govhub.demo.geography import PROVINCE_CODE
from govhub.demo.health import load_health
from govhub.demo.logins import DEMO_PASSWORD
from govhub.demo.plan import DemoPlan
from govhub.demo.proactive import load_proactive
from govhub.identity import service as identity_service
from govhub.identity.authn import hash_password
from govhub.identity.models import Account, AccountKind, AccountRole, Department, Division
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.licenses import demo as demo_licenses
from govhub.services import catalog as services_catalog

BATCH_SIZE = 1000
LOOKUP_CHUNK = 500
STAGES = (
    "divisions", "departments", "officials", "citizens", "enterprises", "catalog", "datasets",
    "campaigns",
    "licenses",
    "applications",
)  # fmt: skip
# Demo e-licenses go to the first enterprises and citizens of the plan.
DEMO_LICENSED_ENTERPRISES = 8
DEMO_LICENSED_CITIZENS = 12
# Demo applications in every state: the full plan gets DEMO_APPLICATIONS, a reduced plan one
# per APPLICATIONS_PER_CITIZENS citizens.
DEMO_APPLICATIONS = 3000
APPLICATIONS_PER_CITIZENS = 4

DEMO_DATASETS = (REGISTER_TITLE, DIRECTORY_TITLE)

Progress = Callable[[str, int, int], None]
"""Called as `progress(stage, rows_done, rows_to_insert)` while a stage runs."""


@dataclass(slots=True)
class StageReport:
    """What one stage planned, inserted and how long it took."""

    planned: int
    inserted: int = 0
    seconds: float = 0.0


@dataclass(slots=True)
class LoadReport:
    """The outcome of a demo load: per stage and per table."""

    stages: dict[str, StageReport] = field(default_factory=dict)
    tables: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (
                "divisions",
                "departments",
                "accounts",
                "account_roles",
                "catalog_resources",
                "dataset_versions",
                "reservation_campaigns",
                "applications",
            ),
            0,
        )
    )

    @property
    def changed(self) -> bool:
        """Tell whether anything was written."""
        return any(self.tables.values())


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(
    session: Session, column: ColumnElement[Any] | InstrumentedAttribute[Any], values: Iterable[str]
) -> set[str]:
    """Return which of `values` already occur in `column`."""
    found: set[str] = set()
    for chunk in _chunks(sorted(set(values)), LOOKUP_CHUNK):
        found.update(session.scalars(select(column).where(column.in_(chunk))))
    return found


def _ignore(stage: str, done: int, total: int) -> None:
    """Report no progress."""


class _Writer:
    """Bulk-insert rows in batches, timing stages and counting rows per table."""

    def __init__(self, session: Session, report: LoadReport, progress: Progress) -> None:
        self.session = session
        self.report = report
        self.progress = progress

    def insert(
        self, stage: str, model: type[Any], rows: list[dict[str, Any]], *, counts: bool = True
    ) -> None:
        """Insert `rows` into `model`'s table; `counts`: they are the rows `stage` reports."""
        if counts:
            self.progress(stage, 0, len(rows))
        for done, chunk in enumerate(_chunks(rows, BATCH_SIZE), start=1):
            self.session.execute(insert(model), list(chunk))
            self.report.tables[model.__tablename__] += len(chunk)
            if counts:
                self.report.stages[stage].inserted += len(chunk)
                self.progress(stage, min(done * BATCH_SIZE, len(rows)), len(rows))


def _guard_environment() -> None:
    if get_settings().env == "production":
        raise PermissionDenied(
            "demo data, with its published password, is never loaded into production"
        )


def _account_row(*, now: datetime, **values: Any) -> dict[str, Any]:
    """Return a full accounts row (every row of a batch must carry the same keys)."""
    row: dict[str, Any] = {
        "email": None,
        "id_number_encrypted": None,
        "id_number_index": None,
        "uscc": None,
        "department_id": None,
        "is_active": True,
        "failed_logins": 0,
        "locale": "zh_CN",
        "created_at": now,
        "updated_at": now,
    }
    row.update(values)
    return row


def load_demo(session: Session, plan: DemoPlan, *, progress: Progress | None = None) -> LoadReport:
    """Insert whatever of `plan` is not in the database yet and report what was written.

    Demo-only shortcut: the demo password is hashed once and that hash is shared by every
    demo account (hashing 12,000 passwords with argon2id would take minutes). Real accounts
    are created through `govhub.identity.service`, which hashes each password on its own.
    """
    _guard_environment()
    report = LoadReport(
        stages={
            "divisions": StageReport(len(plan.divisions)),
            "departments": StageReport(len(plan.departments)),
            "officials": StageReport(len(plan.officials)),
            "citizens": StageReport(len(plan.citizens)),
            "enterprises": StageReport(len(plan.enterprises)),
            "catalog": StageReport(len(DEMO_RESOURCES)),
            "datasets": StageReport(len(DEMO_DATASETS)),
            "campaigns": StageReport(len(DEMO_CAMPAIGNS)),
            "licenses": StageReport(0),
            "applications": StageReport(demo_application_count(plan)),
        }
    )
    writer = _Writer(session, report, progress or _ignore)
    password_hash = _LazyHash()
    now = utcnow()
    session.flush()
    with _timed(report, "divisions"):
        _load_divisions(writer, plan)
    with _timed(report, "departments"):
        department_ids = _load_departments(writer, plan)
    with _timed(report, "officials"):
        _load_officials(writer, plan, department_ids, password_hash, now)
    with _timed(report, "citizens"):
        _load_citizens(writer, plan, password_hash, now)
    with _timed(report, "enterprises"):
        _load_enterprises(writer, plan, password_hash, now)
    with _timed(report, "catalog"):
        _load_catalog(writer, department_ids)
    with _timed(report, "datasets"):
        _load_datasets(writer, plan, department_ids)
        load_health(writer.session, citizens=plan.citizens, department_ids=department_ids,
                    seed=plan.seed)  # fmt: skip
    with _timed(report, "campaigns"):
        _load_campaigns(writer, plan)
    with _timed(report, "licenses"):
        issued = demo_licenses.load(
            session,
            enterprises=[e.id for e in plan.enterprises[:DEMO_LICENSED_ENTERPRISES]],
            citizens=[c.id for c in plan.citizens[:DEMO_LICENSED_CITIZENS]],
        )
        report.stages["licenses"].planned = report.stages["licenses"].inserted = issued
    # Online services: the standard matters and bundles, offered wherever a department of the
    # matter's type works.
    services_catalog.load_standard(session)
    demo_applications.apply_fees(session)
    # Proactive services: birth certificates invite the parents to claim the childcare subsidy.
    load_proactive(session, citizens=plan.citizens, department_ids=department_ids, seed=plan.seed)
    with _timed(report, "applications"):
        _load_applications(writer, plan)
    return report


def demo_application_count(plan: DemoPlan) -> int:
    """How many demo applications `plan` gets."""
    return min(DEMO_APPLICATIONS, len(plan.citizens) // APPLICATIONS_PER_CITIZENS)


def _load_applications(writer: _Writer, plan: DemoPlan) -> None:
    """Submit and decide the demo applications through the real services."""
    done = demo_applications.load_applications(
        writer.session,
        citizens=[c.id for c in plan.citizens],
        enterprises=[e.id for e in plan.enterprises],
        count=demo_application_count(plan),
        seed=plan.seed,
        progress=writer.progress,
    )
    writer.report.stages["applications"].inserted += done
    writer.report.tables["applications"] += done


@contextmanager
def _timed(report: LoadReport, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    report.stages[stage].seconds = time.perf_counter() - started


class _LazyHash:
    """The demo password's argon2id hash, computed once and only if an account is inserted."""

    def __init__(self) -> None:
        self._value: str | None = None

    def __call__(self) -> str:
        if self._value is None:
            self._value = hash_password(DEMO_PASSWORD)
        return self._value


def _load_divisions(writer: _Writer, plan: DemoPlan) -> None:
    present = _existing(writer.session, Division.code, (d.code for d in plan.divisions))
    rows = [
        {
            "code": d.code,
            "name": d.name,
            "name_en": d.name_en,
            "level": d.level,
            "parent_code": d.parent_code,
        }
        for d in plan.divisions
        if d.code not in present
    ]
    writer.insert("divisions", Division, rows)


def _load_departments(writer: _Writer, plan: DemoPlan) -> dict[str, Any]:
    """Insert missing departments; return the id of every planned department by code."""
    codes = [d.code for d in plan.departments]
    ids: dict[str, Any] = {}
    for chunk in _chunks(codes, LOOKUP_CHUNK):
        query = select(Department.code, Department.id).where(Department.code.in_(chunk))
        for code, department_id in writer.session.execute(query):
            ids[code] = department_id
    new = [d for d in plan.departments if d.code not in ids]
    ids.update({d.code: d.id for d in new})
    rows = [
        {
            "id": d.id,
            "code": d.code,
            "name": d.name,
            "name_en": d.name_en,
            "type": d.type,
            "division_code": d.division_code,
            "parent_id": ids[d.parent_code] if d.parent_code else None,
        }
        for d in new
    ]
    writer.insert("departments", Department, rows)
    return ids


def _taken_usernames(writer: _Writer, usernames: Iterable[str]) -> set[str]:
    lowered = [name.lower() for name in usernames]
    return _existing(writer.session, func.lower(Account.username), lowered)


def _insert_accounts(
    writer: _Writer, stage: str, rows: list[dict[str, Any]], roles: list[tuple[Role, ...]]
) -> None:
    writer.insert(stage, Account, rows)
    role_rows = [
        {"account_id": row["id"], "role": role}
        for row, held in zip(rows, roles, strict=True)
        for role in sorted(set(held))
    ]
    writer.insert(stage, AccountRole, role_rows, counts=False)


def _load_officials(
    writer: _Writer,
    plan: DemoPlan,
    department_ids: dict[str, Any],
    password_hash: _LazyHash,
    now: datetime,
) -> None:
    taken = _taken_usernames(writer, (o.username for o in plan.officials))
    new = [o for o in plan.officials if o.username not in taken]
    rows = [
        _account_row(
            now=now,
            id=o.id,
            kind=AccountKind.OFFICIAL,
            username=o.username,
            display_name=o.display_name,
            password_hash=password_hash(),
            department_id=department_ids[o.department_code],
        )
        for o in new
    ]
    _insert_accounts(writer, "officials", rows, [(*o.roles, Role.OFFICIAL) for o in new])


def _load_citizens(
    writer: _Writer, plan: DemoPlan, password_hash: _LazyHash, now: datetime
) -> None:
    taken = _taken_usernames(writer, (c.username for c in plan.citizens))
    indexes = {
        c.username: identity_service.id_number_lookup_key(c.id_number) for c in plan.citizens
    }
    registered = _existing(writer.session, Account.id_number_index, indexes.values())
    new = [
        c
        for c in plan.citizens
        if c.username not in taken and indexes[c.username] not in registered
    ]
    rows = [
        _account_row(
            now=now,
            id=c.id,
            kind=AccountKind.CITIZEN,
            username=c.username,
            display_name=c.display_name,
            password_hash=password_hash(),
            id_number_encrypted=encrypt_field(
                c.id_number, context=identity_service.ID_NUMBER_CONTEXT
            ),
            id_number_index=indexes[c.username],
        )
        for c in new
    ]
    _insert_accounts(writer, "citizens", rows, [(Role.CITIZEN,)] * len(new))


def _load_enterprises(
    writer: _Writer, plan: DemoPlan, password_hash: _LazyHash, now: datetime
) -> None:
    taken = _taken_usernames(writer, (e.username for e in plan.enterprises))
    registered = _existing(writer.session, Account.uscc, (e.uscc for e in plan.enterprises))
    new = [e for e in plan.enterprises if e.username not in taken and e.uscc not in registered]
    rows = [
        _account_row(
            now=now,
            id=e.id,
            kind=AccountKind.ENTERPRISE,
            username=e.username,
            display_name=e.display_name,
            password_hash=password_hash(),
            uscc=e.uscc,
        )
        for e in new
    ]
    _insert_accounts(writer, "enterprises", rows, [(Role.ENTERPRISE,)] * len(new))


def _loader() -> Principal:
    """The platform administrator the demo's catalog and datasets are written as."""
    return Principal(
        username="demo-loader",
        display_name="Demo loader",
        roles=frozenset({Role.PLATFORM_ADMIN}),
        division_code=PROVINCE_CODE,
    )


def _load_datasets(writer: _Writer, plan: DemoPlan, department_ids: dict[str, Any]) -> None:
    """Publish the demo datasets (a register with known errors, its cleaned directory)."""
    writer.progress("datasets", 0, len(DEMO_DATASETS))
    published = load_datasets(
        writer.session,
        principal=_loader(),
        department_ids=department_ids,
        seed=plan.seed,
        divisions={d.code for d in plan.divisions},
    )
    done = len(published.published)
    writer.report.stages["datasets"].inserted += done
    writer.report.tables["dataset_versions"] += done
    writer.progress("datasets", done, len(DEMO_DATASETS))


def _load_catalog(writer: _Writer, department_ids: dict[str, Any]) -> None:
    """Create the demo catalog resources through the catalog service, skipping existing titles.

    The rows go through the service, not bulk inserts: each needs its first metadata version
    and its jieba search terms, and there are only a handful.
    """
    session = writer.session
    loader = _loader()
    missing = [
        (department_ids[code], body)
        for code, body in DEMO_RESOURCES
        if code in department_ids
        and not catalog_service.has_title(
            session, department_id=department_ids[code], title=body["title"]
        )
    ]
    writer.progress("catalog", 0, len(missing))
    for done, (department_id, body) in enumerate(missing, start=1):
        data = ResourceCreate.model_validate({**body, "department_id": str(department_id)})
        catalog_service.create_resource(session, principal=loader, data=data)
        writer.report.stages["catalog"].inserted += 1
        writer.report.tables["catalog_resources"] += 1
        writer.progress("catalog", done, len(missing))


def _load_campaigns(writer: _Writer, plan: DemoPlan) -> None:
    """Publish the demo reservation campaigns that are not there yet."""
    writer.progress("campaigns", 0, len(DEMO_CAMPAIGNS))
    done = load_campaigns(writer.session, plan)
    writer.report.stages["campaigns"].inserted += done
    writer.report.tables["reservation_campaigns"] += done
    writer.progress("campaigns", done, len(DEMO_CAMPAIGNS))
