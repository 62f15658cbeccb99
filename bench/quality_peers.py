"""The nine checks in the peers: Great Expectations (GX Core 1.x), pandera and Frictionless.

GX and pandera read the Parquet file with pandas (the checked columns only, as GovHub and
DuckDB do); Frictionless reads the CSV, its own format. Check digits, which none of them ships,
are the vectorized numpy functions of `quality_tools` (GX: a custom map expectation; pandera: a
custom vectorized check); Frictionless gets row checks of its own kind.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from govhub.identity.codes import id_number_problem, uscc_problem
from quality_data import PHONE_PATTERN, STATUSES
from quality_tools import CHECKED, id_number_valid, uscc_valid

# --- Great Expectations ---------------------------------------------------------------------


def _gx_custom_expectations() -> tuple[type[Any], type[Any]]:
    """Define (once) the two check-digit expectations as GX column map expectations."""
    import pandas as pd  # noqa: PLC0415
    from great_expectations.execution_engine import PandasExecutionEngine  # noqa: PLC0415
    from great_expectations.expectations.expectation import ColumnMapExpectation  # noqa: PLC0415
    from great_expectations.expectations.metrics import (  # noqa: PLC0415
        ColumnMapMetricProvider,
        column_condition_partial,
    )

    class ColumnValuesValidUscc(ColumnMapMetricProvider):  # type: ignore[misc]
        condition_metric_name = "column_values.valid_uscc"

        @column_condition_partial(engine=PandasExecutionEngine)  # type: ignore[untyped-decorator]
        def _pandas(cls, column: Any, **kwargs: Any) -> Any:  # noqa: N805 - GX passes the class
            return pd.Series(uscc_valid(column), index=column.index)

    class ColumnValuesValidIdNumber(ColumnMapMetricProvider):  # type: ignore[misc]
        condition_metric_name = "column_values.valid_id_number"

        @column_condition_partial(engine=PandasExecutionEngine)  # type: ignore[untyped-decorator]
        def _pandas(cls, column: Any, **kwargs: Any) -> Any:  # noqa: N805 - GX passes the class
            return pd.Series(id_number_valid(column), index=column.index)

    class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):  # type: ignore[misc]
        """Expect values to be unified social credit codes with a valid check character."""

        map_metric = "column_values.valid_uscc"

    class ExpectColumnValuesToBeValidIdNumber(ColumnMapExpectation):  # type: ignore[misc]
        """Expect values to be resident ID numbers with a valid check digit."""

        map_metric = "column_values.valid_id_number"

    return ExpectColumnValuesToBeValidUscc, ExpectColumnValuesToBeValidIdNumber


def run_gx(parquet: Path, divisions: Path) -> dict[str, int]:
    """Validate with an ephemeral GX context over pandas (GX reads the Parquet file)."""
    import great_expectations as gx  # noqa: PLC0415
    import great_expectations.expectations as gxe  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    valid_uscc, valid_id = _gx_custom_expectations()
    context = gx.get_context(mode="ephemeral")
    known = pd.read_parquet(divisions)["code"].tolist()
    expectations = {
        "name.required": gxe.ExpectColumnValuesToNotBeNull(column="name"),
        "uscc.element": valid_uscc(column="uscc"),
        "legal_rep_id.element": valid_id(column="legal_rep_id"),
        "phone.pattern": gxe.ExpectColumnValuesToMatchRegex(column="phone", regex=PHONE_PATTERN),
        "status.enum": gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUSES)),
        "registered_capital.minimum": gxe.ExpectColumnValuesToBeBetween(
            column="registered_capital", min_value=0
        ),
        "keys.unique": gxe.ExpectColumnValuesToBeUnique(column="uscc"),
        "cancelled_after_established": gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="cancelled_on",
            column_B="established_on",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        "division_known": gxe.ExpectColumnValuesToBeInSet(column="division_code", value_set=known),
    }
    suite = context.suites.add(gx.ExpectationSuite(name="register"))
    names = {}
    for name, expectation in expectations.items():
        names[suite.add_expectation(expectation).id] = name
    batch = context.data_sources.pandas_default.read_parquet(parquet, columns=CHECKED)
    result = batch.validate(suite, result_format="BASIC")
    counts = {}
    for outcome in result.results:
        config = outcome.expectation_config
        name = names[config.id if config else None]
        if outcome.exception_info.get("raised_exception"):
            raise RuntimeError(f"GX failed on {name}: {outcome.exception_info}")
        counts[name] = int(outcome.result.get("unexpected_count", 0))
    return counts


# --- pandera ------------------------------------------------------------------------------------

PANDERA_CHECKS = {
    ("name", "not_nullable"): "name.required",
    ("uscc", "valid_uscc"): "uscc.element",
    ("legal_rep_id", "valid_id_number"): "legal_rep_id.element",
    ("phone", "str_matches"): "phone.pattern",
    ("status", "isin"): "status.enum",
    ("registered_capital", "greater_than_or_equal_to"): "registered_capital.minimum",
    ("uscc", "field_uniqueness"): "keys.unique",
    (None, "cancelled_after_established"): "cancelled_after_established",
    ("division_code", "isin"): "division_known",
}


def run_pandera(parquet: Path, divisions: Path) -> dict[str, int]:
    """Validate lazily with a pandera DataFrameSchema (pandas reads the Parquet file)."""
    import pandas as pd  # noqa: PLC0415
    import pandera.errors  # noqa: PLC0415
    import pandera.pandas as pa  # noqa: PLC0415

    known = pd.read_parquet(divisions)["code"].tolist()
    frame = pd.read_parquet(parquet, columns=CHECKED)
    text = pd.StringDtype("pyarrow", na_value=float("nan"))
    schema = pa.DataFrameSchema(
        {
            "uscc": pa.Column(
                text,
                pa.Check(lambda s: pd.Series(uscc_valid(s), s.index), name="valid_uscc"),
                nullable=True,
                unique=True,
            ),
            "name": pa.Column(text, nullable=False),
            "legal_rep_id": pa.Column(
                text,
                pa.Check(lambda s: pd.Series(id_number_valid(s), s.index), name="valid_id_number"),
                nullable=True,
            ),
            "phone": pa.Column(text, pa.Check.str_matches(PHONE_PATTERN), nullable=True),
            "status": pa.Column(text, pa.Check.isin(list(STATUSES)), nullable=True),
            "registered_capital": pa.Column(float, pa.Check.ge(0), nullable=True),
            "division_code": pa.Column(text, pa.Check.isin(known), nullable=True),
        },
        checks=[
            pa.Check(
                lambda df: df["cancelled_on"].isna() | (df["cancelled_on"] >= df["established_on"]),
                name="cancelled_after_established",
            )
        ],
    )
    rows: dict[str, set[Any]] = {name: set() for name in PANDERA_CHECKS.values()}
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        for (column, check), group in cases.groupby(["column", "check"], dropna=False):
            kind = str(check).split("(")[0]
            # A frame-wide check reports each failing row once per column it reads.
            key = (None, kind) if kind == "cancelled_after_established" else (column, kind)
            if key not in PANDERA_CHECKS:
                raise RuntimeError(f"pandera reported an unexpected check {key}") from None
            rows[PANDERA_CHECKS[key]].update(group["index"].tolist())
    return {name: len(found) for name, found in rows.items()}


# --- Frictionless ------------------------------------------------------------------------------

CONSTRAINTS = {
    "name": "name.required",
    "phone": "phone.pattern",
    "status": "status.enum",
    "registered_capital": "registered_capital.minimum",
}


def run_frictionless(csv: Path, divisions: Path) -> dict[str, int]:
    """Validate the CSV with a Table Schema (constraints) and row checks for the rest."""
    import pyarrow.parquet as pq  # noqa: PLC0415
    from frictionless import Check, Checklist, Resource, Schema, errors  # noqa: PLC0415

    known = set(pq.read_table(divisions).column("code").to_pylist())

    class RowCheckError(errors.RowError):
        type = "row-check"
        title = "Row check"
        description = "A row fails a check of the quality rules."
        template = "Row {rowNumber} fails: {note}"

    class RowChecks(Check):
        """Check digits, the cross-field rule and the division reference, row by row."""

        type = "govhub-row-checks"
        Errors = [RowCheckError]  # noqa: RUF012 - Frictionless's own attribute name

        def validate_row(self, row: Any) -> Any:
            uscc, person = row["uscc"], row["legal_rep_id"]
            if uscc is not None and uscc_problem(uscc) is not None:
                yield RowCheckError.from_row(row, note="uscc.element")
            if person is not None and id_number_problem(person) is not None:
                yield RowCheckError.from_row(row, note="legal_rep_id.element")
            cancelled: date | None = row["cancelled_on"]
            if cancelled is not None and cancelled < row["established_on"]:
                yield RowCheckError.from_row(row, note="cancelled_after_established")
            if row["division_code"] is not None and row["division_code"] not in known:
                yield RowCheckError.from_row(row, note="division_known")

    text = ["uscc", "name", "legal_rep", "legal_rep_id", "division_code", "address", "phone",
            "email", "industry_code", "enterprise_type", "status", "currency", "postal_code",
            "registration_authority", "business_scope"]  # fmt: skip
    fields: list[dict[str, Any]] = [{"name": n, "type": "string"} for n in text]
    constraints = {
        "uscc": {"unique": True},
        "name": {"required": True},
        "phone": {"pattern": PHONE_PATTERN.strip("^$")},
        "status": {"enum": list(STATUSES)},
    }
    for field in fields:
        if field["name"] in constraints:
            field["constraints"] = constraints[field["name"]]
    fields += [
        {"name": "registered_capital", "type": "number", "constraints": {"minimum": 0}},
        {"name": "established_on", "type": "date"},
        {"name": "approved_on", "type": "date"},
        {"name": "cancelled_on", "type": "date"},
        {"name": "employees", "type": "integer"},
    ]
    with open(csv, encoding="utf-8") as handle:
        header = handle.readline().strip().replace('"', "").split(",")
    fields.sort(key=lambda f: header.index(f["name"]))
    schema = Schema.from_descriptor({"fields": fields})
    resource = Resource(path=csv.name, basepath=str(csv.parent), schema=schema)
    report = resource.validate(Checklist(checks=[RowChecks()]), limit_errors=10**9)
    counts: dict[str, int] = {}
    duplicated: set[str] = set()
    for error in report.tasks[0].errors:
        if isinstance(error, RowCheckError):
            name = error.note
        elif isinstance(error, errors.UniqueError):
            name = "keys.unique"
            duplicated.add(error.cell)
        elif isinstance(error, errors.ConstraintError):
            name = CONSTRAINTS[error.field_name]
        else:
            raise RuntimeError(f"frictionless reported {error.type}: {error.message}")
        counts[name] = counts.get(name, 0) + 1
    # Frictionless flags each repeat after the first; GovHub counts every row of a repeated key.
    counts["keys.unique"] = counts.get("keys.unique", 0) + len(duplicated)
    return counts
