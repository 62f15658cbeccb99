"""The same nine checks in every tool the quality benchmark compares.

Each `run_*` function reads the file itself (its time is part of the measurement) and returns
the failing-row count of every check under GovHub's check names. Counts follow GovHub's
definitions: a NULL fails only the not-null check; `keys.unique` counts every row whose key
occurs more than once; a cross-field rule fails only when it is FALSE (NULL passes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from govhub.identity.codes import ID_CHECK, ID_WEIGHTS, USCC_ALPHABET, USCC_WEIGHTS
from quality_data import PHONE_PATTERN, STATUSES

CHECKED = ["uscc", "name", "legal_rep_id", "phone", "status", "registered_capital",
           "established_on", "cancelled_on", "division_code"]  # fmt: skip

RULES = f"""
version: 1
keys: [uscc]
fields:
  uscc: {{element: uscc}}
  name: {{required: true}}
  legal_rep_id: {{element: id_number}}
  phone: {{pattern: "{PHONE_PATTERN}"}}
  status: {{enum: [{", ".join(STATUSES)}]}}
  registered_capital: {{minimum: 0}}
checks:
  - name: cancelled_after_established
    dimension: consistency
    expr: "cancelled_on IS NULL OR cancelled_on >= established_on"
  - name: division_known
    dimension: consistency
    reference: {{field: division_code, dataset: divisions, key: code}}
"""

# --- vectorized check digits (numpy), for the peers without them ------------------------------

_INDEX = np.full(128, 99, dtype=np.int64)
for _i, _ch in enumerate(USCC_ALPHABET):
    _INDEX[ord(_ch)] = _i
_AUTHORITIES = np.array([ord(c) for c in "123456789ANY"])
_ID_CHECK = np.array([ord(c) for c in ID_CHECK])


def _fixed(values: Any, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (mask of values `width` characters long, their code points as an (m, width) array)."""
    texts = np.asarray(values.to_numpy(dtype=object, na_value=""), dtype=object)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    ok = lengths == width
    codes = np.array(texts[ok].tolist(), dtype=f"U{width}").view(np.uint32).reshape(-1, width)
    return ok, codes.astype(np.int64)


def uscc_valid(values: Any) -> np.ndarray:
    """Tell, for each value of a pandas Series, whether it is a valid credit code (GB 32100)."""
    ok, codes = _fixed(values, 18)
    index = _INDEX[np.minimum(codes, 127)]
    index[codes > 127] = 99
    good = (index < 31).all(axis=1) & np.isin(codes[:, 0], _AUTHORITIES)
    good &= (codes[:, 2:8] >= ord("0")).all(axis=1) & (codes[:, 2:8] <= ord("9")).all(axis=1)
    check = (31 - (np.where(index < 31, index, 0)[:, :17] @ np.array(USCC_WEIGHTS)) % 31) % 31
    good &= check == index[:, 17]
    result = ok.copy()
    result[ok] = good
    return np.asarray(result | values.isna().to_numpy(), dtype=bool)


