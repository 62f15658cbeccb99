"""Tables of health codes: the rules (data, not code) and each resident's current color."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from govhub.core.db import Base, UUIDPrimaryKey, portable_enum, utcnow


class HealthColor(StrEnum):
    """The colors of a health code, mildest first."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class RuleMatch(StrEnum):
    """Whether a rule fires when matching rows exist or when none do."""

    PRESENT = "present"
    ABSENT = "absent"


class HealthRule(UUIDPrimaryKey, Base):
    """A color a resident gets when rows about them in one dataset (do not) exist recently.

    "A positive test within 14 days: red" is `present` rows of the test results whose
    `match_field` equals "阳性" and whose `date_field` lies within 14 days. Rules are tried
    by ascending priority; the first that fires gives the color, none gives green.
    """

    __tablename__ = "health_rules"
    __table_args__ = (
        CheckConstraint("within_days >= 1 AND within_days <= 366", name="within_days"),
    )

    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int]
    color: Mapped[HealthColor] = mapped_column(portable_enum(HealthColor, "health_color"))
    match: Mapped[RuleMatch] = mapped_column(portable_enum(RuleMatch, "health_rule_match"))
    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_resources.id"), index=True)
    id_field: Mapped[str] = mapped_column(String(100))
    date_field: Mapped[str] = mapped_column(String(100))
    match_field: Mapped[str | None] = mapped_column(String(100))
    match_value: Mapped[str | None] = mapped_column(String(200))
    within_days: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HealthCodeState(Base):
    """A resident's current color, kept to notice (and ledger) when it changes."""

    __tablename__ = "health_code_states"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(32), unique=True)
    color: Mapped[HealthColor] = mapped_column(portable_enum(HealthColor, "health_color"))
    # The rule that gave the color (none: green); not a foreign key, so rules can be deleted.
    rule_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    evaluated_at: Mapped[datetime] = mapped_column(default=utcnow)
