"""A catalog resource as a DCAT 3 `dcat:Dataset` in JSON-LD, for harvesters and portals.

Frequencies and access rights use the EU Publications Office authority tables, which DCAT-AP
and most harvesters understand; divisions and themes, which have no such table, are URNs.
Only what the caller may see goes in: the contact point only in the full (in-scope) view.
"""

from __future__ import annotations

from typing import Any

from govhub.data.catalog.models import OpeningType, UpdateFrequency
from govhub.data.catalog.schemas import ResourcePublicRead, ResourceRead

MEDIA_TYPE = "application/ld+json"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
FREQUENCY_BASE = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCIES = {
    UpdateFrequency.REAL_TIME: "CONT",
    UpdateFrequency.DAILY: "DAILY",
    UpdateFrequency.WEEKLY: "WEEKLY",
    UpdateFrequency.MONTHLY: "MONTHLY",
    UpdateFrequency.QUARTERLY: "QUARTERLY",
    UpdateFrequency.ANNUAL: "ANNUAL",
    UpdateFrequency.IRREGULAR: "IRREG",
    UpdateFrequency.NEVER: "NEVER",
}
ACCESS_RIGHTS_BASE = "http://publications.europa.eu/resource/authority/access-right/"
ACCESS_RIGHTS = {
    OpeningType.OPEN: "PUBLIC",
    OpeningType.CONDITIONAL: "RESTRICTED",
    OpeningType.NOT_OPEN: "NON_PUBLIC",
}


def _texts(zh: str, en: str) -> list[dict[str, str]]:
    values = [{"@value": zh, "@language": "zh"}] if zh else []
    if en:
        values.append({"@value": en, "@language": "en"})
    return values


def _date(value: Any) -> dict[str, str]:
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def to_dcat(resource: ResourceRead | ResourcePublicRead, *, url: str) -> dict[str, Any]:
    """Return `resource` as a JSON-LD `dcat:Dataset` whose `@id` is `url`."""
    dataset: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": url,
        "@type": "dcat:Dataset",
        "dct:identifier": resource.identifier,
        "dct:title": _texts(resource.title, resource.title_en),
        "dct:description": _texts(resource.description, resource.description_en),
        "dct:publisher": {
            "@type": "foaf:Organization",
            "dct:identifier": resource.department.code,
            "foaf:name": _texts(resource.department.name, resource.department.name_en),
        },
        "dcat:keyword": [{"@value": k, "@language": "zh"} for k in resource.keywords],
        "dcat:theme": [{"@id": f"urn:govhub:theme:{t.value}"} for t in resource.themes],
        "dct:accrualPeriodicity": {"@id": FREQUENCY_BASE + FREQUENCIES[resource.update_frequency]},
        "dct:accessRights": {"@id": ACCESS_RIGHTS_BASE + ACCESS_RIGHTS[resource.opening_type]},
        "dct:spatial": [{"@id": f"urn:govhub:division:{c}"} for c in resource.division_codes],
        "dct:modified": {"@value": resource.updated_at.isoformat(), "@type": "xsd:dateTime"},
        "owl:versionInfo": str(resource.version),
    }
    if resource.temporal_start or resource.temporal_end:
        period: dict[str, Any] = {"@type": "dct:PeriodOfTime"}
        if resource.temporal_start:
            period["dcat:startDate"] = _date(resource.temporal_start)
        if resource.temporal_end:
            period["dcat:endDate"] = _date(resource.temporal_end)
        dataset["dct:temporal"] = period
    if resource.license:
        dataset["dct:license"] = resource.license
    if isinstance(resource, ResourceRead) and (
        resource.contact_name or resource.contact_email or resource.contact_phone
    ):
        contact: dict[str, Any] = {"@type": "vcard:Kind", "vcard:fn": resource.contact_name}
        if resource.contact_email:
            contact["vcard:hasEmail"] = {"@id": f"mailto:{resource.contact_email}"}
        if resource.contact_phone:
            contact["vcard:hasTelephone"] = {
                "@id": "tel:" + resource.contact_phone.replace(" ", "")
            }
        dataset["dcat:contactPoint"] = contact
    return dataset
