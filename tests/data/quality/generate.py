"""Generated enterprise registers with injected errors, and their ground-truth failure counts.

The ground truth is computed in Python with the platform's own validators
(`govhub.data.standards.validators`, `govhub.identity.codes`), independently of the SQL engine.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from govhub.data.standards import validators
from govhub.identity.codes import id_number_check_char, uscc_check_char

DIVISIONS = ["330000", "330100", "330102", "330102001", "330200"]
STATUSES = ["存续", "在业", "迁出", "注销", "吊销"]
PHONE = re.compile(r"^1[3-9][0-9]{9}$")

RULES_YAML = """\
version: 1
expected_rows: {expected}
keys: [uscc]
datasets: {{}}
fields:
  uscc:          {{element: uscc, required: true}}
  name:          {{required: true, max_length: 30}}
  legal_rep_id:  {{element: id_number}}
  division_code: {{element: division_code}}
  phone:         {{pattern: "^1[3-9][0-9]{{9}}$"}}
  status:        {{enum: ["存续", "在业", "迁出", "注销", "吊销"]}}
  registered_capital: {{minimum: 0, maximum: 100000000}}
  established_on: {{type: date}}
checks:
  - name: cancelled_after_established
    dimension: consistency
    expr: "cancelled_on IS NULL OR cancelled_on >= established_on"
  - name: division_known
    dimension: consistency
    reference: {{field: division_code, dataset: divisions, key: code}}
  - name: name_matches_register
    dimension: accuracy
    agreement: {{dataset: register, key: uscc, field: name}}
"""


def uscc(n: int) -> str:
    """Return a valid unified social credit code numbered `n`."""
    first = f"91330100MA{n:07d}"[:17]
    return first + uscc_check_char(first)


def id_number(n: int) -> str:
    """Return a valid resident ID number numbered `n`."""
    first = f"3301021985{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return first + id_number_check_char(first)


def _bad_uscc(n: int, kind: int) -> str:
    good = uscc(n)
    return [
        good[:17] + ("0" if good[17] != "0" else "1"),  # wrong check character
        good[:10] + "I" + good[11:],  # a letter outside the alphabet
        "0" + good[1:],  # unknown authority
        good[:17],  # too short
        good[:3] + "A" + good[4:],  # a letter inside the division part
    ][kind % 5]


def _checked(first17: str) -> str:
    return first17 + id_number_check_char(first17)


def _bad_id(n: int, kind: int) -> str:
    good = id_number(n)
    return [
        good[:17] + ("0" if good[17] != "0" else "1"),  # wrong check digit
        _checked("33010219850230123"),  # 30 February
        _checked("33010218990101123"),  # born 1899
        _checked("33010229990101123"),  # born in the future
        good[:17],  # too short
        good.lower() if good.endswith("X") else good[:16] + "ab",  # letters
    ][kind % 6]


def enterprises(n: int, seed: int = 7) -> tuple[pa.Table, pa.Table]:
    """Return a register of `n` enterprises with injected errors, and the authoritative register."""
    rnd = random.Random(seed)  # noqa: S311 - test data, not secrets
    rows: list[dict[str, Any]] = []
    for i in range(n):
        code: str | None = uscc(i)
        if i % 97 == 5:
            code = None
        elif i % 53 == 3:
            code = _bad_uscc(i, i)
        elif i % 61 == 7:
            code = uscc(i - 1)  # a duplicate of the previous row
        established = f"20{10 + i % 10}-0{1 + i % 9}-1{i % 9}"
        if i % 89 == 1:
            established = "2020-13-01" if i % 2 else "20200230"
        cancelled = None
        if i % 11 == 0:
            cancelled = "2009-01-01" if i % 3 == 0 else "2030-01-01"
        rows.append(
            {
                "uscc": code,
                "name": None if i % 149 == 2 else ("某" * 40 if i % 157 == 4 else f"某某公司{i}"),
                "legal_rep_id": _bad_id(i, i) if i % 41 == 9 else id_number(i),
                "division_code": (
                    rnd.choice(["999999", "33010", "001000", "330199"])
                    if i % 47 == 6
                    else rnd.choice(DIVISIONS)
                ),
                "phone": f"138{i:08d}" if i % 31 else "12345",
                "status": STATUSES[i % 5] if i % 43 else "未知",
                "registered_capital": float(i % 1000) if i % 59 else -5.0,
                "established_on": established,
                "cancelled_on": cancelled,
            }
        )
    for i in range(0, n, 71):
        rows[i]["registered_capital"] = 2e8
    table = pa.Table.from_pylist(rows)
    register = pa.Table.from_pylist(
        [
            {"uscc": uscc(i), "name": f"某某公司{i}" if i % 29 else f"别名{i}"}
            for i in range(0, n, 2)
        ]
    )
    return table, register


def write(table: pa.Table, path: Path) -> Path:
    """Write a table as Parquet and return its path."""
    pq.write_table(table, path)
    return path


def ground_truth(table: pa.Table, register: pa.Table, expected_rows: int) -> dict[str, int]:
    """Return the failing row count of every check of `RULES_YAML`, computed in Python."""
    rows = table.to_pylist()
    col = {name: table.column(name).to_pylist() for name in table.column_names}
    known = set(DIVISIONS)
    present = [c for c in col["uscc"] if c is not None]
    counts = Counter(present)
    names = {r["uscc"]: r["name"] for r in register.to_pylist()}
    return {
        "uscc.required": sum(v is None for v in col["uscc"]),
        "uscc.element": len(validators.failing_indices(col["uscc"], validators.is_uscc)),
        "name.required": sum(v is None for v in col["name"]),
        "name.max_length": len(validators.length_failures(col["name"], 30)),
        "legal_rep_id.element": len(
            validators.failing_indices(col["legal_rep_id"], validators.is_id_number)
        ),
        "division_code.element": len(validators.division_failures(col["division_code"], known)),
        "phone.pattern": sum(v is not None and not PHONE.match(v) for v in col["phone"]),
        "status.enum": len(validators.allowed_value_failures(col["status"], STATUSES)),
        "registered_capital.minimum": sum(v < 0 for v in col["registered_capital"]),
        "registered_capital.maximum": sum(v > 1e8 for v in col["registered_capital"]),
        "established_on.type": len(
            validators.failing_indices(col["established_on"], validators.is_date)
        ),
        "keys.unique": sum(n for n in counts.values() if n > 1),
        "records.expected": max(0, expected_rows - len(rows)),
        "cancelled_after_established": sum(
            r["cancelled_on"] is not None and r["cancelled_on"] < r["established_on"] for r in rows
        ),
        "division_known": sum(v is not None and v not in known for v in col["division_code"]),
        "name_matches_register": sum(
            r["uscc"] in names and names[r["uscc"]] != r["name"] for r in rows
        ),
    }
