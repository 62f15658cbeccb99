"""API schemas of the data standards."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from govhub.core.schemas import Name, ReadSchema, Schema
from govhub.data.standards.models import ElementType

ElementCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z][A-Za-z0-9_.\-]{1,63}$")
]
Synonym = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
CodeValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ColumnName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
SampleValue = Annotated[str, StringConstraints(max_length=500)]

MAX_PATTERN = 500
# A group holding a quantifier that is itself repeated, as in (a+)+ or (\w*)*: the shape of
# catastrophic backtracking. Such patterns are refused, since Python's `re` has no time limit.
NESTED_QUANTIFIER = re.compile(r"\([^()]*[+*}][^()]*\)\s*[+*{]")


class ElementCreate(Schema):
    """A department's new data element: a pattern or a list of allowed values (or both)."""

    code: ElementCode
    name: Name
    name_en: str = Field(default="", max_length=200)
    data_type: ElementType = ElementType.STRING
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    pattern: str | None = Field(default=None, min_length=1, max_length=MAX_PATTERN)
    allowed_values: list[CodeValue] | None = Field(default=None, min_length=1, max_length=1000)
    synonyms: list[Synonym] = Field(default_factory=list, max_length=50)
    description: str = Field(default="", max_length=1000)
    department_id: uuid.UUID | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        if NESTED_QUANTIFIER.search(value):
            raise ValueError("nested quantifiers such as (a+)+ are not allowed")
        return value

    @field_validator("allowed_values")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("allowed values must be distinct")
        return value

    @model_validator(mode="after")
    def _has_a_rule(self) -> ElementCreate:
        if self.pattern is None and self.allowed_values is None:
            raise ValueError("give a pattern or a list of allowed values")
        return self


class ElementRead(ReadSchema):
    """A data element of the dictionary."""

    code: str
    name: str
    name_en: str
    data_type: ElementType
    max_length: int | None
    pattern: str | None
    allowed_values: list[str] | None
    validator: str | None
    synonyms: list[str]
    description: str
    department_id: uuid.UUID | None
    is_builtin: bool


class ValuesCheck(Schema):
    """Values of one column to check against a data element."""

    values: list[SampleValue | None] = Field(min_length=1, max_length=10_000)


class ValuesCheckResult(Schema):
    """Which values failed the element's check (empty values never fail: that is completeness)."""

    element_code: str
    checked: int
    failed: int
    failing_indices: list[int]


class ColumnSample(Schema):
    """A column of a table to map: its name and a few of its values."""

    name: ColumnName
    samples: list[SampleValue | None] = Field(default_factory=list, max_length=200)


class MappingRequest(Schema):
    """Columns to suggest data elements for."""

    columns: list[ColumnSample] = Field(min_length=1, max_length=500)


class ElementSuggestion(Schema):
    """A candidate element for a column with its confidence in [0, 1]."""

    element_code: str
    confidence: float
    name_score: float
    value_score: float


class ColumnSuggestions(Schema):
    """The candidates for one column, most confident first (empty when nothing fits)."""

    column: str
    suggestions: list[ElementSuggestion]


class MappingResponse(Schema):
    """Suggestions for every column, in the order given."""

    columns: list[ColumnSuggestions]
