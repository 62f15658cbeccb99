"""API schemas of proactive services: rules as validated data, invitations and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from govhub.core.schemas import ReadSchema, Schema
from govhub.services.proactive.models import InvitationStatus

Column = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class Condition(Schema):
    """Only records whose column equals the value qualify."""

    field: Column
    equals: str = Field(min_length=1, max_length=200)


class RuleDefinition(Schema):
    """What a rule reads from each arriving record and how it pre-fills the application."""

    # Columns holding the resident ID numbers of the people to invite (e.g. both parents).
    person_fields: list[Column] = Field(min_length=1, max_length=4)
    # The record's own identifier (e.g. the birth certificate number): one invitation per
    # person and record, however often the record arrives.
    key_field: Column
    # The record's division: the application is made there, and only records within the
    # rule's department's division qualify.
    division_field: Column
    date_field: Column | None = None
    within_days: int | None = Field(default=None, ge=1, le=3660)
    conditions: list[Condition] = Field(default_factory=list, max_length=10)
    # Form field of the matter -> the column its value is taken from.
    prefill: dict[Column, Column] = Field(default_factory=dict, max_length=30)

    @model_validator(mode="after")
    def _window(self) -> RuleDefinition:
        if (self.date_field is None) != (self.within_days is None):
            raise ValueError("date_field and within_days go together")
        return self

    def columns(self) -> list[str]:
        """Return every column the rule reads, once each, in a stable order."""
        named = [*self.person_fields, self.key_field, self.division_field]
        if self.date_field is not None:
            named.append(self.date_field)
        named += [c.field for c in self.conditions] + list(self.prefill.values())
        return list(dict.fromkeys(named))


class RuleCreate(Schema):
    """A new rule of the caller's department."""

    name: str = Field(min_length=1, max_length=200)
    matter_code: str = Field(min_length=1, max_length=40)
    resource_id: uuid.UUID
    definition: RuleDefinition
    active: bool = True


class RuleUpdate(Schema):
    """Changes to a rule (all optional)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    definition: RuleDefinition | None = None
    active: bool | None = None


class RuleRead(ReadSchema):
    """A rule as stored."""

    id: uuid.UUID
    department_id: uuid.UUID
    name: str
    matter_code: str
    resource_id: uuid.UUID
    definition: RuleDefinition
    active: bool
    created_at: datetime
    updated_at: datetime


class Evaluation(Schema):
    """What one evaluation of a rule over a dataset version did."""

    rule_id: uuid.UUID
    version: int
    records: int
    invited: int
    already_invited: int
    not_registered: int


class InvitationRead(ReadSchema):
    """An invitation as its invitee sees it."""

    id: uuid.UUID
    matter_code: str
    division_code: str
    form: dict[str, Any]
    source_version: int
    status: InvitationStatus
    application_id: uuid.UUID | None
    created_at: datetime
    responded_at: datetime | None
    consent_at: datetime | None


class InvitationAccept(Schema):
    """Accept an invitation: consent to the use of the pre-filled data, and complete the form."""

    consent: bool
    form: dict[str, Any] = Field(default_factory=dict)
    document_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
