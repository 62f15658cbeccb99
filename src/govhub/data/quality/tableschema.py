"""Import and export quality rules as a Frictionless Table Schema.

Field rules map to `constraints` (required, pattern, enum, minimum, maximum, maxLength), the
declared key to `primaryKey` (or a single field's `unique`), reference checks to `foreignKeys`.
What a Table Schema cannot say travels in extension properties: a field's data element as
`x-govhub-element` (and `x-govhub-untyped` when a field's type only carries numeric
constraints), the expected record count as `x-govhub-expected-rows`, and the declared
`expr` and `agreement` checks as `x-govhub-checks`. A foreign key imported from a Table Schema
becomes a check named `<field>.reference`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from govhub.core.errors import InvalidInput
from govhub.data.quality.rules import RuleSet, ValueType, parse_rules

ELEMENT = "x-govhub-element"
EXPECTED = "x-govhub-expected-rows"
CHECKS = "x-govhub-checks"
DATASETS = "x-govhub-datasets"
UNTYPED = "x-govhub-untyped"
_CONSTRAINTS = {
    "required": "required",
    "pattern": "pattern",
    "enum": "enum",
    "minimum": "minimum",
    "maximum": "maximum",
    "maxLength": "max_length",
}
_TYPES = {t.value for t in ValueType} | {"any", "year", "time", "object", "array"}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def to_table_schema(rules: RuleSet) -> dict[str, Any]:
    """Export rules as a Table Schema descriptor."""
    fields: list[dict[str, Any]] = []
    for name, rule in rules.fields.items():
        kind = rule.type.value if rule.type is not None else None
        if kind is None:
            numeric = rule.minimum is not None or rule.maximum is not None
            kind = "number" if numeric else "string"
        constraints: dict[str, Any] = {}
        for key, attr in _CONSTRAINTS.items():
            value = getattr(rule, attr)
            if value is None or value is False:
                continue
            constraints[key] = _number(value) if key in ("minimum", "maximum") else value
        entry: dict[str, Any] = {"name": name, "type": kind}
        if rule.type is None and kind == "number":
            entry[UNTYPED] = True  # the type only carries the numeric constraints
        if rule.element is not None:
            entry[ELEMENT] = rule.element
        if constraints:
            entry["constraints"] = constraints
        fields.append(entry)
    known = set(rules.fields)
    for key in rules.keys:
        if key not in known:
            fields.append({"name": key, "type": "string"})
            known.add(key)
    descriptor: dict[str, Any] = {"fields": fields}
    if rules.keys:
        descriptor["primaryKey"] = list(rules.keys)
    foreign = []
    others = []
    for check in rules.checks:
        if check.reference is not None:
            ref = check.reference
            foreign.append(
                {"fields": [ref.field], "reference": {"resource": ref.dataset, "fields": [ref.key]}}
            )
        else:
            others.append(check.model_dump(mode="json", exclude_none=True))
    if foreign:
        descriptor["foreignKeys"] = foreign
    if rules.expected_rows is not None:
        descriptor[EXPECTED] = rules.expected_rows
    if others:
        descriptor[CHECKS] = others
    if rules.datasets:
        descriptor[DATASETS] = dict(rules.datasets)
    return descriptor


def _one(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    raise InvalidInput("only single-column foreign keys are supported", field=where)


def from_table_schema(descriptor: Mapping[str, Any]) -> RuleSet:
    """Import rules from a Table Schema descriptor (raises `InvalidInput` when malformed)."""
    if not isinstance(descriptor, Mapping) or not isinstance(descriptor.get("fields"), list):
        raise InvalidInput("a Table Schema is an object with a list of fields", field="fields")
    fields: dict[str, dict[str, Any]] = {}
    unique: list[str] = []
    for index, entry in enumerate(descriptor["fields"]):
        where = f"fields.{index}"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise InvalidInput("every field needs a name", field=f"{where}.name")
        kind = entry.get("type", "string")
        if kind not in _TYPES:
            raise InvalidInput(f"unknown field type {kind!r}", field=f"{where}.type")
        rule: dict[str, Any] = {}
        if kind in {t.value for t in ValueType} and kind != "string" and not entry.get(UNTYPED):
            rule["type"] = kind
        if entry.get(ELEMENT):
            rule["element"] = entry[ELEMENT]
        constraints = entry.get("constraints", {})
        if not isinstance(constraints, Mapping):
            raise InvalidInput("constraints must be an object", field=f"{where}.constraints")
        for key, value in constraints.items():
            if key == "unique":
                if value is True:
                    unique.append(entry["name"])
            elif key in _CONSTRAINTS:
                rule[_CONSTRAINTS[key]] = value
            else:
                raise InvalidInput(f"unsupported constraint {key}", field=f"{where}.constraints")
        fields[entry["name"]] = rule
    keys = descriptor.get("primaryKey") or []
    keys = [keys] if isinstance(keys, str) else list(keys)
    if unique and not keys:
        if len(unique) > 1:
            raise InvalidInput("only one unique key is supported", field="fields")
        keys = unique
    checks: list[Any] = []
    for index, fk in enumerate(descriptor.get("foreignKeys") or []):
        where = f"foreignKeys.{index}"
        if not isinstance(fk, Mapping) or not isinstance(fk.get("reference"), Mapping):
            raise InvalidInput("a foreign key needs fields and a reference", field=where)
        field = _one(fk.get("fields"), where)
        checks.append(
            {
                "name": f"{field}.reference",
                "dimension": "consistency",
                "reference": {
                    "field": field,
                    "dataset": fk["reference"].get("resource"),
                    "key": _one(fk["reference"].get("fields"), where),
                },
            }
        )
    checks.extend(descriptor.get(CHECKS) or [])
    document: dict[str, Any] = {"version": 1, "keys": keys, "fields": fields, "checks": checks}
    if descriptor.get(DATASETS):
        document["datasets"] = descriptor[DATASETS]
    if descriptor.get(EXPECTED) is not None:
        document["expected_rows"] = descriptor[EXPECTED]
    try:
        return parse_rules(document)
    except ValidationError as exc:  # pragma: no cover - parse_rules converts these
        raise InvalidInput(str(exc), field="schema") from None
