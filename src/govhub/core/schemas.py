"""Base classes and shared constrained types for API schemas."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

T = TypeVar("T")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.\-]{3,64}$")
]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]
DivisionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}(\d{3}){0,2}$")]


def reject_nul(value: Any) -> Any:
    """Raise ValueError when any string inside `value` holds a NUL character (PostgreSQL
    cannot store one, and no legitimate metadata contains it); return `value` unchanged."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            reject_nul(key)
            reject_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            reject_nul(item)
    return value


class Schema(BaseModel):
    """Base of every input schema: unknown fields are an error, and no string holds a NUL."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        return reject_nul(data)


class ReadSchema(BaseModel):
    """Base of every output schema: built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """A page of results with the total count."""

    items: list[T]
    total: int
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)
