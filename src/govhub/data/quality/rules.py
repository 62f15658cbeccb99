"""Quality rules: the rule document a department writes, parsed from YAML or JSON.

A document names per-field checks (`fields`), the declared key (`keys`), an expected record
count and declared checks (a restricted SQL `expr`, a `reference` to another dataset, or an
`agreement` with an authoritative dataset). Malformed documents raise `InvalidInput` naming the
field path and, for text, the line. `derive_rules` turns a resource's field-to-element mapping
into rules; `merge_rules` lays a department's declared rules over the derived ones.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator

from govhub.core.errors import InvalidInput
from govhub.core.schemas import Schema
from govhub.data.quality.expr import validate_expr

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_FIELDS = 500
MAX_CHECKS = 200

ColumnName = Annotated[str, StringConstraints(min_length=1, max_length=128)]
CheckName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$")]
DatasetName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
ElementCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
ResourceIdentifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]
Pattern = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class Dimension(StrEnum):
    """The quality dimensions of GB/T 36344 (plus uniqueness of declared keys)."""

    NORMATIVITY = "normativity"
    COMPLETENESS = "completeness"
    ACCURACY = "accuracy"
    CONSISTENCY = "consistency"
    TIMELINESS = "timeliness"
    ACCESSIBILITY = "accessibility"
    UNIQUENESS = "uniqueness"


class ValueType(StrEnum):
    """Value types a field rule may require (Frictionless Table Schema names)."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"


class FieldRule(Schema):
    """Checks on one column; each evaluates non-null values only, except `required`."""

    element: ElementCode | None = None
    required: bool = False
    type: ValueType | None = None
    pattern: Pattern | None = None
    enum: list[Annotated[str, StringConstraints(max_length=200)]] | None = Field(
        default=None, min_length=1, max_length=1000
    )
    max_length: int | None = Field(default=None, ge=1, le=1_000_000)
    minimum: float | None = None
    maximum: float | None = None

    @field_validator("enum", mode="before")
    @classmethod
    def _enum_as_text(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
                    for v in value]  # fmt: skip
        return value

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"the pattern does not compile: {exc}") from None
        return value


class Reference(Schema):
    """Every non-null `field` value must occur as `key` in the named reference dataset."""

    field: ColumnName
    dataset: DatasetName
    key: ColumnName


class Agreement(Schema):
    """Rows found by `key` in an authoritative dataset must carry the same `field` value."""

    dataset: DatasetName
    key: ColumnName
    field: ColumnName
    ref_key: ColumnName | None = None
    ref_field: ColumnName | None = None


