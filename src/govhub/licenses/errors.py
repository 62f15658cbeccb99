"""Refusals of the e-licenses domain, each with a stable problem `type` of its own."""

from __future__ import annotations

from govhub.core.errors import InvalidInput


class LicenseInvalid(InvalidInput):
    """The token is not a license this platform issued: malformed, forged or tampered with."""

    slug = "license-invalid"
    title = "Invalid license"


class LicenseExpired(InvalidInput):
    """The license was genuine but its validity period has ended (or not yet begun)."""

    slug = "license-expired"
    title = "License expired"


class LicenseRevoked(InvalidInput):
    """The issuing department has revoked the license."""

    slug = "license-revoked"
    title = "License revoked"


class LicenseMismatch(InvalidInput):
    """The license is valid but belongs to another holder or is of another type."""

    slug = "license-mismatch"
    title = "License does not fit"
