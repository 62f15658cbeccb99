"""Tables of the data standards: the data element dictionary."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import JSON, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from govhub.core.db import Base, Timestamps


class ElementType(StrEnum):
    """The value types a data element can declare."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    CODE = "code"


class DataElement(Timestamps, Base):
    """A data element: a named, typed value with its allowed values, pattern or validator.

    `department_id` None marks a platform-wide element; otherwise the element belongs to
    that department (others may still read and use it: standards are not secret).
    """

    __tablename__ = "data_elements"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    data_type: Mapped[ElementType] = mapped_column(
        Enum(
            ElementType,
            name="element_type",
            native_enum=False,
            length=32,
            values_callable=lambda members: [m.value for m in members],
            validate_strings=True,
        )
    )
    max_length: Mapped[int | None]
    pattern: Mapped[str | None] = mapped_column(String(500))
    allowed_values: Mapped[list[str] | None] = mapped_column(JSON)
    validator: Mapped[str | None] = mapped_column(String(64))
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(String(1000), default="")
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    is_builtin: Mapped[bool] = mapped_column(default=False)
