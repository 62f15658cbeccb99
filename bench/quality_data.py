"""The enterprise register of the quality benchmark: generated column by column with numpy,
errors injected at known rates, and the exact count of every injected error kept as ground truth.

Rows are made in chunks of `CHUNK_ROWS` rows, each from its own seeded generator, and every
injection stays inside its chunk: the ground truth of any run of whole chunks (the 10^5-row
slice the slow peers check) is the sum of its chunks' counts. Injections are deterministic, so
no injected error can turn valid by chance:

- a wrong check character is the right one shifted by 1..30 (credit codes, MOD 31) or by
  1..10 (ID numbers, MOD 11-2) places in its alphabet;
- a duplicated key copies the credit code of another row of the chunk; sources and copies are
  disjoint, so each duplicate makes a group of exactly two rows; every other code is unique
  (its organization code encodes the row number);
- a bad phone number is 11 digits starting 12, 10 digits or 12 digits; an unknown division is a
  real GB/T 2260 county code of another province; a bad status is a word outside the list;
  a cross-field violation cancels a company 1..2000 days before it was established.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from govhub.demo.geography import all_counties, build_divisions
from govhub.identity.codes import ID_CHECK, ID_WEIGHTS, USCC_ALPHABET, USCC_WEIGHTS, DivisionLevel

GENERATOR_VERSION = 1
CHUNK_ROWS = 100_000
ROW_GROUP_ROWS = 1_000_000
STATUSES = ("存续", "在业", "迁出", "注销", "吊销")
STATUS_WEIGHTS = (0.62, 0.22, 0.04, 0.08, 0.04)
BAD_STATUSES = ("正常", "停业", "撤销", "开业", "清算")
FOREIGN_DIVISIONS = ("110105", "310115", "320102", "440305", "510107", "420106")
PHONE_PATTERN = r"^1[3-9][0-9]{9}$"
INDUSTRIES = ("C3911", "I6510", "F5191", "M7320", "L7212", "E4710", "A0111", "G5411", "K7010",
              "H6110", "C2614", "I6421", "F5261", "P8331", "R8710")  # fmt: skip
KINDS = ("有限责任公司", "股份有限公司", "个人独资企业", "合伙企业", "外商投资企业")
SCOPES = ("软件开发；信息技术咨询服务", "食品销售；日用百货销售", "房地产开发经营",
          "货物进出口；技术进出口", "建设工程施工", "纺织品制造；服装销售",
          "餐饮服务", "道路货物运输")  # fmt: skip

# The injected error rate of each check; a row count per chunk is round(rate * chunk rows).
RATES: dict[str, float] = {
    "name.required": 0.010,
    "uscc.element": 0.005,
    "legal_rep_id.element": 0.003,
    "phone.pattern": 0.008,
    "status.enum": 0.002,
    "registered_capital.minimum": 0.001,
    "keys.unique": 0.0025,  # pairs: twice as many rows fail
    "cancelled_after_established": 0.0015,
    "division_known": 0.004,
}
PHONE_NULL_RATE = 0.02  # missing phone numbers: not an error of any check (no `required`)
CHECKS = tuple(RATES)

_USCC_INDEX = np.full(128, 255, dtype=np.uint8)
for _i, _ch in enumerate(USCC_ALPHABET):
    _USCC_INDEX[ord(_ch)] = _i
_USCC_ASCII = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
_ID_CHECK_ASCII = np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)
_ORG_WEIGHTS = np.array((3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class Register:
    """A generated register on disk and its ground truth."""

    directory: Path
    rows: int
    chunk_rows: int
    truth: dict[str, int]
    chunk_truth: list[dict[str, int]]

    @property
    def csv(self) -> Path:
        """The register as UTF-8 CSV."""
        return self.directory / "register.csv"

    @property
    def parquet(self) -> Path:
        """The register as one Parquet file."""
        return self.directory / "register.parquet"

    @property
    def divisions(self) -> Path:
        """The reference dataset of known divisions (column `code`)."""
        return self.directory / "divisions.parquet"

    def truth_of_first(self, rows: int) -> dict[str, int]:
        """Return the ground truth of the first `rows` rows (a whole number of chunks)."""
        if rows % self.chunk_rows and rows != self.rows:
            raise ValueError(f"{rows} rows is not a whole number of {self.chunk_rows}-row chunks")
        chunks = self.chunk_truth[: -(-rows // self.chunk_rows)]
        return {check: sum(c[check] for c in chunks) for check in CHECKS}


class Pools:
    """Values drawn once from Faker zh_CN and the demo province's divisions."""

    def __init__(self, seed: int) -> None:
        from faker import Faker  # noqa: PLC0415 - only the generator needs Faker

        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.companies = pa.array([fake.company() for _ in range(3000)])
        self.people = pa.array([fake.name() for _ in range(3000)])
        self.addresses = pa.array([fake.street_address() for _ in range(3000)])
        self.mail_users = pa.array([fake.user_name() for _ in range(1000)])
        self.mail_domains = pa.array([f"@{fake.free_email_domain()}" for _ in range(20)])
        divisions = build_divisions(random.Random(seed))
        self.known_codes = [d.code for d in divisions]
        located = [
            d for d in divisions if d.level in (DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP)
        ]
        self.codes = pa.array([d.code for d in located])
        self.counties = np.array([[ord(c) for c in d.code[:6]] for d in located], dtype=np.uint8)
        county_names = {county.code: county.name for _, county in all_counties()}
        self.authorities = pa.array([f"{county_names[d.code[:6]]}市场监督管理局" for d in located])
        self.places = pa.array([f"浙江省{county_names[d.code[:6]]}" for d in located])
        if set(FOREIGN_DIVISIONS) & set(self.known_codes):
            raise ValueError("an 'unknown' division code is one of the platform's")


