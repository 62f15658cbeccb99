"""Helpers for the sharing tests: consuming systems, shareable resources and request bodies."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from govhub.data.catalog.models import Resource
from govhub.data.sharing import service
from govhub.data.sharing.models import ShareRequest
from govhub.data.sharing.schemas import ShareRequestCreate
from govhub.identity.models import Account, Department, OAuthClient
from tests.data.helpers import make_resource
from tests.factories import World

PERSON_FIELDS: list[dict[str, Any]] = [
    {"name": "tyshxydm", "type": "string", "element_code": "uscc"},
    {"name": "qymc", "type": "string"},
    {"name": "fddbr", "type": "string", "element_code": "chinese_name", "is_personal": True},
    {"name": "fddbr_sfzh", "type": "string", "element_code": "id_number"},
    {"name": "szqh", "type": "string", "element_code": "division_code"},
]


def add_client(session: Session, department: Department, *, active: bool = True) -> OAuthClient:
    """Register a consuming system of `department`."""
    client = OAuthClient(
        client_id=f"sys-{department.code.lower()}-{uuid.uuid4().hex[:6]}",
        name=f"{department.name}业务系统",
        department_id=department.id,
        grant_types=["client_credentials"],
        is_active=active,
    )
    session.add(client)
    session.flush()
    return client


def shareable(session: Session, world: World, sharing_type: str = "conditional") -> Resource:
    """A resource of city A's market bureau with personal fields."""
    conditions = "仅限企业开办、变更登记核验使用" if sharing_type == "conditional" else ""
    return make_resource(
        session,
        world,
        sharing_type=sharing_type,
        sharing_conditions=conditions,
        fields=PERSON_FIELDS,
    )


def request_body(resource: Resource, client: OAuthClient, **overrides: Any) -> dict[str, Any]:
    """A valid request body (JSON-ready) for `resource` by `client`'s department."""
    body: dict[str, Any] = {
        "resource_id": str(resource.id),
        "client_id": client.client_id,
        "fields": ["tyshxydm", "qymc", "fddbr", "fddbr_sfzh"],
        "row_filter": [{"field": "szqh", "op": "within_division", "value": "330200"}],
        "purpose": "核验辖区内企业登记信息，办理企业开办",
        "legal_basis": "《优化营商环境条例》第十九条",
        "duration_days": 180,
    }
    body.update(overrides)
    return body


def make_request(
    session: Session, world: World, account: Account, resource: Resource, **overrides: Any
) -> ShareRequest:
    """Have `account`'s department request `resource` for a new system of its own."""
    principal = world.principal(account)
    department = session.get(Department, principal.department_id)
    assert department is not None
    client = add_client(session, department)
    data = ShareRequestCreate.model_validate(request_body(resource, client, **overrides))
    return service.create_request(session, principal=principal, data=data)
