"""Rule documents: YAML and JSON parsing, clear errors, derived rules, Table Schema round trip."""

from __future__ import annotations

import json
from typing import Any

import frictionless
import pytest

from govhub.core.errors import InvalidInput
from govhub.data.quality import from_table_schema, parse_rules, to_table_schema
from govhub.data.quality.expr import parse_expr
from govhub.data.quality.rules import RuleSet, derive_rules, merge_rules
from tests.data.quality import generate

CONTRACT = """\
version: 1
expected_rows: 1000000
keys: [uscc]
fields:
  uscc:          {element: uscc, required: true}
  name:          {required: true, max_length: 100}
  legal_rep_id:  {element: id_number}
  division_code: {element: division_code}
  phone:         {pattern: "^1[3-9][0-9]{9}$"}
  status:        {enum: ["存续", "在业", "迁出", "注销", "吊销"]}
  registered_capital: {minimum: 0}
  established_on: {type: date}
checks:
  - name: cancelled_after_established
    dimension: consistency
    expr: "cancelled_on IS NULL OR cancelled_on >= established_on"
  - name: division_known
    dimension: consistency
    reference: {field: division_code, dataset: divisions, key: code}
"""


def _problem(source: str | bytes | dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_rules(source)
    return caught.value


class TestParsing:
    def test_contract_example_parses_from_yaml_json_and_mapping(self) -> None:
        rules = parse_rules(CONTRACT)
        assert rules.keys == ["uscc"]
        assert rules.fields["uscc"].element == "uscc"
        assert rules.fields["registered_capital"].minimum == 0
        assert rules.checks[1].reference is not None
        as_json = json.dumps(rules.document(), ensure_ascii=False)
        assert parse_rules(as_json) == rules
        assert parse_rules(as_json.encode()) == rules
        assert parse_rules(rules.document()) == rules
        assert rules.digest() == parse_rules(as_json).digest()

    def test_enum_numbers_become_text(self) -> None:
        assert parse_rules("fields: {g: {enum: [1, 2]}}").fields["g"].enum == ["1", "2"]

    @pytest.mark.parametrize(
        ("text", "field", "line"),
        [
            ("version: 1\nfields:\n  a: {required: maybe}\n", "fields.a.required", 3),
            ("version: 1\nfields:\n  a:\n    pattern: '(['\n", "fields.a.pattern", 4),
            ("version: 2\n", "version", 1),
            ("fields:\n  a: {colour: red}\n", "fields.a.colour", 2),
            (
                "checks:\n  - name: x\n    expr: 'a > 1'\n    reference: {field: a, dataset: d,"
                " key: k}\n",
                "checks.0",
                2,
            ),
            ("checks:\n  - name: x\n  - name: y\n    expr: 'a = 1'\n", "checks.0", 2),
            ("checks:\n  - {name: t, dimension: timeliness, expr: 'a = 1'}\n", "checks.0", 2),
            ("checks:\n  - {name: a, expr: 'a = 1'}\n  - {name: a, expr: 'a = 2'}\n", "", 1),
            ("expected_rows: -1\n", "expected_rows", 1),
        ],
    )
    def test_malformed_rules_name_the_field_and_line(
        self, text: str, field: str, line: int
    ) -> None:
        problem = _problem(text)
        error = problem.extra["errors"][0]
        assert error["field"] == field
        assert error["line"] == line
        assert f"line {line}" in problem.detail

    def test_yaml_syntax_error_names_the_line(self) -> None:
        problem = _problem("version: 1\nfields:\n  a: {required: true\n  b: 1\n")
        assert "not valid YAML" in problem.detail
        assert problem.extra["errors"][0]["line"] == 4

    def test_json_syntax_error_names_the_line(self) -> None:
        problem = _problem('{\n  "version": 1,\n  "fields": {,}\n}')
        assert "not valid JSON" in problem.detail
        assert problem.extra["errors"][0]["line"] == 3

    @pytest.mark.parametrize("source", ["- a\n- b\n", "just text", b"\xff\xfe", "null"])
    def test_documents_that_are_not_mappings_are_refused(self, source: str | bytes) -> None:
        _problem(source)

    def test_oversized_documents_are_refused(self) -> None:
        assert "too large" in _problem("#" * 300_000).detail


class TestExpressions:
    @pytest.mark.parametrize(
        "expr",
        [
            "1=1; DROP TABLE dataset",
            "a IN (SELECT code FROM ref_divisions)",
            "EXISTS (SELECT 1)",
            "(SELECT count(*) FROM dataset) > 0",
            "read_parquet('/etc/passwd') IS NULL",
            "getenv('HOME') = 'x'",
            "t.a = 1",
            "a = ?",
            "a = $1",
            "a + 1",
            "CAST(a AS STRUCT(x INT)) IS NULL",
            "a =",
        ],
    )
    def test_dangerous_or_malformed_expressions_are_refused(self, expr: str) -> None:
        with pytest.raises(InvalidInput):
            parse_expr(expr)
        problem = _problem({"checks": [{"name": "x", "expr": expr}]})
        assert problem.extra["errors"][0]["field"] == "checks.0"

    @pytest.mark.parametrize(
        "expr",
        [
            "cancelled_on IS NULL OR cancelled_on >= established_on",
            "status IN ('存续', '在业') AND length(name) BETWEEN 2 AND 100",
            "name LIKE '%公司' OR name ILIKE '%co%'",
            "CASE WHEN capital > 0 THEN TRUE ELSE FALSE END",
            "coalesce(capital, 0) * 2 - 1 >= abs(-1)",
            "CAST(established_on AS DATE) <= current_date",
        ],
    )
    def test_allowed_expressions_parse(self, expr: str) -> None:
        assert parse_expr(expr) is not None


class TestDerivedRules:
    def test_fields_mapped_to_elements_become_rules(self) -> None:
        fields: list[dict[str, Any]] = [
            {"name": "tyshxydm", "type": "string", "element_code": "uscc"},
            {"name": "qymc", "type": "string"},
            {"name": "clrq", "type": "date", "element_code": None},
        ]
        derived = derive_rules(fields)
        assert set(derived.fields) == {"tyshxydm", "clrq"}
        assert derived.fields["tyshxydm"].element == "uscc"
        assert derived.fields["clrq"].type == "date"

    def test_declared_rules_override_field_by_field(self) -> None:
        derived = derive_rules([{"name": "a", "type": "integer", "element_code": "amount"}])
        declared = parse_rules("keys: [a]\nfields:\n  a: {required: true, type: number}\n")
        merged = merge_rules(derived, declared)
        assert merged.fields["a"].element == "amount"
        assert merged.fields["a"].type == "number"
        assert merged.fields["a"].required is True
        assert merged.keys == ["a"]


class TestTableSchema:
    def test_export_is_a_valid_table_schema(self) -> None:
        descriptor = to_table_schema(parse_rules(CONTRACT))
        report = frictionless.validate(descriptor, type="schema")
        assert report.valid, report.flatten(["message"])
        assert descriptor["primaryKey"] == ["uscc"]
        uscc = next(f for f in descriptor["fields"] if f["name"] == "uscc")
        assert uscc["constraints"] == {"required": True}
        assert descriptor["foreignKeys"][0]["reference"] == {
            "resource": "divisions",
            "fields": ["code"],
        }

    def test_round_trip_keeps_the_rules(self) -> None:
        rules = parse_rules(generate.RULES_YAML.format(expected=10))
        back = from_table_schema(to_table_schema(rules))
        assert back.fields == rules.fields
        assert back.keys == rules.keys
        assert back.expected_rows == rules.expected_rows
        assert [c.name for c in back.checks] == [
            "division_code.reference",
            "cancelled_after_established",
            "name_matches_register",
        ]
        assert to_table_schema(back) == to_table_schema(rules)

    def test_a_frictionless_schema_imports(self) -> None:
        schema = frictionless.Schema.from_descriptor(
            {
                "fields": [
                    {"name": "id", "type": "integer", "constraints": {"unique": True}},
                    {
                        "name": "email",
                        "type": "string",
                        "constraints": {
                            "required": True,
                            "maxLength": 50,
                            "pattern": "[^@]+@[^@]+",
                        },
                    },
                    {
                        "name": "age",
                        "type": "integer",
                        "constraints": {"minimum": 0, "maximum": 150},
                    },
                    {"name": "sex", "type": "string", "constraints": {"enum": ["1", "2"]}},
                ]
            }
        )
        rules: RuleSet = from_table_schema(schema.to_descriptor())
        assert rules.keys == ["id"]
        assert rules.fields["email"].max_length == 50
        assert rules.fields["age"].maximum == 150
        assert rules.fields["sex"].enum == ["1", "2"]

    @pytest.mark.parametrize(
        "descriptor",
        [
            {},
            {"fields": "nope"},
            {"fields": [{"type": "string"}]},
            {"fields": [{"name": "a", "type": "colour"}]},
            {"fields": [{"name": "a", "constraints": {"exclusiveMinimum": 1}}]},
            {"fields": [{"name": "a", "constraints": []}]},
            {
                "fields": [
                    {"name": "a", "constraints": {"unique": True}},
                    {"name": "b", "constraints": {"unique": True}},
                ]
            },
            {
                "fields": [{"name": "a"}],
                "foreignKeys": [{"fields": ["a", "b"], "reference": {"fields": ["x", "y"]}}],
            },
            {"fields": [{"name": "a"}], "foreignKeys": ["a"]},
            {"fields": [{"name": "a", "constraints": {"pattern": "("}}]},
        ],
    )
    def test_malformed_table_schemas_are_refused(self, descriptor: dict[str, Any]) -> None:
        with pytest.raises(InvalidInput):
            from_table_schema(descriptor)
