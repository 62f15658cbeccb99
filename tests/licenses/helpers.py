"""Shared builders of the e-license tests: license types and holders."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from govhub.identity import service as identity_service
from govhub.identity.codes import uscc_check_char
from govhub.identity.models import Account, DepartmentType
from govhub.identity.schemas import CitizenRegister, EnterpriseRegister
from govhub.licenses import service
from govhub.licenses.models import HolderKind
from govhub.licenses.schemas import LicenseTypeCreate
from tests.factories import PASSWORD, make_id_number

_n = itertools.count(1)

BUSINESS = "BUSINESS_LICENSE"
RESIDENT = "RESIDENT_CERT"
PLATFORM = "PLATFORM_CERT"


def define_types(session: Session) -> None:
    """Define a market-regulation enterprise license, a resident certificate and a platform one."""
    for data in (
        LicenseTypeCreate(
            code=BUSINESS,
            name="营业执照",
            name_en="Business license",
            department_type=DepartmentType.MARKET_REGULATION,
            holder_kind=HolderKind.ENTERPRISE,
            validity_days=3650,
        ),
        LicenseTypeCreate(
            code=RESIDENT,
            name="居住证明",
            name_en="Resident certificate",
            department_type=DepartmentType.MARKET_REGULATION,
            holder_kind=HolderKind.PERSON,
            validity_days=365,
        ),
        LicenseTypeCreate(
            code=PLATFORM,
            name="数据服务证明",
            name_en="Data service certificate",
            department_type=DepartmentType.BIG_DATA_BUREAU,
            holder_kind=HolderKind.ENTERPRISE,
        ),
    ):
        service.define_type(session, data=data)


def uscc(n: int) -> str:
    """Return a valid unified social credit code."""
    first = f"91330100MB{n:07d}"[:17]
    return first + uscc_check_char(first)


def citizen(session: Session, name: str = "王小明") -> Account:
    """Register a citizen."""
    n = next(_n)
    return identity_service.register_citizen(
        session,
        data=CitizenRegister(
            username=f"lic-citizen-{n}",
            password=PASSWORD,
            display_name=name,
            id_number=make_id_number(seq=f"{(n + 500) % 1000:03d}", born="19880512"),
        ),
    )


def enterprise(session: Session, name: str = "杭州味道餐饮有限公司") -> Account:
    """Register an enterprise."""
    n = next(_n)
    return identity_service.register_enterprise(
        session,
        data=EnterpriseRegister(
            username=f"lic-enterprise-{n}", password=PASSWORD, display_name=name, uscc=uscc(n)
        ),
    )
