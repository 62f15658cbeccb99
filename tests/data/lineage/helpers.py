"""Builders for the lineage tests: dataset versions without files, and a small derivation chain."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.lineage import service
from govhub.data.lineage.models import ActivityKind
from tests.data.helpers import OPEN, make_resource
from tests.factories import World


def make_dataset(session: Session, resource: Resource, columns: list[str]) -> DatasetVersion:
    """Add the resource's next dataset version (metadata only) with these columns."""
    latest = session.scalar(
        select(func.max(DatasetVersion.version)).where(DatasetVersion.resource_id == resource.id)
    )
    dataset_id = uuid.uuid4()
    dataset = DatasetVersion(
        id=dataset_id,
        resource_id=resource.id,
        version=(latest or 0) + 1,
        storage_key=f"datasets/{resource.id}/{dataset_id}.parquet",
        row_count=10,
        schema=[{"name": c, "arrow_type": "string", "type": "string"} for c in columns],
        digest="sha256:" + hashlib.sha256(dataset_id.bytes).hexdigest(),
    )
    session.add(dataset)
    session.flush()
    # As ingest does: the resource keeps its latest publication (its metadata unchanged).
    session.execute(
        update(Resource)
        .where(Resource.id == resource.id)
        .values(published_at=dataset.created_at, updated_at=Resource.updated_at)
    )
    return dataset


def digest_of(text: str) -> str:
    """Return the SHA-256 digest of `text`, as ingest stores it."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Chain:
    """file -> raw (city A market, not open) -> clean -> aggregate (open), and a join with city
    B's register (not open) into a shared extract of city A."""

    raw_resource: Resource
    open_resource: Resource
    b_resource: Resource
    raw: DatasetVersion
    clean: DatasetVersion
    aggregate: DatasetVersion
    b_register: DatasetVersion
    joined: DatasetVersion
    runs: dict[str, uuid.UUID]


def build_chain(session: Session, world: World, **extra: Any) -> Chain:
    """Record the chain's runs through `record_run` as city A's and city B's administrators."""
    a = world.principal(world.city_a_admin)
    raw_resource = make_resource(session, world, title="企业登记原始库")
    open_resource = make_resource(session, world, title="企业数量统计", **OPEN)
    b_resource = make_resource(
        session, world, account=world.city_b_admin, title="宁波企业登记", division_codes=[]
    )
    raw = make_dataset(session, raw_resource, ["tyshxydm", "qymc", "zczb"])
    clean = make_dataset(session, raw_resource, ["tyshxydm", "qymc", "zczb"])
    aggregate = make_dataset(session, open_resource, ["qymc_count", "zczb_sum"])
    b_register = make_dataset(session, b_resource, ["uscc", "name"])
    joined = make_dataset(session, raw_resource, ["tyshxydm", "qymc", "b_name"])
    upload = service.file_source(name="register.csv", digest=digest_of("register"), format="csv")
    runs = {
        "ingest": service.record_run(
            session, kind=ActivityKind.INGEST, inputs=[upload], outputs=[raw], actor=a,
            column_map=[service.ColumnLink(output=c, inputs=[(upload, c)])
                        for c in ("tyshxydm", "qymc", "zczb")],
        ).id,
        "clean": service.record_run(
            session, kind=ActivityKind.CLEAN, inputs=[raw], outputs=[clean], actor=a,
            parameters={"rules": ["trim", "dedupe"]},
            column_map=[service.ColumnLink(output=c, inputs=[(raw, c)], expression=f"trim({c})")
                        for c in ("tyshxydm", "qymc", "zczb")],
        ).id,
        "aggregate": service.record_run(
            session, kind=ActivityKind.AGGREGATE, inputs=[clean], outputs=[aggregate], actor=a,
            column_map=[
                service.ColumnLink(output="qymc_count", inputs=[(clean, "qymc")],
                                   expression="count(qymc)"),
                service.ColumnLink(output="zczb_sum", inputs=[(clean, "zczb")],
                                   expression="sum(zczb)"),
            ],
        ).id,
        "join": service.record_run(
            session, kind=ActivityKind.JOIN, inputs=[clean, b_register], outputs=[joined],
            actor=a, parameters={"on": "tyshxydm = uscc"},
            column_map=[
                service.ColumnLink(output="tyshxydm", inputs=[(clean, "tyshxydm"),
                                                              (b_register, "uscc")]),
                service.ColumnLink(output="b_name", inputs=[(b_register, "name")]),
            ],
        ).id,
    }  # fmt: skip
    return Chain(raw_resource, open_resource, b_resource, raw, clean, aggregate, b_register,
                 joined, runs)  # fmt: skip
