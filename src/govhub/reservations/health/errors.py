"""Refusals of health codes, each with a stable problem `type` of its own."""

from __future__ import annotations

from govhub.core.errors import Conflict, InvalidInput


class HealthCodeInvalid(InvalidInput):
    """A health code is malformed, forged or tampered with."""

    slug = "health-code-invalid"
    title = "Invalid health code"


class HealthCodeExpired(InvalidInput):
    """A health code's short validity has ended."""

    slug = "health-code-expired"
    title = "Health code expired"


class HealthRuleInvalid(InvalidInput):
    """A rule names a field, resource or value its data cannot answer."""

    slug = "health-rule-invalid"
    title = "Invalid health rule"


class NoIdentityNumber(Conflict):
    """The account has no ID number, so no data can speak about it."""

    slug = "health-no-identity"
    title = "No ID number on record"