class CheckRule(Schema):
    """A declared check: exactly one of `expr`, `reference` or `agreement`."""

    name: CheckName
    dimension: Dimension = Dimension.CONSISTENCY
    expr: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None
    reference: Reference | None = None
    agreement: Agreement | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> CheckRule:
        kinds = [k for k in ("expr", "reference", "agreement") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a check has exactly one of expr, reference or agreement")
        if self.dimension in (Dimension.TIMELINESS, Dimension.ACCESSIBILITY):
            raise ValueError(f"the platform measures {self.dimension} itself")
        if self.expr is not None:
            validate_expr(self.expr)
        return self


class RuleSet(Schema):
    """A rule document (version 1)."""

    version: Literal[1] = 1
    expected_rows: int | None = Field(default=None, ge=0)
    keys: list[ColumnName] = Field(default_factory=list, max_length=16)
    fields: dict[ColumnName, FieldRule] = Field(default_factory=dict, max_length=MAX_FIELDS)
    checks: list[CheckRule] = Field(default_factory=list, max_length=MAX_CHECKS)
    # Reference datasets by name: the catalog identifier of the resource whose latest version
    # serves as the reference ("divisions" is the platform's own division table).
    datasets: dict[DatasetName, ResourceIdentifier] = Field(default_factory=dict, max_length=20)

    @model_validator(mode="after")
    def _unique_names(self) -> RuleSet:
        if "divisions" in self.datasets:
            raise ValueError("divisions is the platform's own reference dataset")
        seen: set[str] = set()
        for check in self.checks:
            if check.name in seen:
                raise ValueError(f"check {check.name} appears twice")
            seen.add(check.name)
        return self

    def digest(self) -> str:
        """Return a stable sha256 digest of the rules (to tell which rules an assessment used)."""
        canonical = json.dumps(self.document(), sort_keys=True, ensure_ascii=False)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def document(self) -> dict[str, Any]:
        """Return the rules as a plain JSON document without unset parts."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=True) | {
            "version": 1
        }


# --- parsing ---------------------------------------------------------------------------------


def _node_line(node: yaml.Node | None, path: Sequence[str | int]) -> int | None:
    """Return the 1-based line of the YAML node at `path` (or of its nearest ancestor)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if k.value == str(part)), None)
            if found is None:
                found = next((k for k, _ in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            found = node.value[part] if part < len(node.value) else None
        else:
            found = None
        if found is None:
            break
        node = found
        line = node.start_mark.line + 1
    return line


# libyaml's parser where PyYAML was built with it (ten times faster), else the Python one.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_text(text: str) -> tuple[Any, yaml.Node | None]:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text), None
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"the rules are not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                errors=[{"field": "", "line": exc.lineno, "message": exc.msg}],
            ) from None
    loader = _LOADER(text)
    try:  # parsed once: the node gives line numbers, the data is constructed from it
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "malformed YAML"
        where = f" (line {line})" if line else ""
        raise InvalidInput(
            f"the rules are not valid YAML: {problem}{where}",
            errors=[{"field": "", "line": line, "message": str(problem)}],
        ) from None
    finally:
        loader.dispose()
    return data, node


def parse_rules(source: str | bytes | Mapping[str, Any]) -> RuleSet:
    """Parse a rule document from YAML or JSON text (or a parsed mapping) into a `RuleSet`."""
    node: yaml.Node | None = None
    if isinstance(source, bytes):
        if len(source) > MAX_DOCUMENT_BYTES:
            raise InvalidInput("the rule document is too large", field="rules")
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("the rules must be UTF-8 text", field="rules") from None
    if isinstance(source, str):
        if len(source.encode()) > MAX_DOCUMENT_BYTES:
            raise InvalidInput("the rule document is too large", field="rules")
        data, node = _load_text(source)
    else:
        data = source
    if not isinstance(data, Mapping):
        raise InvalidInput("the rules must be a mapping with version, fields, checks", field="")
    try:
        return RuleSet.model_validate(dict(data))
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            entry: dict[str, Any] = {
                "field": ".".join(str(p) for p in loc),
                "message": err["msg"].removeprefix("Value error, "),
            }
            if node is not None:
                entry["line"] = _node_line(node, loc)
            errors.append(entry)
        first = errors[0]
        where = f" (line {first['line']})" if first.get("line") else ""
        raise InvalidInput(
            f"rule {first['field'] or 'document'}: {first['message']}{where}", errors=errors
        ) from None


# --- derived rules and merging ---------------------------------------------------------------

_TYPES = {
    "integer": ValueType.INTEGER,
    "decimal": ValueType.NUMBER,
    "boolean": ValueType.BOOLEAN,
    "date": ValueType.DATE,
    "datetime": ValueType.DATETIME,
}


def derive_rules(fields: Sequence[Mapping[str, Any]]) -> RuleSet:
    """Derive rules from a resource's fields: each mapped element and declared type is checked."""
    derived: dict[str, FieldRule] = {}
    for spec in fields:
        rule = FieldRule(
            element=spec.get("element_code") or None,
            type=_TYPES.get(str(spec.get("type") or "string")),
        )
        if rule.element is not None or rule.type is not None:
            derived[str(spec["name"])] = rule
    return RuleSet(fields=derived)


def merge_rules(derived: RuleSet, declared: RuleSet) -> RuleSet:
    """Lay declared rules over derived ones: per field, declared settings win."""
    fields = {name: rule.model_dump(exclude_unset=True) for name, rule in derived.fields.items()}
    for name, rule in declared.fields.items():
        fields[name] = fields.get(name, {}) | rule.model_dump(exclude_unset=True)
    return RuleSet(
        expected_rows=declared.expected_rows,
        keys=list(declared.keys),
        fields={name: FieldRule(**values) for name, values in fields.items()},
        checks=list(declared.checks),
        datasets=dict(declared.datasets),
    )
