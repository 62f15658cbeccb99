"""HTTP API of quality assessment: `/api/v1/catalog/resources/{id}/quality/...`.

Rules are read and written as YAML or JSON documents (`PUT .../quality/rules`, any of
`application/json`, `application/yaml`, `text/yaml`, `text/plain`) or as a Frictionless
Table Schema (`.../quality/table-schema`).
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from govhub.core.errors import InvalidInput, PayloadTooLarge
from govhub.data.deps import CatalogEdit, CatalogRead
from govhub.data.quality import service
from govhub.data.quality.rules import MAX_DOCUMENT_BYTES, RuleSet, parse_rules
from govhub.data.quality.schemas import AssessmentRead, AssessmentSummary, CheckRead, RulesRead
from govhub.data.quality.tableschema import from_table_schema, to_table_schema
from govhub.identity.deps import DbSession, MaybePrincipal
from govhub.identity.principal import Principal

router = APIRouter(prefix="/api/v1/catalog/resources/{resource_id}/quality", tags=["quality"])

_DOCUMENT = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


async def raw_body(request: Request) -> bytes:
    """Read the request body (a rule document), bounded in size."""
    body = await request.body()
    if len(body) > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge("the rule document is too large")
    if not body.strip():
        raise InvalidInput("send a rule document in the request body", field="body")
    return body


RawBody = Annotated[bytes, Depends(raw_body)]


def _rules_read(session: DbSession, principal: Principal, resource_id: uuid.UUID) -> RulesRead:
    resource, declared, effective, updated_at = service.get_rules(
        session, principal=principal, resource_id=resource_id
    )
    return RulesRead(
        resource_id=resource.id,
        declared=declared.document(),
        effective=effective.document(),
        digest=effective.digest(),
        updated_at=updated_at,
    )


@router.get("/rules", response_model=RulesRead)
def get_rules(resource_id: uuid.UUID, principal: CatalogRead, session: DbSession) -> RulesRead:
    """Return the resource's declared rules and the rules in force."""
    return _rules_read(session, principal, resource_id)


@router.put("/rules", response_model=RulesRead, openapi_extra=_DOCUMENT)
def put_rules(
    resource_id: uuid.UUID, body: RawBody, principal: CatalogEdit, session: DbSession
) -> RulesRead:
    """Replace the resource's declared rules with a YAML or JSON rule document."""
    service.put_rules(
        session, principal=principal, resource_id=resource_id, rules=parse_rules(body)
    )
    return _rules_read(session, principal, resource_id)


@router.get("/table-schema")
def export_table_schema(
    resource_id: uuid.UUID, principal: CatalogRead, session: DbSession
) -> dict[str, Any]:
    """Return the rules in force as a Frictionless Table Schema."""
    _, _, effective, _ = service.get_rules(session, principal=principal, resource_id=resource_id)
    return to_table_schema(effective)


@router.put("/table-schema", response_model=RulesRead, openapi_extra=_DOCUMENT)
def import_table_schema(
    resource_id: uuid.UUID, body: RawBody, principal: CatalogEdit, session: DbSession
) -> RulesRead:
    """Replace the declared rules with those of a Frictionless Table Schema (JSON)."""
    try:
        descriptor = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the Table Schema is not valid JSON: {exc}", field="body") from None
    rules: RuleSet = from_table_schema(descriptor)
    service.put_rules(session, principal=principal, resource_id=resource_id, rules=rules)
    return _rules_read(session, principal, resource_id)


def _read(
    session: DbSession,
    resource_id: uuid.UUID,
    principal: Principal | None,
    assessment_id: uuid.UUID,
) -> AssessmentRead:
    resource, full, row = service.get_assessment(
        session, principal=principal, resource_id=resource_id, assessment_id=assessment_id
    )
    checks = service.visible_checks(
        session, resource=resource, row=row, principal=principal, full=full
    )
    summary = AssessmentSummary.model_validate(row)
    return AssessmentRead(
        **summary.model_dump(), checks=[CheckRead.model_validate(c) for c in checks]
    )


@router.post("/assessments", response_model=AssessmentRead, status_code=status.HTTP_201_CREATED)
def run_assessment(
    resource_id: uuid.UUID,
    principal: CatalogEdit,
    session: DbSession,
    version: Annotated[int | None, Query(ge=1, le=1_000_000_000)] = None,
) -> AssessmentRead:
    """Assess a dataset version (the latest by default) now."""
    _, row = service.run_assessment(
        session, principal=principal, resource_id=resource_id, version=version
    )
    return _read(session, resource_id, principal, row.id)


@router.get("/assessments", response_model=list[AssessmentSummary])
def list_assessments(
    resource_id: uuid.UUID,
    principal: MaybePrincipal,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[AssessmentSummary]:
    """List the resource's assessments, newest first (the trend across versions)."""
    _, _, rows = service.list_assessments(
        session, principal=principal, resource_id=resource_id, limit=limit
    )
    return [AssessmentSummary.model_validate(row) for row in rows]


@router.get("/assessments/{assessment_id}", response_model=AssessmentRead)
def get_assessment(
    resource_id: uuid.UUID, assessment_id: uuid.UUID, principal: MaybePrincipal, session: DbSession
) -> AssessmentRead:
    """Return one assessment with its checks (samples only within scope, masked as needed)."""
    return _read(session, resource_id, principal, assessment_id)
