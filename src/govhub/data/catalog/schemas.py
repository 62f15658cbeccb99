"""API schemas of the resource catalog."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints, model_validator

from govhub.core.schemas import DivisionCode, ReadSchema, Schema
from govhub.data.catalog.models import (
    FieldType,
    OpeningType,
    SecurityClass,
    Sensitivity,
    SharingType,
    Theme,
    UpdateFrequency,
)

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
FieldName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, pattern=r"^[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]{0,63}$"
    ),
]
ElementCodeRef = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]

MAX_FIELDS = 500


class FieldSpec(Schema):
    """One field of a resource's schema, optionally mapped to a data element."""

    name: FieldName
    type: FieldType = FieldType.STRING
    description: str = Field(default="", max_length=500)
    element_code: ElementCodeRef | None = None
    is_personal: bool = False


class _ResourceBody(Schema):
    """Fields shared by creation and update (validated the same way)."""

    title_en: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=4000)
    description_en: str = Field(default="", max_length=4000)
    temporal_start: date | None = None
    temporal_end: date | None = None
    keywords: list[Keyword] = Field(default_factory=list, max_length=20)
    themes: list[Theme] = Field(default_factory=list, max_length=len(Theme))
    division_codes: list[DivisionCode] = Field(default_factory=list, max_length=50)
    sharing_conditions: str = Field(default="", max_length=1000)
    opening_conditions: str = Field(default="", max_length=1000)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40, pattern=r"^[0-9+\-() ]*$")
    contact_email: EmailStr | Literal[""] = ""
    license: str = Field(default="", max_length=100)
    fields: list[FieldSpec] = Field(default_factory=list, max_length=MAX_FIELDS)


class ResourceCreate(_ResourceBody):
    """A new catalog resource of a department (the caller's own when `department_id` is None)."""

    department_id: uuid.UUID | None = None
    title: Title
    update_frequency: UpdateFrequency
    sharing_type: SharingType
    opening_type: OpeningType
    security_class: SecurityClass = SecurityClass.GENERAL
    sensitivity: Sensitivity = Sensitivity.INTERNAL


class ResourceUpdate(Schema):
    """Changes to a resource's metadata; absent fields stay as they are.

    `base_version`, when given, must be the version the change was made against; a newer
    version answers 409 instead of silently overwriting someone else's edit.
    """

    base_version: int | None = Field(default=None, ge=1)
    title: Title | None = None
    title_en: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=4000)
    description_en: str | None = Field(default=None, max_length=4000)
    update_frequency: UpdateFrequency | None = None
    temporal_start: date | None = None
    temporal_end: date | None = None
    keywords: list[Keyword] | None = Field(default=None, max_length=20)
    themes: list[Theme] | None = Field(default=None, max_length=len(Theme))
    division_codes: list[DivisionCode] | None = Field(default=None, max_length=50)
    sharing_type: SharingType | None = None
    sharing_conditions: str | None = Field(default=None, max_length=1000)
    opening_type: OpeningType | None = None
    opening_conditions: str | None = Field(default=None, max_length=1000)
    security_class: SecurityClass | None = None
    sensitivity: Sensitivity | None = None
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+\-() ]*$")
    contact_email: EmailStr | Literal[""] | None = None
    license: str | None = Field(default=None, max_length=100)
    fields: list[FieldSpec] | None = Field(default=None, max_length=MAX_FIELDS)

    @model_validator(mode="after")
    def _changes_something(self) -> ResourceUpdate:
        if not self.model_fields_set - {"base_version"}:
            raise ValueError("change at least one field")
        return self


class FieldPublic(ReadSchema):
    """A field as the public sees it."""

    name: str
    type: FieldType
    description: str
    element_code: str | None


class FieldRead(FieldPublic):
    """A field as officials in scope see it."""

    is_personal: bool


class DepartmentRef(ReadSchema):
    """The owner department, by name."""

    id: uuid.UUID
    code: str
    name: str
    name_en: str


class ResourcePublicRead(ReadSchema):
    """A resource's public metadata (what anyone may read of an open resource)."""

    view: Literal["public"] = "public"
    id: uuid.UUID
    identifier: str
    version: int
    title: str
    title_en: str
    description: str
    description_en: str
    department: DepartmentRef
    division_codes: list[str]
    update_frequency: UpdateFrequency
    temporal_start: date | None
    temporal_end: date | None
    keywords: list[str]
    themes: list[Theme]
    opening_type: OpeningType
    license: str
    quality_grade: str | None
    fields: list[FieldPublic]
    updated_at: datetime


class ResourceRead(ResourcePublicRead):
    """A resource's full metadata (officials within scope)."""

    view: Literal["full"] = "full"  # type: ignore[assignment]
    sharing_type: SharingType
    sharing_conditions: str
    opening_conditions: str
    security_class: SecurityClass
    sensitivity: Sensitivity
    contact_name: str
    contact_phone: str
    contact_email: str
    fields: list[FieldRead]  # type: ignore[assignment]
    created_at: datetime
    withdrawn_at: datetime | None = None


class ResourceVersionRead(BaseModel):
    """One version of a resource's metadata."""

    version: int
    created_at: datetime
    created_by: uuid.UUID | None
    resource: ResourceRead


class VersionSummary(ReadSchema):
    """A version in the history list."""

    version: int
    created_at: datetime
    created_by: uuid.UUID | None


class FacetCount(BaseModel):
    """How many results carry one value of a facet."""

    value: str
    count: int


class SearchResult(BaseModel):
    """A page of matching resources with facet counts over all matches."""

    items: list[ResourceRead | ResourcePublicRead]
    total: int
    limit: int
    offset: int
    facets: dict[str, list[FacetCount]]
