"""Operations on the data element dictionary: read, add department elements, suggest mappings.

Standards are public: anyone may read every element. A department adds elements for itself
(`standards:edit`, its own department only; `catalog:manage` reaches any department in the
principal's division subtree). Departments outside that reach answer `NotFound`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.data.standards import mapping
from govhub.data.standards.builtin import BUILTIN_BY_CODE
from govhub.data.standards.models import DataElement
from govhub.data.standards.schemas import (
    ColumnSuggestions,
    ElementCreate,
    ElementSuggestion,
    MappingRequest,
    MappingResponse,
)
from govhub.data.standards.validators import Check, element_check, failing_indices
from govhub.identity import service as identity_service
from govhub.identity.models import Department, Division
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

PATTERN_WEIGHT = 0.6
CODE_LIST_WEIGHT = 0.5
LOOKUP_CHUNK = 500


def writable_department(
    session: Session, *, principal: Principal, department_id: uuid.UUID | None
) -> Department:
    """Return the department the principal may write data metadata for (own, or in scope)."""
    target = department_id or principal.department_id
    if target is None:
        raise InvalidInput("say which department this belongs to", field="department_id")
    if target == principal.department_id:
        return identity_service.get_department(session, principal=principal, department_id=target)
    if not principal.can(Permission.CATALOG_MANAGE):
        raise NotFound("no such department")
    return identity_service.get_department(session, principal=principal, department_id=target)


def create_element(session: Session, *, principal: Principal, data: ElementCreate) -> DataElement:
    """Add a data element owned by a department the principal may write for."""
    department = writable_department(session, principal=principal, department_id=data.department_id)
    if session.get(DataElement, data.code) is not None:
        raise Conflict(f"data element {data.code} already exists")
    element = DataElement(
        **data.model_dump(exclude={"department_id"}),
        department_id=department.id,
        validator=None,
        is_builtin=False,
    )
    session.add(element)
    session.flush()
    return element


def get_element(session: Session, code: str) -> DataElement:
    """Return the data element with `code`."""
    element = session.get(DataElement, code)
    if element is None:
        raise NotFound(f"no data element {code}")
    return element


def list_elements(
    session: Session,
    *,
    query_text: str | None = None,
    department_id: uuid.UUID | None = None,
    platform_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[DataElement], int]:
    """List data elements by code, optionally filtered by text, department or platform-wide."""
    query = select(DataElement)
    if platform_only:
        query = query.where(DataElement.department_id.is_(None))
    elif department_id is not None:
        query = query.where(DataElement.department_id == department_id)
    if query_text:
        like = f"%{query_text.lower()}%"
        query = query.where(
            or_(
                func.lower(DataElement.code).like(like),
                func.lower(DataElement.name).like(like),
                func.lower(DataElement.name_en).like(like),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(DataElement.code).limit(limit).offset(offset))
    return list(rows), total


def existing_codes(session: Session, codes: Iterable[str]) -> set[str]:
    """Return which of `codes` name existing data elements."""
    wanted = sorted(set(codes))
    if not wanted:
        return set()
    return set(session.scalars(select(DataElement.code).where(DataElement.code.in_(wanted))))


def known_division_codes(session: Session, candidates: Iterable[object]) -> set[str]:
    """Return which of `candidates` are division codes on the platform (for the code check)."""
    wanted = sorted({str(c) for c in candidates if c not in (None, "")})
    found: set[str] = set()
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        found.update(session.scalars(select(Division.code).where(Division.code.in_(chunk))))
    return found


def check_for(element: DataElement, *, known_divisions: set[str] | None = None) -> Check:
    """Return the combined check of an element's validator, pattern, code list and length."""
    return element_check(
        validator=element.validator,
        pattern=element.pattern,
        allowed_values=element.allowed_values,
        max_length=element.max_length,
        known_divisions=known_divisions,
    )


def check_values(session: Session, *, code: str, values: Sequence[object]) -> list[int]:
    """Return the indices of `values` that fail the element `code` (division codes must exist)."""
    element = get_element(session, code)
    known = known_division_codes(session, values) if element.validator == "division_code" else None
    return failing_indices(values, check_for(element, known_divisions=known))


def _profile(element: DataElement, known_divisions: set[str]) -> mapping.ElementProfile:
    builtin = BUILTIN_BY_CODE.get(element.code) if element.is_builtin else None
    if builtin is not None:
        weight = builtin.value_weight
    elif element.pattern is not None:
        weight = PATTERN_WEIGHT
    else:
        weight = CODE_LIST_WEIGHT
    names = (element.code, element.name, element.name_en, *element.synonyms)
    return mapping.ElementProfile(
        code=element.code,
        names=tuple(n for n in names if n),
        check=check_for(element, known_divisions=known_divisions),
        value_weight=weight,
    )


def suggest_mapping(
    session: Session, *, data: MappingRequest, elements: Sequence[DataElement] | None = None
) -> MappingResponse:
    """Suggest data elements for each column from its name and sample values."""
    pool = list(elements) if elements is not None else list(session.scalars(select(DataElement)))
    known = known_division_codes(
        session, (value for column in data.columns for value in column.samples)
    )
    profiles = [_profile(element, known) for element in pool]
    return MappingResponse(
        columns=[
            ColumnSuggestions(
                column=column.name,
                suggestions=[
                    ElementSuggestion(
                        element_code=s.element_code,
                        confidence=s.confidence,
                        name_score=s.name_score,
                        value_score=s.value_score,
                    )
                    for s in mapping.suggest(column.name, column.samples, profiles)
                ],
            )
            for column in data.columns
        ]
    )
