"""What rules read: the records of a dataset version that qualify under a rule.

The Parquet version is read with DuckDB (decrypted in memory by the vault when sealed) by a
parameterized query; column names come from the rule, checked against the version's schema
when the rule is saved and quoted as identifiers.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from govhub.core.storage import get_storage
from govhub.data.catalog.models import DatasetVersion
from govhub.data.exchange.sql import quote
from govhub.identity.codes import division_prefix
from govhub.privacy import vault
from govhub.services.proactive.schemas import RuleDefinition


def json_value(value: Any) -> Any:
    """Turn a value DuckDB returns into one a JSON form holds."""
    if isinstance(value, date):
        return value.isoformat()
    return value


def qualifying(
    version: DatasetVersion, rule: RuleDefinition, *, division: str, today: date
) -> list[dict[str, Any]]:
    """Return the records of `version` within `division`'s subtree that satisfy the rule's
    conditions and window, as {column: value} for every column the rule reads."""
    columns = rule.columns()
    # Identifiers are quoted; every value is a parameter.
    sql = (
        f"SELECT {', '.join(quote(c) for c in columns)} FROM read_parquet($path)"  # noqa: S608
        f" WHERE starts_with(CAST({quote(rule.division_field)} AS VARCHAR), $prefix)"
    )
    params: dict[str, object] = {"prefix": division_prefix(division)}
    for n, condition in enumerate(rule.conditions):
        sql += f" AND CAST({quote(condition.field)} AS VARCHAR) = $c{n}"
        params[f"c{n}"] = condition.equals
    if rule.date_field is not None and rule.within_days is not None:
        sql += f" AND TRY_CAST({quote(rule.date_field)} AS DATE) >= $since"
        params["since"] = today - timedelta(days=rule.within_days - 1)
    source = vault.open_dataset(version.storage_key, get_storage())
    con = duckdb.connect()
    try:
        if source.filesystem is not None:
            con.register_filesystem(source.filesystem)
        rows = con.execute(sql, {"path": source.path, **params}).fetchall()
    finally:
        con.close()
    return [{c: json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]