def fixed_strings(codes: np.ndarray) -> pa.Array:
    """Turn an (n, width) array of ASCII bytes into a pyarrow string array."""
    n, width = codes.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(codes, dtype=np.uint8)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Return the decimal digits of non-negative integers as an (n, width) ASCII array."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + ord("0")).astype(np.uint8)


def uscc_codes(counties: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return valid credit codes (n, 18): 9 1 <county> MA<row in base 31><org check><check>."""
    n = len(rows)
    codes = np.empty((n, 18), dtype=np.uint8)
    codes[:, 0], codes[:, 1] = ord("9"), ord("1")
    codes[:, 2:8] = counties
    codes[:, 8], codes[:, 9] = ord("M"), ord("A")
    powers = 31 ** np.arange(5, -1, -1, dtype=np.int64)
    codes[:, 10:16] = _USCC_ASCII[(rows[:, None] // powers) % 31]
    body = codes[:, 8:16].astype(np.int64)
    values = np.where(body <= ord("9"), body - ord("0"), body - ord("A") + 10)
    org = 11 - (values @ _ORG_WEIGHTS) % 11
    codes[:, 16] = np.where(org == 10, ord("X"), np.where(org == 11, ord("0"), org + ord("0")))
    codes[:, 17] = _USCC_ASCII[uscc_check_index(codes[:, :17])]
    return codes


def uscc_check_index(first17: np.ndarray) -> np.ndarray:
    """Return the alphabet index of the GB 32100 check character of each row."""
    total = _USCC_INDEX[first17].astype(np.int64) @ np.array(USCC_WEIGHTS, dtype=np.int64)
    return np.asarray((31 - total % 31) % 31)


def id_numbers(rng: np.random.Generator, counties: np.ndarray) -> np.ndarray:
    """Return valid resident ID numbers (n, 18) of people born 1950-2000 in `counties`."""
    n = len(counties)
    born = np.datetime64("1950-01-01") + rng.integers(0, 18_262, n).astype("timedelta64[D]")
    years = born.astype("datetime64[Y]").astype(np.int64) + 1970
    months = born.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (born - born.astype("datetime64[M]")).astype(np.int64) + 1
    codes = np.empty((n, 18), dtype=np.uint8)
    codes[:, :6] = counties
    codes[:, 6:10], codes[:, 10:12] = digits(years, 4), digits(months, 2)
    codes[:, 12:14], codes[:, 14:17] = digits(days, 2), digits(rng.integers(1, 1000, n), 3)
    total = (codes[:, :17].astype(np.int64) - ord("0")) @ np.array(ID_WEIGHTS, dtype=np.int64)
    codes[:, 17] = _ID_CHECK_ASCII[total % 11]
    return codes


def pick(rng: np.random.Generator, pool: pa.Array, n: int) -> pa.Array:
    """Draw `n` values from a pool, uniformly."""
    return pool.take(pa.array(rng.integers(0, len(pool), n)))


def with_nulls(values: pa.Array, rows: np.ndarray) -> pa.Array:
    """Return `values` with the given rows set to null."""
    mask = np.zeros(len(values), dtype=bool)
    mask[rows] = True
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)


def replaced(values: pa.Array, rows: np.ndarray, new: list[Any]) -> pa.Array:
    """Return `values` with the given rows (in increasing order) replaced by `new`."""
    mask = np.zeros(len(values), dtype=bool)
    mask[rows] = True
    order = np.argsort(rows)
    return pc.replace_with_mask(values, pa.array(mask), pa.array([new[i] for i in order]))


def make_chunk(
    pools: Pools, seed: int, index: int, n: int, chunk_rows: int = CHUNK_ROWS
) -> tuple[pa.Table, dict[str, int]]:
    """Generate chunk `index` (n rows) and the count of each injected error in it."""
    rng = np.random.default_rng([seed, index])
    count = {check: round(rate * n) for check, rate in RATES.items()}
    where = pools.codes
    place = rng.integers(0, len(where), n)
    counties = pools.counties[place]
    rownums = np.arange(index * chunk_rows, index * chunk_rows + n, dtype=np.int64)

    uscc = uscc_codes(counties, rownums)
    chosen = rng.permutation(n)
    bad, dups = count["uscc.element"], count["keys.unique"]
    bad_rows = chosen[:bad]
    uscc[bad_rows, 17] = _USCC_ASCII[
        (_USCC_INDEX[uscc[bad_rows, 17]] + rng.integers(1, 31, bad)) % 31
    ]
    uscc[chosen[bad : bad + dups]] = uscc[chosen[bad + dups : bad + 2 * dups]]

    ids = id_numbers(rng, counties)
    bad_ids = rng.choice(n, count["legal_rep_id.element"], replace=False)
    current = np.array([ID_CHECK.index(chr(c)) for c in ids[bad_ids, 17]], dtype=np.int64)
    ids[bad_ids, 17] = _ID_CHECK_ASCII[(current + rng.integers(1, 11, len(bad_ids))) % 11]

    phones = np.empty((n, 11), dtype=np.uint8)
    phones[:, 0], phones[:, 1] = ord("1"), rng.integers(3, 10, n) + ord("0")
    phones[:, 2:] = digits(rng.integers(0, 10**9, n), 9)
    phone = fixed_strings(phones)
    chosen = rng.permutation(n)
    bad_phone = chosen[: count["phone.pattern"]]
    texts = [phone[int(i)].as_py() for i in bad_phone]
    broken = [
        ("12" + t[2:], t[:10], t + "0")[k % 3] for k, t in enumerate(texts)
    ]  # 12..., 10 digits, 12 digits
    phone = replaced(phone, bad_phone, broken)
    nulls = round(PHONE_NULL_RATE * n)
    phone = with_nulls(phone, chosen[count["phone.pattern"] : count["phone.pattern"] + nulls])

    status_index = rng.choice(len(STATUSES), n, p=STATUS_WEIGHTS)
    status = pa.array(np.array(STATUSES)[status_index])
    bad_status = rng.choice(n, count["status.enum"], replace=False)
    status = replaced(status, bad_status, [BAD_STATUSES[k % 5] for k in range(len(bad_status))])

    capital = np.round(np.exp(rng.normal(5.0, 1.6, n)), 2) + 1.0
    capital[rng.choice(n, count["registered_capital.minimum"], replace=False)] *= -1

    established = np.datetime64("1990-01-01") + rng.integers(0, 13_149, n).astype("m8[D]")
    approved = established + rng.integers(0, 1500, n).astype("m8[D]")
    cancelled = established + rng.integers(30, 3000, n).astype("m8[D]")
    is_cancelled = np.isin(status_index, (3, 4))
    late = rng.choice(n, count["cancelled_after_established"], replace=False)
    cancelled[late] = established[late] - rng.integers(1, 2001, len(late)).astype("m8[D]")
    is_cancelled[late] = True

    division = where.take(pa.array(place))
    unknown = rng.choice(n, count["division_known"], replace=False)
    division = replaced(division, unknown, [FOREIGN_DIVISIONS[k % 6] for k in range(len(unknown))])

    name = with_nulls(pick(rng, pools.companies, n), rng.choice(n, count["name.required"], False))
    email = pc.binary_join_element_wise(
        pick(rng, pools.mail_users, n),
        pc.cast(pa.array(rownums), pa.string()),
        pick(rng, pools.mail_domains, n),
        "",
    )
    postal = fixed_strings(digits(310_000 + rng.integers(0, 30_000, n), 6))
    table = pa.table(
        {
            "uscc": fixed_strings(uscc),
            "name": name,
            "legal_rep": pick(rng, pools.people, n),
            "legal_rep_id": fixed_strings(ids),
            "division_code": division,
            "address": pc.binary_join_element_wise(
                pools.places.take(pa.array(place)), pick(rng, pools.addresses, n), ""
            ),
            "phone": phone,
            "email": email,
            "industry_code": pick(rng, pa.array(INDUSTRIES), n),
            "enterprise_type": pick(rng, pa.array(KINDS), n),
            "status": status,
            "registered_capital": pa.array(capital),
            "currency": pick(rng, pa.array(["人民币"] * 9 + ["美元"]), n),
            "established_on": pa.array(established.astype("datetime64[D]"), pa.date32()),
            "approved_on": pa.array(approved, pa.date32()),
            "cancelled_on": pa.array(cancelled, pa.date32(), mask=~is_cancelled),
            "postal_code": postal,
            "registration_authority": pools.authorities.take(pa.array(place)),
            "employees": pa.array(rng.integers(1, 5000, n)),
            "business_scope": pick(rng, pa.array(SCOPES), n),
        }
    )
    count["keys.unique"] = 2 * dups
    return table, count


def directory_for(root: Path, rows: int, seed: int, chunk_rows: int) -> Path:
    """Return the cache directory of a register of these parameters."""
    return root / f"rows-{rows}-seed-{seed}-chunk-{chunk_rows}-v{GENERATOR_VERSION}"


def generate(
    root: Path, rows: int, seed: int = 2026, *, chunk_rows: int = CHUNK_ROWS, csv: bool = True
) -> Register:
    """Generate (or reuse from `root`) a register of `rows` rows and its ground truth."""
    directory = directory_for(root, rows, seed, chunk_rows)
    facts = directory / "truth.json"
    if facts.exists():
        saved = json.loads(facts.read_text(encoding="utf-8"))
        return Register(directory, rows, chunk_rows, saved["truth"], saved["chunks"])
    directory.mkdir(parents=True, exist_ok=True)
    pools = Pools(seed)
    pq.write_table(pa.table({"code": pools.known_codes}), directory / "divisions.parquet")
    chunks: list[dict[str, int]] = []
    pending: list[pa.Table] = []
    parquet_writer: pq.ParquetWriter | None = None
    csv_writer: pacsv.CSVWriter | None = None
    try:
        for index, start in enumerate(range(0, rows, chunk_rows)):
            size = min(chunk_rows, rows - start)
            table, count = make_chunk(pools, seed, index, size, chunk_rows)
            chunks.append(count)
            if parquet_writer is None:
                parquet_writer = pq.ParquetWriter(
                    directory / "register.parquet", table.schema, compression="zstd"
                )
                if csv:
                    csv_writer = pacsv.CSVWriter(directory / "register.csv", table.schema)
            if csv_writer is not None:
                csv_writer.write_table(table)
            pending.append(table)
            if sum(t.num_rows for t in pending) >= ROW_GROUP_ROWS:
                parquet_writer.write_table(pa.concat_tables(pending), row_group_size=rows)
                pending = []
        if pending and parquet_writer is not None:
            parquet_writer.write_table(pa.concat_tables(pending), row_group_size=rows)
    finally:
        if parquet_writer is not None:
            parquet_writer.close()
        if csv_writer is not None:
            csv_writer.close()
    truth = {check: sum(c[check] for c in chunks) for check in CHECKS}
    facts.write_text(json.dumps({"truth": truth, "chunks": chunks}, indent=1), encoding="utf-8")
    return Register(directory, rows, chunk_rows, truth, chunks)


def write_slice(register: Register, rows: int) -> tuple[Path, Path]:
    """Write the first `rows` rows as CSV and Parquet beside the register (cached)."""
    csv_path = register.directory / f"slice-{rows}.csv"
    parquet_path = register.directory / f"slice-{rows}.parquet"
    if not parquet_path.exists():
        head = pq.ParquetFile(register.parquet).iter_batches(batch_size=rows)
        table = pa.Table.from_batches([next(head)])
        pacsv.write_csv(table, csv_path)
        pq.write_table(table, parquet_path, compression="zstd")
    return csv_path, parquet_path
