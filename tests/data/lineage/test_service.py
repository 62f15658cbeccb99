"""Recording lineage: runs, links, column edges, the ledger event, ingest, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.errors import InvalidInput
from govhub.data.catalog.models import DatasetVersion
from govhub.data.ingest import service as ingest_service
from govhub.data.ingest.pipeline import file_digest
from govhub.data.lineage import service
from govhub.data.lineage.models import (
    ActivityKind,
    EntityKind,
    LineageColumnEdge,
    LineageEntity,
    LineageLink,
    LineageRun,
    LinkRole,
)
from govhub.ledger.models import LedgerPending
from tests.data.helpers import make_resource
from tests.data.lineage.helpers import build_chain, digest_of, make_dataset
from tests.factories import World


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestRecordRun:
    def test_records_links_columns_and_a_ledger_event(self, session: Session, world: World) -> None:
        chain = build_chain(session, world)
        run = session.get(LineageRun, chain.runs["join"])
        assert run is not None
        assert run.kind is ActivityKind.JOIN
        assert run.parameters == {"on": "tyshxydm = uscc"}
        assert run.actor == str(world.city_a_admin.id)
        assert run.department_id == world.city_a_market.id
        links = session.execute(
            select(LineageLink.role, LineageLink.entity_id).where(LineageLink.run_id == run.id)
        ).all()
        assert set(links) == {
            (LinkRole.USED, chain.clean.id),
            (LinkRole.USED, chain.b_register.id),
            (LinkRole.GENERATED, chain.joined.id),
        }
        edges = session.scalars(
            select(LineageColumnEdge).where(LineageColumnEdge.run_id == run.id)
        ).all()
        assert {(e.output_column, e.input_entity_id, e.input_column) for e in edges} == {
            ("tyshxydm", chain.clean.id, "tyshxydm"),
            ("tyshxydm", chain.b_register.id, "uscc"),
            ("b_name", chain.b_register.id, "name"),
        }
        subjects = session.scalars(
            select(LedgerPending.subject).where(LedgerPending.kind == "lineage_recorded")
        ).all()
        assert f"lineage:run:{run.id}" in subjects
        assert len(subjects) == 4

    def test_dataset_entities_share_the_dataset_id_and_sources_are_reused(
        self, session: Session, world: World
    ) -> None:
        chain = build_chain(session, world)
        entity = session.get(LineageEntity, chain.raw.id)
        assert entity is not None
        assert entity.kind is EntityKind.DATASET
        assert entity.department_id == world.city_a_market.id
        upload = service.file_source(name="again.csv", digest=digest_of("register"))
        before = _count(session, LineageEntity)
        service.record_run(
            session,
            kind=ActivityKind.INGEST,
            inputs=[upload],
            outputs=[chain.b_register],
            actor=world.principal(world.city_a_admin),
        )
        assert _count(session, LineageEntity) == before

    def test_a_service_actor_is_stored_as_given(self, session: Session, world: World) -> None:
        resource = make_resource(session, world)
        first = make_dataset(session, resource, ["a"])
        second = make_dataset(session, resource, ["a"])
        run = service.record_run(
            session, kind=ActivityKind.CLEAN, inputs=[first], outputs=[second], actor="service:demo"
        )
        assert run.actor == "service:demo"
        assert run.account_id is None
        assert run.department_id == world.city_a_market.id


class TestSources:
    def test_database_urls_lose_their_credentials(self) -> None:
        source = service.database_source(
            url="postgresql+psycopg://etl:s3cret@db.example:5432/register?sslmode=require",
            table="enterprises",
        )
        assert "s3cret" not in source.locator
        assert "etl" not in source.locator
        assert source.locator == "postgresql+psycopg://db.example:5432/register#enterprises"
        assert source.kind is EntityKind.DATABASE

    def test_api_urls_lose_credentials_and_query(self) -> None:
        source = service.api_source(url="https://user:pw@api.example/v1/firms?key=abc#x")
        assert source.locator == "https://api.example/v1/firms"

    @pytest.mark.parametrize(
        ("call", "field"),
        [
            (lambda: service.file_source(name="a.csv", digest="sha256:abc"), "digest"),
            (lambda: service.database_source(url="not a url", table="t"), "url"),
            (lambda: service.api_source(url="ftp://x.example/a"), "url"),
        ],
    )
    def test_bad_sources_are_refused(self, call: object, field: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            call()  # type: ignore[operator]
        assert caught.value.extra.get("field") == field or field in str(caught.value.extra)


class TestBadRuns:
    @pytest.fixture
    def pair(self, session: Session, world: World) -> tuple[DatasetVersion, DatasetVersion]:
        resource = make_resource(session, world)
        return make_dataset(session, resource, ["a", "b"]), make_dataset(session, resource, ["c"])

    @pytest.mark.parametrize(
        "case",
        [
            "no_inputs",
            "self_loop",
            "unknown_output_column",
            "unknown_input_column",
            "foreign_input",
            "huge_parameters",
            "no_link_inputs",
        ],
    )
    def test_refused_and_nothing_written(
        self, session: Session, world: World, pair: tuple[DatasetVersion, DatasetVersion], case: str
    ) -> None:
        first, second = pair
        link = service.ColumnLink
        kwargs: dict[str, object] = {"inputs": [first], "outputs": [second], "column_map": []}
        if case == "no_inputs":
            kwargs["inputs"] = []
        elif case == "self_loop":
            kwargs["outputs"] = [first]
        elif case == "unknown_output_column":
            kwargs["column_map"] = [link(output="zz", inputs=[(first, "a")])]
        elif case == "unknown_input_column":
            kwargs["column_map"] = [link(output="c", inputs=[(first, "zz")])]
        elif case == "foreign_input":
            kwargs["column_map"] = [link(output="c", inputs=[(second, "c")])]
        elif case == "huge_parameters":
            kwargs["parameters"] = {"x": "y" * 20_000}
        else:
            kwargs["column_map"] = [link(output="c", inputs=[])]
        before = (_count(session, LineageRun), _count(session, LedgerPending))
        with pytest.raises(InvalidInput):
            service.record_run(session, kind=ActivityKind.CLEAN, actor="service:test", **kwargs)  # type: ignore[arg-type]
        assert (_count(session, LineageRun), _count(session, LedgerPending)) == before


class TestIngestRecordsLineage:
    def test_a_load_links_the_file_to_the_version_column_by_column(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        resource = make_resource(session, world)
        source = tmp_path / "upload"
        source.write_text("qymc,zczb\n某公司,10\n另一公司,20\n", encoding="utf-8")
        dataset, _ = ingest_service.ingest(
            session,
            principal=world.principal(world.city_a_admin),
            resource_id=resource.id,
            source=source,
            filename="企业.csv",
        )
        run_id = session.scalar(
            select(LineageLink.run_id).where(
                LineageLink.entity_id == dataset.id, LineageLink.role == LinkRole.GENERATED
            )
        )
        run = session.get(LineageRun, run_id)
        assert run is not None
        assert run.kind is ActivityKind.INGEST
        used = session.scalars(
            select(LineageEntity)
            .join(LineageLink, LineageLink.entity_id == LineageEntity.id)
            .where(LineageLink.run_id == run_id, LineageLink.role == LinkRole.USED)
        ).one()
        assert used.kind is EntityKind.FILE
        assert used.locator == f"sha256:{file_digest(source)}"
        assert (used.name, used.format) == ("企业.csv", "csv")
        edges = session.execute(
            select(LineageColumnEdge.input_column, LineageColumnEdge.output_column).where(
                LineageColumnEdge.run_id == run_id
            )
        ).all()
        assert sorted(edges) == [("qymc", "qymc"), ("zczb", "zczb")]
