"""Demo datasets: an enterprise register with a few known errors and the directory cleaned from it.

The market-regulation bureau's "企业登记信息" gets a published version built with a seeded zh_CN
Faker (names, addresses, legal representatives) and valid GB 32100 credit codes of Hangzhou's
counties, into which a handful of errors are injected at fixed rows (`INJECTED`). Its public
"企业名录" gets a version derived from it by dropping the failing rows and the non-public
columns, recorded in lineage as a clean run, column by column. Both go through the normal
ingest path, so each version is ledgered, assessed for quality and linked to its source file.
A resource that already has a version is left alone, so loading twice changes nothing.
"""

from __future__ import annotations

import csv
import random
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.ingest import service as ingest_service
from govhub.data.lineage import service as lineage_service
from govhub.data.lineage.models import ActivityKind
from govhub.demo.geography import all_counties
from govhub.demo.identifiers import make_uscc
from govhub.identity.codes import USCC_ALPHABET, uscc_problem
from govhub.identity.principal import Principal

DEPARTMENT = "HZ-SCJG"
REGISTER_TITLE = "企业登记信息"
DIRECTORY_TITLE = "企业名录"
REGISTER_ROWS = 300
REGISTER_COLUMNS = ("tyshxydm", "qymc", "fddbr", "clrq", "zczb", "zs", "xzqhdm", "djzt")
DIRECTORY_COLUMNS = ("tyshxydm", "qymc", "clrq", "xzqhdm")
STATUSES = ("存续", "在业", "迁出", "注销", "吊销")
TRADES = ("科技", "贸易", "餐饮", "建设", "物流", "文化传媒", "食品")
FOREIGN_DIVISIONS = ("110105", "310115", "440305")
# Errors injected into the register: kind -> the rows (0-based) that carry one.
INJECTED: dict[str, tuple[int, ...]] = {
    "tyshxydm.check_character": (17, 88, 151, 240),
    "qymc.missing": (33, 190),
    "fddbr.not_a_name": (61, 205, 277),
    "clrq.impossible_date": (99, 260),
    "xzqhdm.unknown_division": (45, 130, 222),
}


@dataclass(slots=True)
class DatasetReport:
    """What the dataset stage published (titles of the resources given a version)."""

    published: list[str] = field(default_factory=list)
    lineage_runs: int = 0


def _shift_check(code: str) -> str:
    """Return `code` with a wrong check character (the right one moved along the alphabet)."""
    position = USCC_ALPHABET.index(code[17])
    return code[:17] + USCC_ALPHABET[(position + 7) % len(USCC_ALPHABET)]


def build_register(seed: int, rows: int = REGISTER_ROWS) -> list[dict[str, str]]:
    """Return the demo enterprise register as CSV rows (every value text, '' for missing)."""
    label = f"govhub-demo:{seed}:register"
    rng = random.Random(label)  # noqa: S311 - demo data, not secrets
    fake = Faker("zh_CN")
    fake.seed_instance(label)
    counties = [county for city, county in all_counties() if city.code == "330100"]
    codes: set[str] = set()
    out: list[dict[str, str]] = []
    for _ in range(rows):
        county = rng.choice(counties)
        code = make_uscc(rng, division_code=county.code)
        while code in codes:
            code = make_uscc(rng, division_code=county.code)
        codes.add(code)
        founded = date(1995, 1, 1) + timedelta(days=rng.randrange(10_500))
        out.append(
            {
                "tyshxydm": code,
                "qymc": f"杭州{fake.company_prefix()}{rng.choice(TRADES)}有限公司",
                "fddbr": fake.name(),
                "clrq": founded.isoformat(),
                "zczb": f"{rng.randrange(10, 50_000)}.{rng.randrange(100):02d}",
                "zs": fake.street_address(),
                "xzqhdm": county.code,
                "djzt": rng.choices(STATUSES, weights=(60, 25, 4, 8, 3))[0],
            }
        )
    for row in INJECTED["tyshxydm.check_character"]:
        out[row]["tyshxydm"] = _shift_check(out[row]["tyshxydm"])
    for row in INJECTED["qymc.missing"]:
        out[row]["qymc"] = ""
    for row, name in zip(INJECTED["fddbr.not_a_name"], ("Zhang San", "王", "李四2"), strict=True):
        out[row]["fddbr"] = name
    for row, text in zip(
        INJECTED["clrq.impossible_date"], ("2019-02-30", "2021-13-01"), strict=True
    ):
        out[row]["clrq"] = text
    for row, code in zip(INJECTED["xzqhdm.unknown_division"], FOREIGN_DIVISIONS, strict=True):
        out[row]["xzqhdm"] = code
    return out


def _real_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def clean_directory(register: list[dict[str, str]], divisions: set[str]) -> list[dict[str, str]]:
    """Return the public directory: rows with a valid code, a name, a real date and a known
    division, reduced to the directory's columns."""
    return [
        {column: row[column] for column in DIRECTORY_COLUMNS}
        for row in register
        if uscc_problem(row["tyshxydm"]) is None
        and row["qymc"]
        and _real_date(row["clrq"])
        and row["xzqhdm"] in divisions
    ]


def _write_csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _resource(session: Session, department_id: Any, title: str) -> Resource | None:
    return session.scalar(
        select(Resource).where(Resource.department_id == department_id, Resource.title == title)
    )


def _has_version(session: Session, resource: Resource) -> bool:
    query = select(DatasetVersion.id).where(DatasetVersion.resource_id == resource.id)
    return session.scalar(query.limit(1)) is not None


def load_datasets(
    session: Session,
    *,
    principal: Principal,
    department_ids: dict[str, Any],
    seed: int,
    divisions: set[str],
) -> DatasetReport:
    """Publish the demo register and its cleaned directory where they have no version yet."""
    report = DatasetReport()
    department_id = department_ids.get(DEPARTMENT)
    if department_id is None:
        return report
    register_resource = _resource(session, department_id, REGISTER_TITLE)
    directory_resource = _resource(session, department_id, DIRECTORY_TITLE)
    if register_resource is None or _has_version(session, register_resource):
        return report
    register = build_register(seed)
    with tempfile.TemporaryDirectory(prefix="govhub-demo-") as scratch:
        source = _write_csv(Path(scratch) / "企业登记信息.csv", register, REGISTER_COLUMNS)
        published, _ = ingest_service.ingest(
            session,
            principal=principal,
            resource_id=register_resource.id,
            source=source,
            filename=source.name,
        )
        report.published.append(REGISTER_TITLE)
        if directory_resource is None or _has_version(session, directory_resource):
            return report
        rows = clean_directory(register, divisions)
        target = _write_csv(Path(scratch) / "企业名录.csv", rows, DIRECTORY_COLUMNS)
        derived, _ = ingest_service.ingest(
            session,
            principal=principal,
            resource_id=directory_resource.id,
            source=target,
            filename=target.name,
        )
    report.published.append(DIRECTORY_TITLE)
    lineage_service.record_run(
        session,
        kind=ActivityKind.CLEAN,
        inputs=[published],
        outputs=[derived],
        column_map=[
            lineage_service.ColumnLink(output=column, inputs=[(published, column)])
            for column in DIRECTORY_COLUMNS
        ],
        parameters={
            "dropped_rows": len(register) - len(rows),
            "rule": "valid credit code, a name, a real founding date, a known division",
        },
        actor=principal,
    )
    report.lineage_runs += 1
    return report
