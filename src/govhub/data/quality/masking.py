"""Masking of personal values in failing-row samples, for viewers outside the owner department.

A column is personal when the resource marks its field personal or maps it to a personal data
element (ID number, phone, name, e-mail), and is masked with the style of that element
(`govhub.privacy.masking`: an ID number keeps its first 6 and last 4 characters, a mobile its
first 3 and last 4, an e-mail address its first character and domain); anything else keeps
its first character only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from govhub.privacy.detect import ELEMENT_CATEGORY, MASK_STYLE
from govhub.privacy.masking import MaskStyle, mask

PERSONAL_ELEMENTS = frozenset(ELEMENT_CATEGORY)


def personal_columns(
    fields: Iterable[Mapping[str, Any]], rule_elements: Mapping[str, str]
) -> dict[str, str]:
    """Return personal column names (case-folded) with their element code ('' when unmapped)."""
    found: dict[str, str] = {}
    for spec in fields:
        element = str(spec.get("element_code") or "")
        if spec.get("is_personal") or element in PERSONAL_ELEMENTS:
            found[str(spec["name"]).casefold()] = element
    for name, element in rule_elements.items():
        if element in PERSONAL_ELEMENTS:
            found.setdefault(name.casefold(), element)
    return found


def mask_value(value: object, element: str) -> object:
    """Return `value` masked according to its element."""
    if value is None:
        return None
    category = ELEMENT_CATEGORY.get(element)
    return mask(str(value), MASK_STYLE[category] if category is not None else MaskStyle.NAME)


def mask_samples(checks: list[dict[str, Any]], personal: Mapping[str, str]) -> list[dict[str, Any]]:
    """Return a copy of stored check results with personal sample values masked."""
    masked: list[dict[str, Any]] = []
    for check in checks:
        columns = [str(c).casefold() for c in check.get("columns") or []]
        ref_element = next((personal[c] for c in columns[1:2] if c in personal), None)
        samples = []
        for row in check.get("samples") or []:
            out = {}
            for key, value in row.items():
                element = personal.get(key.casefold())
                if key == "reference_value" and ref_element is not None:
                    element = ref_element
                out[key] = mask_value(value, element) if element is not None else value
            samples.append(out)
        masked.append({**check, "samples": samples})
    return masked
