"""Helpers for proactive-service tests: a health commission in city A, residents registered
with their real ID numbers, published birth certificates and the childcare-subsidy rule."""

from __future__ import annotations

import itertools
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from govhub.core.crypto import encrypt_field
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.catalog.schemas import ResourceCreate
from govhub.data.ingest import service as ingest_service
from govhub.identity import authn
from govhub.identity import service as identity_service
from govhub.identity.models import Account, AccountKind, AccountRole, Department, DepartmentType
from govhub.identity.permissions import Role
from govhub.services import service
from tests.data.helpers import resource_body
from tests.factories import PASSWORD, World, add_department, add_official, make_id_number

BIRTH_FIELDS: list[dict[str, Any]] = [
    {"name": "cszmbh", "type": "string", "description": "出生医学证明编号"},
    {"name": "xsrxm", "type": "string", "description": "新生儿姓名", "is_personal": True},
    {"name": "csrq", "type": "date", "description": "出生日期"},
    {"name": "mqsfzh", "type": "string", "description": "母亲身份证号",
     "element_code": "id_number", "is_personal": True},
    {"name": "fqsfzh", "type": "string", "description": "父亲身份证号",
     "element_code": "id_number", "is_personal": True},
    {"name": "csdxzqh", "type": "string", "description": "出生地行政区划"},
]  # fmt: skip
COLUMNS = [f["name"] for f in BIRTH_FIELDS]
_seq = itertools.count(100)


@dataclass
class Commission:
    """City A's health commission and its administrator."""

    department: Department
    admin: Account


def build_commission(session: Session, world: World) -> Commission:
    """Add city A's health commission with an administrator, then load the catalog."""
    department = add_department(session, f"A-WJ-{uuid.uuid4().hex[:4]}", "330100",
                                DepartmentType.HEALTH)  # fmt: skip
    admin = add_official(session, f"wj{uuid.uuid4().hex[:6]}", department, Role.DEPT_ADMIN)
    service.load_standard(session)
    return Commission(department, admin)


def registered_parent(session: Session) -> tuple[Account, str]:
    """A citizen registered with a real ID number (looked up by its blind index)."""
    number = make_id_number("330102", "19920514", f"{next(_seq) % 1000:03d}")
    account = Account(
        kind=AccountKind.CITIZEN,
        username=f"par{uuid.uuid4().hex[:10]}",
        display_name="Parent",
        password_hash=authn.hash_password(PASSWORD),
        id_number_encrypted=encrypt_field(number, context=identity_service.ID_NUMBER_CONTEXT),
        id_number_index=identity_service.id_number_lookup_key(number),
    )
    account.role_rows = [AccountRole(role=Role.CITIZEN)]
    session.add(account)
    session.flush()
    return account, number


def days_ago(n: int) -> str:
    """Return the ISO date `n` days before today (UTC)."""
    return (datetime.now(UTC).date() - timedelta(days=n)).isoformat()


def birth(
    cert: str, mother: str, father: str, *, days: int = 3, division: str = "330102"
) -> tuple[str, ...]:
    """One birth certificate row."""
    return (cert, "王小宝", days_ago(days), mother, father, division)


def _write(path: Path, rows: Sequence[tuple[str, ...]], drop: str | None = None) -> None:
    keep = [n for n, c in enumerate(COLUMNS) if c != drop]
    lines = [",".join(COLUMNS[n] for n in keep), *(",".join(r[n] for n in keep) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def publish_births(
    session: Session, admin: Account, rows: Sequence[tuple[str, ...]], division: str = "330100"
) -> Resource:
    """Create a birth-certificate resource of `admin`'s department with `rows` as version 1."""
    principal = authn.principal_for(admin)
    body = resource_body(title=f"出生医学证明{uuid.uuid4().hex[:6]}", fields=BIRTH_FIELDS,
                         division_codes=[division])  # fmt: skip
    resource = catalog_service.create_resource(
        session, principal=principal, data=ResourceCreate.model_validate(body)
    )
    add_version(session, admin, resource, rows)
    return resource


def add_version(
    session: Session,
    admin: Account,
    resource: Resource,
    rows: Sequence[tuple[str, ...]],
    drop: str | None = None,
) -> DatasetVersion:
    """Publish `rows` (without column `drop`) as the resource's next version (proactive rules
    run on publication)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "births.csv"
        _write(source, rows, drop)
        version, _ = ingest_service.ingest(
            session,
            principal=authn.principal_for(admin),
            resource_id=resource.id,
            source=source,
            filename=source.name,
        )
    return version


def subsidy_rule(resource_id: uuid.UUID | str, **definition: Any) -> dict[str, Any]:
    """A rule body: each newborn invites both parents to claim the childcare subsidy."""
    return {
        "name": "新生儿父母育儿补贴",
        "matter_code": "WS-005",
        "resource_id": str(resource_id),
        "definition": {
            "person_fields": ["mqsfzh", "fqsfzh"],
            "key_field": "cszmbh",
            "division_field": "csdxzqh",
            "date_field": "csrq",
            "within_days": 30,
            "prefill": {"child_name": "xsrxm", "birth_date": "csrq", "birth_cert_no": "cszmbh"},
            **definition,
        },
    }


ACCEPT_FORM = {"applicant_name": "王大明", "phone": "13800138000", "bank_account": "6222020000"}
