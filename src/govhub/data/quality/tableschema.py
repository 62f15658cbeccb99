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

from govhub.core.errors import InvalidInput
from govhub.data.quality.rules import FieldRule, RuleSet, ValueType, parse_rules

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
_RULE_TYPES = {t.value for t in ValueType} - {"string"}
_TYPES = {t.value for t in ValueType} | {"any", "year", "time", "object", "array"}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _field_entry(name: str, rule: FieldRule) -> dict[str, Any]:
    numeric = rule.minimum is not None or rule.maximum is not None
    kind = rule.type.value if rule.type is not None else ("number" if numeric else "string")
    entry: dict[str, Any] = {"name": name, "type": kind}
    if rule.type is None and numeric:
        entry[UNTYPED] = True  # the type only carries the numeric constraints
    if rule.element is not None:
        entry[ELEMENT] = rule.element
    constraints = {
        key: _number(value) if key in ("minimum", "maximum") else value
        for key, attr in _CONSTRAINTS.items()
        if (value := getattr(rule, attr)) is not None and value is not False
    }
    if constraints:
        entry["constraints"] = constraints
    return entry


def to_table_schema(rules: RuleSet) -> dict[str, Any]:
    """Export rules as a Table Schema descriptor."""
    fields = [_field_entry(name, rule) for name, rule in rules.fields.items()]
    fields += [{"name": key, "type": "string"} for key in rules.keys if key not in rules.fields]
    descriptor: dict[str, Any] = {"fields": fields}
    if rules.keys:
        descriptor["primaryKey"] = list(rules.keys)
    foreign = [
        {"fields": [c.reference.field],
         "reference": {"resource": c.reference.dataset, "fields": [c.reference.key]}}
        for c in rules.checks if c.reference is not None
    ]  # fmt: skip
    others = [
        c.model_dump(mode="json", exclude_none=True) for c in rules.checks if c.reference is None
    ]
    extras = {
        "foreignKeys": foreign,
        EXPECTED: rules.expected_rows,
        CHECKS: others,
        DATASETS: dict(rules.datasets),
    }
    descriptor.update({k: v for k, v in extras.items() if v or (k == EXPECTED and v == 0)})
    return descriptor


def _one(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    raise InvalidInput("only single-column foreign keys are supported", field=where)


def _field_rule(index: int, entry: Any, unique: list[str]) -> tuple[str, dict[str, Any]]:
    where = f"fields.{index}"
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise InvalidInput("every field needs a name", field=f"{where}.name")
    kind = entry.get("type", "string")
    if kind not in _TYPES:
        raise InvalidInput(f"unknown field type {kind!r}", field=f"{where}.type")
    rule: dict[str, Any] = {}
    if kind in _RULE_TYPES and not entry.get(UNTYPED):
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
    return entry["name"], rule


def _foreign_check(index: int, fk: Any) -> dict[str, Any]:
    where = f"foreignKeys.{index}"
    if not isinstance(fk, Mapping) or not isinstance(fk.get("reference"), Mapping):
        raise InvalidInput("a foreign key needs fields and a reference", field=where)
    field = _one(fk.get("fields"), where)
    return {
        "name": f"{field}.reference",
        "dimension": "consistency",
        "reference": {
            "field": field,
            "dataset": fk["reference"].get("resource"),
            "key": _one(fk["reference"].get("fields"), where),
        },
    }


def from_table_schema(descriptor: Mapping[str, Any]) -> RuleSet:
    """Import rules from a Table Schema descriptor (raises `InvalidInput` when malformed)."""
    if not isinstance(descriptor, Mapping) or not isinstance(descriptor.get("fields"), list):
        raise InvalidInput("a Table Schema is an object with a list of fields", field="fields")
    unique: list[str] = []
    fields = dict(_field_rule(i, entry, unique) for i, entry in enumerate(descriptor["fields"]))
    keys = descriptor.get("primaryKey") or []
    keys = [keys] if isinstance(keys, str) else list(keys)
    if unique and not keys:
        if len(unique) > 1:
            raise InvalidInput("only one unique key is supported", field="fields")
        keys = unique
    foreign = descriptor.get("foreignKeys") or []
    if not isinstance(foreign, list):
        raise InvalidInput("foreignKeys must be a list", field="foreignKeys")
    checks: list[Any] = [_foreign_check(i, fk) for i, fk in enumerate(foreign)]
    checks.extend(descriptor.get(CHECKS) or [])
    document: dict[str, Any] = {"version": 1, "keys": keys, "fields": fields, "checks": checks}
    if descriptor.get(DATASETS):
        document["datasets"] = descriptor[DATASETS]
    if descriptor.get(EXPECTED) is not None:
        document["expected_rows"] = descriptor[EXPECTED]
    return parse_rules(document)
