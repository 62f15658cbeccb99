"""Helpers for online-services tests: the catalog in the test world, departments for the
restaurant bundle, residents, documents and forms."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from govhub.identity.models import Account, Department, DepartmentType
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.services import service
from govhub.services.models import Material
from govhub.services.schemas import ApplicationCreate
from tests.factories import World, add_department, add_official
from tests.reservations.helpers import add_citizen

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass
class Catalog:
    """The world's departments that handle the restaurant bundle, and their approvers."""

    fire: Department
    urban: Department
    fire_approver: Account
    urban_approver: Account
    market_approver: Account


def build_catalog(session: Session, world: World) -> Catalog:
    """Add city A's fire-safety and urban-management departments and load the catalog."""
    fire = add_department(session, "A-GA", "330100", DepartmentType.PUBLIC_SECURITY)
    urban = add_department(session, "A-ZF", "330100", DepartmentType.OTHER)
    suffix = uuid.uuid4().hex[:6]
    catalog = Catalog(
        fire=fire,
        urban=urban,
        fire_approver=add_official(session, f"fire{suffix}", fire, Role.APPROVER),
        urban_approver=add_official(session, f"urban{suffix}", urban, Role.APPROVER),
        market_approver=add_official(session, f"mkt{suffix}", world.city_a_market, Role.APPROVER),
    )
    service.load_standard(session)
    return catalog


def resident(session: Session) -> Account:
    """A citizen who may apply."""
    return add_citizen(session)


def restaurant_form() -> dict[str, Any]:
    """A valid form for SC-001 (individual business registration)."""
    return {
        "applicant_name": "王小明",
        "phone": "13800138000",
        "business_name": "小明面馆",
        "address": "杭州市上城区清波街 1 号",
        "scope": "餐饮服务",
    }


def food_form() -> dict[str, Any]:
    """A valid form for SC-003 (food business permit)."""
    return {
        "applicant_name": "王小明",
        "phone": "13800138000",
        "business_name": "小明面馆",
        "address": "杭州市上城区清波街 1 号",
        "area": 80,
    }


def document(session: Session, principal: Principal, code: str) -> Material:
    """Upload a small PDF as material `code`."""
    return service.upload(
        session,
        principal=principal,
        filename=f"{code}.pdf",
        content_type="application/pdf",
        data=PDF,
        material_code=code,
    )


def sc001(session: Session, principal: Principal, **overrides: Any) -> ApplicationCreate:
    """An application for SC-001 in city A with its one uploaded material."""
    values: dict[str, Any] = {
        "matter_code": "SC-001",
        "division_code": "330100",
        "form": restaurant_form(),
        "document_ids": [document(session, principal, "premises").id],
    }
    values.update(overrides)
    return ApplicationCreate.model_validate(values)


def restaurant_bundle(session: Session, principal: Principal) -> ApplicationCreate:
    """The restaurant bundle in city A with every uploaded material."""
    codes = ["premises", "layout", "food_safety", "fire_plan", "design"]
    form = {
        "SC-001": restaurant_form(),
        "SC-003": food_form(),
        "GA-004": {"applicant_name": "王小明", "phone": "13800138000",
                   "address": "杭州市上城区清波街 1 号", "area": 80},
        "ZF-001": {"applicant_name": "王小明", "phone": "13800138000",
                   "address": "杭州市上城区清波街 1 号", "size_m2": 3.5},
    }  # fmt: skip
    return ApplicationCreate(
        bundle_code="YJS-CANYIN",
        division_code="330100",
        form=form,
        document_ids=[document(session, principal, c).id for c in codes],
    )
