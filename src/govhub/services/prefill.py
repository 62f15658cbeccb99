"""The combined form of a "one thing, one visit" bundle, pre-filled once-only.

A bundle's matters ask for overlapping fields (applicant, phone, address, …) and materials
(the business license, …). The combined form asks for each field and each uploaded material
once. Values the government already holds are taken, never asked again: the applicant's name
from their real-name account and, from the active licenses in their wallet (each verified
with `licenses.require_valid`), the fields that `PREFILL` maps to a license claim. Prefilled
values are read again from the wallet when the form is submitted, so a posted value never
overrides them. `sections` splits the combined answers into the per-matter form that
`applications.submit` validates against each matter's JSON Schema.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from govhub.core.errors import InvalidInput
from govhub.identity.principal import Principal
from govhub.licenses import service as licenses
from govhub.licenses.schemas import LicenseStatus
from govhub.services import catalog, connections
from govhub.services.models import Bundle, Matter

ACCOUNT = "account"  # the source of a value taken from the applicant's real-name account
# Form field → the license claims that hold it, best first (type code, claim; "name" is the
# holder's name the license was issued to).
PREFILL: dict[str, tuple[tuple[str, str], ...]] = {
    "business_name": (("BUSINESS_LICENSE", "name"),),
    "company_name": (("BUSINESS_LICENSE", "name"),),
    "scope": (("BUSINESS_LICENSE", "businessScope"),),
    "address": (
        ("BUSINESS_LICENSE", "domicile"),
        ("FOOD_BUSINESS_PERMIT", "premises"),
        ("FIRE_SAFETY_INSPECTION", "venue"),
        ("OUTDOOR_SIGNBOARD_PERMIT", "location"),
    ),
}
# Form fields taken from the applicant's real-name account.
FROM_ACCOUNT = frozenset({"applicant_name"})


@dataclass(frozen=True, slots=True)
class HeldLicense:
    """An active, verified license of the applicant's wallet."""

    license_id: uuid.UUID
    type_code: str
    type_name: str
    issuer_name: str
    claims: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FormField:
    """One field of the combined form: asked once for every matter that has it."""

    name: str
    spec: dict[str, Any]
    matters: tuple[str, ...]
    value: Any = None  # pre-filled (once-only) value, None when the applicant enters it
    source: str | None = None  # ACCOUNT or the license type code the value was taken from
    source_name: str = ""  # the name of that license type


@dataclass(frozen=True, slots=True)
class BundleMaterial:
    """One material of the bundle, with how it is provided."""

    code: str
    name: str
    matters: tuple[str, ...]
    license_type: str | None = None  # linked to an e-license type
    resource: str | None = None  # fetched from a shared data resource
    held: HeldLicense | None = None  # the wallet license that provides it

    @property
    def upload(self) -> bool:
        """Tell whether the applicant uploads this material."""
        return self.license_type is None and self.resource is None


@dataclass(frozen=True, slots=True)
class BundleForm:
    """The combined, pre-filled form of a bundle for one applicant."""

    bundle: Bundle
    matters: list[Matter]
    fields: list[FormField]
    materials: list[BundleMaterial]
    divisions: list[tuple[str, str]]

    @property
    def prefilled(self) -> dict[str, Any]:
        """Field name → the value taken from the account or wallet."""
        return {f.name: f.value for f in self.fields if f.source is not None}


def held_licenses(session: Session, principal: Principal | None) -> dict[str, HeldLicense]:
    """Return the applicant's newest active license of each type, each verified."""
    holder = licenses.holder_of(principal) if principal is not None else None
    if holder is None:
        return {}
    held: dict[str, HeldLicense] = {}
    for row in licenses.wallet(session, holder):
        if row.type_code in held or licenses.status_of(row) is not LicenseStatus.ACTIVE:
            continue
        try:
            result = licenses.require_valid(session, row.token, holder=holder)
        except InvalidInput:
            continue  # a license that does not verify provides nothing
        held[row.type_code] = HeldLicense(
            license_id=row.id,
            type_code=row.type_code,
            type_name=result.type_name,
            issuer_name=result.issuer_name,
            claims={"name": result.holder_name, **result.claims},
        )
    return held


def _fits(spec: dict[str, Any], value: Any) -> bool:
    """Tell whether `value` is valid for a field of schema `spec`."""
    return not any(Draft202012Validator(spec).iter_errors(value))


def _prefill(
    name: str, spec: dict[str, Any], principal: Principal | None, held: dict[str, HeldLicense]
) -> tuple[Any, str | None]:
    if principal is None:
        return None, None
    if name in FROM_ACCOUNT and _fits(spec, principal.display_name):
        return principal.display_name, ACCOUNT
    for type_code, claim in PREFILL.get(name, ()):
        license_ = held.get(type_code)
        value = license_.claims.get(claim) if license_ is not None else None
        if value not in (None, "") and _fits(spec, value):
            return value, type_code
    return None, None


def _divisions(session: Session, matters: list[Matter]) -> list[tuple[str, str]]:
    """The divisions that offer every matter of the bundle."""
    offered = [catalog.divisions_of(session, m) for m in matters]
    if not offered:
        return []
    common = set.intersection(*({code for code, _ in rows} for rows in offered))
    return [(code, name) for code, name in offered[0] if code in common]


def bundle_form(session: Session, *, principal: Principal | None, bundle_code: str) -> BundleForm:
    """Build the combined form of bundle `bundle_code`, pre-filled for `principal` (None:
    the bare guide, nothing pre-filled)."""
    bundle = catalog.get_bundle(session, bundle_code)
    matters = [catalog.get_matter(session, code) for code in bundle.matter_codes]
    held = held_licenses(session, principal)
    specs: dict[str, dict[str, Any]] = {}
    users: dict[str, list[str]] = {}
    found: dict[str, dict[str, Any]] = {}
    material_users: dict[str, list[str]] = {}
    for matter in matters:
        for name, spec in matter.form_schema.get("properties", {}).items():
            specs.setdefault(name, spec)
            users.setdefault(name, []).append(matter.code)
        for material in matter.materials:
            found.setdefault(material["code"], material)
            material_users.setdefault(material["code"], []).append(matter.code)
    fields = []
    for name, spec in specs.items():
        value, source = _prefill(name, spec, principal, held)
        source_name = held[source].type_name if source in held else ""
        fields.append(FormField(name, spec, tuple(users[name]), value, source, source_name))
    materials = []
    for code, material in found.items():
        license_type = connections.license_type_of(material)
        materials.append(
            BundleMaterial(
                code=code,
                name=str(material["name"]),
                matters=tuple(material_users[code]),
                license_type=license_type,
                resource=material.get("resource"),
                held=held.get(license_type) if license_type else None,
            )
        )
    return BundleForm(bundle, matters, fields, materials, _divisions(session, matters))


def coerce(spec: dict[str, Any], raw: str) -> Any:
    """Turn a posted string into the type its field declares (left as text when it is not)."""
    kind = spec.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw  # the schema check names the field
    return raw


def sections(form: BundleForm, posted: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Split the combined answers into each matter's form; prefilled values come from the
    account and wallet, whatever was posted."""
    answers: dict[str, Any] = {}
    for field in form.fields:
        if field.source is not None:
            answers[field.name] = field.value
            continue
        raw = posted.get(field.name, "").strip()
        if raw:
            answers[field.name] = coerce(field.spec, raw)
    return {
        matter.code: {
            name: answers[name]
            for name in matter.form_schema.get("properties", {})
            if name in answers
        }
        for matter in form.matters
    }
