"""Helpers for health-code tests: published test-result and travel datasets, and rules."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import Resource
from govhub.data.catalog.schemas import ResourceCreate
from govhub.data.ingest import service as ingest_service
from govhub.identity import authn
from govhub.identity.models import Account
from tests.data.helpers import resource_body

TEST_FIELDS: list[dict[str, Any]] = [
    {"name": "sfzhm", "type": "string", "description": "身份证号码",
     "element_code": "id_number", "is_personal": True},
    {"name": "jcrq", "type": "date", "description": "检测日期"},
    {"name": "jcjg", "type": "string", "description": "检测结果"},
]  # fmt: skip
TRAVEL_FIELDS: list[dict[str, Any]] = [
    {"name": "sfzhm", "type": "string", "description": "身份证号码",
     "element_code": "id_number", "is_personal": True},
    {"name": "ddrq", "type": "date", "description": "抵达日期"},
    {"name": "fxdq", "type": "string", "description": "是否风险地区"},
]  # fmt: skip


def days_ago(n: int) -> str:
    """Return the ISO date `n` days before today (UTC)."""
    return (datetime.now(UTC).date() - timedelta(days=n)).isoformat()


def publish(
    session: Session,
    admin: Account,
    *,
    fields: list[dict[str, Any]],
    rows: Sequence[tuple[str, str, str]],
    division: str = "330100",
) -> Resource:
    """Create a resource of `admin`'s department and publish `rows` as its first version."""
    principal = authn.principal_for(admin)
    body = resource_body(
        title=f"健康数据{uuid.uuid4().hex[:6]}", fields=fields, division_codes=[division]
    )
    resource = catalog_service.create_resource(
        session, principal=principal, data=ResourceCreate.model_validate(body)
    )
    lines = [",".join(f["name"] for f in fields), *(",".join(r) for r in rows)]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "rows.csv"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        ingest_service.ingest(
            session,
            principal=principal,
            resource_id=resource.id,
            source=source,
            filename=source.name,
        )
    return resource


def positive_rule(resource_id: uuid.UUID | str, **overrides: Any) -> dict[str, Any]:
    """A rule body: a positive test within 14 days gives red."""
    body: dict[str, Any] = {
        "name": "14天内核酸阳性",
        "priority": 10,
        "color": "red",
        "match": "present",
        "resource_id": str(resource_id),
        "id_field": "sfzhm",
        "date_field": "jcrq",
        "match_field": "jcjg",
        "match_value": "阳性",
        "within_days": 14,
    }
    body.update(overrides)
    return body


def travel_rule(resource_id: uuid.UUID | str, **overrides: Any) -> dict[str, Any]:
    """A rule body: arriving from a risk area within 7 days gives yellow."""
    body: dict[str, Any] = {
        "name": "7天内到访风险地区",
        "priority": 20,
        "color": "yellow",
        "resource_id": str(resource_id),
        "id_field": "sfzhm",
        "date_field": "ddrq",
        "match_field": "fxdq",
        "match_value": "是",
        "within_days": 7,
    }
    body.update(overrides)
    return body