def id_number_valid(values: Any) -> np.ndarray:
    """Tell, for each value of a pandas Series, whether it is a valid ID number (GB 11643)."""
    ok, codes = _fixed(values, 18)
    numbers = codes[:, :17] - ord("0")
    good = ((numbers >= 0) & (numbers <= 9)).all(axis=1)
    good &= ((codes[:, 17] >= ord("0")) & (codes[:, 17] <= ord("9"))) | (codes[:, 17] == ord("X"))
    numbers = np.clip(numbers, 0, 9)
    year = numbers[:, 6:10] @ np.array([1000, 100, 10, 1])
    month = numbers[:, 10:12] @ np.array([10, 1])
    day = numbers[:, 12:14] @ np.array([10, 1])
    first = ((np.clip(year, 1900, 9000) - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("M8[M]")
    length = ((first + 1).astype("M8[D]") - first.astype("M8[D]")).astype(np.int64)
    born = first.astype("M8[D]") + (day - 1).astype("m8[D]")
    good &= (year >= 1900) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= length)
    good &= born <= np.datetime64("today", "D")
    good &= _ID_CHECK[(numbers @ np.array(ID_WEIGHTS)) % 11] == codes[:, 17]
    result = ok.copy()
    result[ok] = good
    return np.asarray(result | values.isna().to_numpy(), dtype=bool)


# --- GovHub -------------------------------------------------------------------------------------


def run_govhub(parquet: Path, divisions: Path, sample_size: int = 20) -> dict[str, int]:
    """Assess the Parquet file with GovHub's engine (the contract: parse_rules + assess_files)."""
    from govhub.data import quality  # noqa: PLC0415

    rules = quality.parse_rules(RULES)
    result = quality.assess_files(
        [parquet], rules, references={"divisions": [divisions]}, sample_size=sample_size
    )
    return dict(result.failures())


# --- DuckDB -------------------------------------------------------------------------------------


def _uscc_sql(column: str) -> str:
    alphabet = USCC_ALPHABET
    total = " + ".join(
        f"(instr('{alphabet}', substr({column}, {i + 1}, 1)) - 1) * {w}"
        for i, w in enumerate(USCC_WEIGHTS)
    )
    return (
        f"coalesce(regexp_full_match({column}, '[1-9ANY][0-9A-HJ-NP-RTUW-Y][0-9]{{6}}"
        f"[0-9A-HJ-NP-RTUW-Y]{{10}}') AND substr('{alphabet}', (31 - ({total}) % 31) % 31 + 1, 1)"
        f" = substr({column}, 18, 1), false)"
    )


def _id_sql(column: str) -> str:
    total = " + ".join(
        f"CAST(substr({column}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(ID_WEIGHTS)
    )
    return (
        f"coalesce(regexp_full_match({column}, '[0-9]{{17}}[0-9X]') AND "
        f"try_strptime(substr({column}, 7, 8), '%Y%m%d')::DATE BETWEEN DATE '1900-01-01' AND "
        f"current_date AND substr('{ID_CHECK}', ({total}) % 11 + 1, 1) = substr({column}, 18, 1),"
        " false)"
    )


def duckdb_sql() -> str:
    """Return the hand-written SQL of the nine checks (parameters: register, divisions)."""
    statuses = ", ".join(f"'{s}'" for s in STATUSES)
    return f"""
    WITH r AS (SELECT * FROM read_parquet($register)),
         d AS (SELECT code FROM read_parquet($divisions))
    SELECT
      count(*) FILTER (WHERE name IS NULL),
      count(*) FILTER (WHERE uscc IS NOT NULL AND NOT {_uscc_sql("uscc")}),
      count(*) FILTER (WHERE legal_rep_id IS NOT NULL AND NOT {_id_sql("legal_rep_id")}),
      count(*) FILTER (WHERE NOT regexp_full_match(phone, '{PHONE_PATTERN}')),
      count(*) FILTER (WHERE status NOT IN ({statuses})),
      count(*) FILTER (WHERE registered_capital < 0),
      (SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM r GROUP BY uscc HAVING n > 1)),
      count(*) FILTER (WHERE NOT (cancelled_on IS NULL OR cancelled_on >= established_on)),
      (SELECT count(*) FROM r ANTI JOIN d ON r.division_code = d.code
        WHERE r.division_code IS NOT NULL)
    FROM r
    """  # noqa: S608 - constants of this module only; the file paths are parameters


def run_duckdb_sql(parquet: Path, divisions: Path) -> dict[str, int]:
    """Run the nine checks as one hand-written DuckDB query over the Parquet file."""
    import duckdb  # noqa: PLC0415

    with duckdb.connect() as con:
        row = con.execute(
            duckdb_sql(), {"register": str(parquet), "divisions": str(divisions)}
        ).fetchone()
    if row is None:
        raise RuntimeError("the aggregate returned no row")
    names = ["name.required", "uscc.element", "legal_rep_id.element", "phone.pattern",
             "status.enum", "registered_capital.minimum", "keys.unique",
             "cancelled_after_established", "division_known"]  # fmt: skip
    return {name: int(value) for name, value in zip(names, row, strict=True)}


def run_duckdb_scan(parquet: Path, columns: list[str]) -> dict[str, int]:
    """Read every value of `columns` once (the largest hash of each): the floor of any check."""
    import duckdb  # noqa: PLC0415

    aggregates = ", ".join(f'max(hash("{c}"))' for c in columns)
    with duckdb.connect() as con:
        row = con.execute(
            f"SELECT count(*), {aggregates} FROM read_parquet($p)",  # noqa: S608 - our own names
            {"p": str(parquet)},
        ).fetchone()
    if row is None:
        raise RuntimeError("the scan returned no row")
    return {}
