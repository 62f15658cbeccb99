"""Demo e-licenses: five license types, and licenses for the first demo enterprises and citizens.

Called by the demo loader after the accounts exist. Licenses are issued through `service.issue`
(signed, ledgered), by the first city-level department of the competent type; holders that
already hold a license of a type are skipped, so loading twice issues nothing new.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.identity.models import Account, Department, DepartmentType
from govhub.licenses import service
from govhub.licenses.models import HolderKind, License
from govhub.licenses.schemas import LicenseTypeCreate

DEMO_TYPES = (
    LicenseTypeCreate(
        code="BUSINESS_LICENSE",
        name="营业执照",
        name_en="Business license",
        department_type=DepartmentType.MARKET_REGULATION,
        holder_kind=HolderKind.ENTERPRISE,
    ),
    LicenseTypeCreate(
        code="FOOD_BUSINESS_PERMIT",
        name="食品经营许可证",
        name_en="Food business permit",
        department_type=DepartmentType.MARKET_REGULATION,
        holder_kind=HolderKind.ENTERPRISE,
        validity_days=1825,
    ),
    LicenseTypeCreate(
        code="FIRE_SAFETY_INSPECTION",
        name="公众聚集场所投入使用、营业前消防安全检查合格证",
        name_en="Fire safety inspection certificate",
        department_type=DepartmentType.PUBLIC_SECURITY,
        holder_kind=HolderKind.ENTERPRISE,
        validity_days=1095,
    ),
    LicenseTypeCreate(
        code="OUTDOOR_SIGNBOARD_PERMIT",
        name="户外招牌设置许可",
        name_en="Outdoor signboard permit",
        department_type=DepartmentType.OTHER,
        holder_kind=HolderKind.ENTERPRISE,
        validity_days=1095,
    ),
    LicenseTypeCreate(
        code="RESIDENT_CERTIFICATE",
        name="居住证",
        name_en="Resident certificate",
        department_type=DepartmentType.PUBLIC_SECURITY,
        holder_kind=HolderKind.PERSON,
        validity_days=365,
    ),
)

_STREETS = ("延安路", "解放路", "庆春路", "中山北路", "凤起路", "体育场路", "文三路", "武林路")


def _enterprise_claims(code: str, n: int) -> dict[str, Any]:
    street = _STREETS[n % len(_STREETS)]
    address = f"{street}{100 + 7 * n}号"
    return {
        "BUSINESS_LICENSE": {
            "enterpriseType": "有限责任公司（自然人投资或控股）",
            "registeredCapital": f"{(n % 9 + 1) * 50}万元人民币",
            "businessScope": "餐饮服务；食品销售；日用百货销售",
            "domicile": address,
        },
        "FOOD_BUSINESS_PERMIT": {
            "permitNumber": f"JY1330100{n:07d}",
            "mainBusiness": "餐饮服务经营者",
            "businessItems": "热食类食品制售；冷食类食品制售",
            "premises": address,
        },
        "FIRE_SAFETY_INSPECTION": {
            "venue": address,
            "usableArea": f"{120 + 15 * n} 平方米",
            "inspectionResult": "合格",
        },
        "OUTDOOR_SIGNBOARD_PERMIT": {"location": address, "size": "6.0 米 × 1.2 米"},
    }[code]


def _issuers(session: Session) -> dict[DepartmentType, uuid.UUID]:
    """The issuing department of each type: city level first, then by division code."""
    rows = session.execute(select(Department.id, Department.type, Department.division_code))

    def rank(division: str) -> tuple[bool, str]:
        city = len(division) == 6 and division[2:4] != "00" and division[4:6] == "00"
        return (not city, division)

    best: dict[DepartmentType, tuple[tuple[bool, str], uuid.UUID]] = {}
    for department_id, kind, division in rows:
        candidate = (rank(division), department_id)
        if kind not in best or candidate[0] < best[kind][0]:
            best[kind] = candidate
    return {kind: found[1] for kind, found in best.items()}


def _held(session: Session, holders: Sequence[uuid.UUID]) -> set[tuple[uuid.UUID, str]]:
    rows = session.execute(
        select(License.holder_id, License.type_code).where(License.holder_id.in_(holders))
    )
    return {(holder, code) for holder, code in rows}


def load(
    session: Session, *, enterprises: Sequence[uuid.UUID], citizens: Sequence[uuid.UUID]
) -> int:
    """Define the demo license types and issue the demo licenses; return how many were issued."""
    for data in DEMO_TYPES:
        service.define_type(session, data=data)
    issuers = _issuers(session)
    held = _held(session, [*enterprises, *citizens])
    present = set(
        session.scalars(select(Account.id).where(Account.id.in_([*enterprises, *citizens])))
    )
    issued = 0
    plan: list[tuple[uuid.UUID, HolderKind, str, dict[str, Any]]] = []
    for n, holder in enumerate(enterprises):
        codes = ["BUSINESS_LICENSE", "FOOD_BUSINESS_PERMIT", "FIRE_SAFETY_INSPECTION"]
        codes += ["OUTDOOR_SIGNBOARD_PERMIT"] if n % 2 == 0 else []
        plan += [(holder, HolderKind.ENTERPRISE, c, _enterprise_claims(c, n)) for c in codes]
    for n, holder in enumerate(citizens):
        street = _STREETS[n % len(_STREETS)]
        plan.append(
            (holder, HolderKind.PERSON, "RESIDENT_CERTIFICATE", {"residence": f"{street}{8 + n}号"})
        )
    kinds = {t.code: t.department_type for t in DEMO_TYPES}
    for holder, kind, code, claims in plan:
        department = issuers.get(kinds[code])
        if department is None or holder not in present or (holder, code) in held:
            continue
        service.issue(
            session,
            license_type=code,
            holder=service.HolderRef(kind, holder),
            claims=claims,
            issuer_department_id=department,
        )
        issued += 1
    return issued
