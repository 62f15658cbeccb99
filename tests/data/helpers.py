"""Helpers for the data center's tests: catalog resources with sensible defaults."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import Resource
from govhub.data.catalog.schemas import ResourceCreate
from govhub.identity.models import Account
from tests.factories import World


def resource_body(**overrides: Any) -> dict[str, Any]:
    """Return a valid creation body (JSON-ready), changed by `overrides`."""
    body: dict[str, Any] = {
        "title": "企业登记信息",
        "title_en": "Enterprise register",
        "description": "市场监督管理局登记的企业基本信息，含统一社会信用代码与法定代表人。",
        "description_en": "Basic information of registered enterprises.",
        "update_frequency": "daily",
        "keywords": ["企业", "登记"],
        "themes": ["market", "credit"],
        "division_codes": ["330100"],
        "sharing_type": "unconditional",
        "opening_type": "not_open",
        "security_class": "general",
        "sensitivity": "internal",
        "contact_name": "王科长",
        "contact_phone": "0571-87000000",
        "contact_email": "data@scjg.example.gov.cn",
        "license": "CC-BY-4.0",
        "fields": [
            {"name": "tyshxydm", "type": "string", "description": "统一社会信用代码",
             "element_code": "uscc"},
            {"name": "qymc", "type": "string", "description": "企业名称"},
            {"name": "fddbr", "type": "string", "description": "法定代表人",
             "element_code": "chinese_name", "is_personal": True},
        ],
    }  # fmt: skip
    body.update(overrides)
    return body


def make_resource(
    session: Session, world: World, *, account: Account | None = None, **overrides: Any
) -> Resource:
    """Create a resource through the service as `account` (city A's administrator)."""
    principal = world.principal(account or world.city_a_admin)
    data = ResourceCreate.model_validate(resource_body(**overrides))
    return catalog_service.create_resource(session, principal=principal, data=data)


OPEN: dict[str, Any] = {
    "opening_type": "open",
    "fields": [{"name": "qymc", "type": "string", "description": "企业名称"}],
}
