"""A small register of people for the release gate's tests: names and ID numbers (direct
identifiers), age, sex and district (quasi-identifiers) and a diagnosis (sensitive)."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.ingest import service as ingest_service
from govhub.identity.models import Account
from tests.data.helpers import make_resource
from tests.factories import World, make_id_number

PERSON_FIELDS: list[dict[str, Any]] = [
    {"name": "xm", "type": "string", "element_code": "chinese_name", "is_personal": True},
    {"name": "sfzh", "type": "string", "element_code": "id_number", "is_personal": True},
    {"name": "age", "type": "integer"},
    {"name": "xb", "type": "string", "element_code": "gender_code"},
    {"name": "qh", "type": "string", "element_code": "division_code"},
    {"name": "jb", "type": "string"},
]
DISTRICTS = ("330102", "330105", "330106", "330203", "330204")
DIAGNOSES = ("高血压", "糖尿病", "哮喘", "骨折", "胃炎")
SURNAMES = "王李张刘陈杨黄赵"


def person_rows(count: int = 120, seed: int = 7) -> list[tuple[str, ...]]:
    """Return `count` people, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    rows: list[tuple[str, ...]] = []
    for i in range(count):
        born = f"19{rng.randint(50, 99)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}"
        rows.append(
            (
                SURNAMES[i % len(SURNAMES)] + "小" + "明红刚"[i % 3],
                make_id_number(born=born, seq=f"{i:03d}"),
                str(rng.randint(20, 69)),
                rng.choice("12"),
                rng.choice(DISTRICTS),
                rng.choice(DIAGNOSES),
            )
        )
    return rows


def person_dataset(
    session: Session, world: World, tmp_path: Path, *, account: Account | None = None,
    count: int = 120, **overrides: Any,
) -> tuple[Resource, DatasetVersion]:  # fmt: skip
    """Create a personal resource (city A's market bureau) and load people as its dataset."""
    resource = make_resource(
        session, world, account=account, fields=PERSON_FIELDS, title="门诊登记", **overrides
    )
    source = tmp_path / f"people-{time.monotonic_ns()}.csv"
    lines = ["xm,sfzh,age,xb,qh,jb", *(",".join(r) for r in person_rows(count))]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    version, _ = ingest_service.ingest(
        session,
        principal=world.principal(account or world.city_a_admin),
        resource_id=resource.id,
        source=source,
        filename="people.csv",
    )
    return resource, version


def release_body(version: DatasetVersion | str, **overrides: Any) -> dict[str, Any]:
    """Return a valid release request (JSON-ready) for `version`, changed by `overrides`."""
    body: dict[str, Any] = {
        "dataset_version_id": str(getattr(version, "id", version)),
        "quasi_identifiers": ["age", "xb", "qh"],
        "sensitive": ["jb"],
        "k": 5,
    }
    body.update(overrides)
    return body
