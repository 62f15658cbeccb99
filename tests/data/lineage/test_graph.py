"""Graph walks: upstream, downstream, both, columns, depth limits, cycles, and what each caller
sees (restricted nodes are opaque)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from govhub.core.errors import NotFound
from govhub.data.lineage import graph, service, views
from govhub.data.lineage.graph import Direction
from govhub.data.lineage.models import ActivityKind
from govhub.data.lineage.schemas import LineageGraph, NodeKind
from tests.data.helpers import make_resource
from tests.data.lineage.helpers import Chain, build_chain, make_dataset
from tests.factories import World


@pytest.fixture
def chain(session: Session, world: World) -> Chain:
    return build_chain(session, world)


def _ids(g: LineageGraph, kind: NodeKind | None = None) -> set[str]:
    return {n.id for n in g.nodes if kind is None or n.kind is kind}


class TestWalks:
    def test_upstream_of_the_aggregate_reaches_the_file(
        self, session: Session, chain: Chain
    ) -> None:
        walk = graph.walk_entities(session, [chain.aggregate.id], direction=Direction.UP, depth=10)
        assert walk.depths[chain.aggregate.id] == 0
        assert walk.depths[chain.clean.id] == -1
        assert walk.depths[chain.raw.id] == -2
        assert len(walk.depths) == 4  # + the uploaded file
        assert set(walk.runs) == {chain.runs[k] for k in ("ingest", "clean", "aggregate")}

    def test_downstream_of_the_raw_version(self, session: Session, chain: Chain) -> None:
        walk = graph.walk_entities(session, [chain.raw.id], direction=Direction.DOWN, depth=10)
        assert walk.depths == {
            chain.raw.id: 0,
            chain.clean.id: 1,
            chain.aggregate.id: 2,
            chain.joined.id: 2,
        }

    def test_depth_limits_the_walk(self, session: Session, chain: Chain) -> None:
        walk = graph.walk_entities(session, [chain.raw.id], direction=Direction.DOWN, depth=1)
        assert set(walk.depths) == {chain.raw.id, chain.clean.id}

    def test_both_directions(self, session: Session, chain: Chain) -> None:
        walk = graph.walk_entities(session, [chain.clean.id], direction=Direction.BOTH, depth=1)
        assert walk.depths[chain.raw.id] == -1
        assert walk.depths[chain.aggregate.id] == 1
        assert walk.depths[chain.joined.id] == 1
        assert chain.b_register.id not in walk.depths  # a sibling input, not up nor down

    def test_a_cycle_ends(self, session: Session, world: World) -> None:
        resource = make_resource(session, world)
        a, b, c = (make_dataset(session, resource, ["x"]) for _ in range(3))
        for first, second in ((a, b), (b, c), (c, a)):
            service.record_run(
                session,
                kind=ActivityKind.TRANSFORM,
                inputs=[first],
                outputs=[second],
                actor="service:test",
            )
        walk = graph.walk_entities(session, [a.id], direction=Direction.DOWN, depth=50)
        assert walk.depths == {a.id: 0, b.id: 1, c.id: 2}
        assert len(walk.runs) == 3
        columns = graph.walk_columns(session, (a.id, "x"), direction=Direction.UP, depth=50)
        assert columns.depths == {(a.id, "x"): 0}

    def test_too_many_nodes_is_truncated(self, session: Session, world: World) -> None:
        resource = make_resource(session, world)
        root = make_dataset(session, resource, ["x"])
        for _ in range(5):
            child = make_dataset(session, resource, ["x"])
            service.record_run(
                session,
                kind=ActivityKind.CLEAN,
                inputs=[root],
                outputs=[child],
                actor="service:test",
            )
        walk = graph.walk_entities(
            session, [root.id], direction=Direction.DOWN, depth=3, max_nodes=3
        )
        assert walk.truncated
        assert len(walk.depths) == 3

    def test_column_walk_follows_expressions(self, session: Session, chain: Chain) -> None:
        walk = graph.walk_columns(
            session, (chain.aggregate.id, "zczb_sum"), direction=Direction.UP, depth=10
        )
        assert walk.depths[(chain.aggregate.id, "zczb_sum")] == 0
        assert walk.depths[(chain.clean.id, "zczb")] == -1
        assert walk.depths[(chain.raw.id, "zczb")] == -2
        assert len(walk.depths) == 4  # + the file's column
        assert {e.expression for e in walk.edges} == {"sum(zczb)", "trim(zczb)", ""}


class TestWhatCallersSee:
    def test_the_owner_sees_every_node(self, session: Session, world: World, chain: Chain) -> None:
        g = views.dataset_graph(
            session,
            principal=world.principal(world.city_a_admin),
            dataset_id=chain.joined.id,
            direction=Direction.UP,
            depth=5,
        )
        datasets = {n.label for n in g.nodes if n.kind is NodeKind.DATASET}
        assert "企业登记原始库 v2" in datasets
        assert "宁波企业登记 v1" not in datasets  # city B's register is restricted to city A
        restricted = [n for n in g.nodes if n.restricted]
        assert len(restricted) == 1
        assert restricted[0].label == ""
        assert str(chain.b_register.id) not in g.model_dump_json()
        assert "宁波" not in g.model_dump_json()
        assert any(n.kind is NodeKind.FILE and n.label == "register.csv" for n in g.nodes)

    def test_anyone_sees_an_open_dataset_but_not_its_closed_sources(
        self, session: Session, chain: Chain
    ) -> None:
        g = views.dataset_graph(
            session, principal=None, dataset_id=chain.aggregate.id, direction=Direction.UP, depth=5
        )
        shown = [n for n in g.nodes if not n.restricted and n.kind is not NodeKind.RUN]
        assert [n.label for n in shown] == ["企业数量统计 v1"]
        text = g.model_dump_json()
        assert "原始库" not in text
        assert "register.csv" not in text
        assert str(chain.raw.id) not in text

    def test_a_closed_dataset_outside_scope_is_not_found(
        self, session: Session, world: World, chain: Chain
    ) -> None:
        for principal in (None, world.principal(world.city_b_admin)):
            with pytest.raises(NotFound):
                views.dataset_graph(
                    session,
                    principal=principal,
                    dataset_id=chain.raw.id,
                    direction=Direction.BOTH,
                    depth=3,
                )
        with pytest.raises(NotFound):
            views.dataset_graph(
                session, principal=None, dataset_id=uuid.uuid4(), direction=Direction.BOTH, depth=3
            )

    def test_the_other_city_sees_its_register_used_by_a_restricted_run(
        self, session: Session, world: World, chain: Chain
    ) -> None:
        g = views.dataset_graph(
            session,
            principal=world.principal(world.city_b_admin),
            dataset_id=chain.b_register.id,
            direction=Direction.DOWN,
            depth=5,
        )
        kinds = sorted(n.kind.value for n in g.nodes)
        assert kinds == ["dataset", "restricted", "restricted"]
        assert "join" not in g.model_dump_json()

    def test_resource_graph_starts_from_every_version(
        self, session: Session, world: World, chain: Chain
    ) -> None:
        g = views.resource_graph(
            session,
            principal=world.principal(world.city_a_admin),
            resource_id=chain.raw_resource.id,
            direction=Direction.BOTH,
            depth=1,
        )
        for dataset in (chain.raw, chain.clean, chain.joined):
            assert str(dataset.id) in _ids(g)

    def test_layers_run_left_to_right(self, session: Session, world: World, chain: Chain) -> None:
        g = views.dataset_graph(
            session,
            principal=world.principal(world.city_a_admin),
            dataset_id=chain.aggregate.id,
            direction=Direction.UP,
            depth=5,
        )
        layer = {n.id: n.layer for n in g.nodes}
        for edge in g.edges:
            assert layer[edge.source] < layer[edge.target]
        assert layer[str(chain.aggregate.id)] == 6  # file, ingest, raw, clean, clean, aggregate

    def test_column_graph_hides_restricted_columns(
        self, session: Session, world: World, chain: Chain
    ) -> None:
        g = views.column_graph(
            session,
            principal=world.principal(world.city_a_admin),
            dataset_id=chain.joined.id,
            column="tyshxydm",
            direction=Direction.UP,
            depth=5,
        )
        labels = sorted(n.label for n in g.nodes if not n.restricted)
        assert labels == ["tyshxydm"] * 4  # joined, clean, raw, file
        assert "uscc" not in g.model_dump_json()
        assert sum(n.restricted for n in g.nodes) == 1
        with pytest.raises(NotFound):
            views.column_graph(
                session,
                principal=world.principal(world.city_a_admin),
                dataset_id=chain.joined.id,
                column="nope",
                direction=Direction.UP,
                depth=5,
            )

    def test_runs_are_seen_through_their_outputs(
        self, session: Session, world: World, chain: Chain
    ) -> None:
        run = views.get_run(
            session, principal=world.principal(world.city_a_admin), run_id=chain.runs["join"]
        )
        assert run.kind == "join"
        assert sorted(e.restricted for e in run.inputs) == [False, True]
        assert [(c.output_column, c.input_column) for c in run.columns] == [
            ("tyshxydm", "tyshxydm")
        ]
        public = views.get_run(session, principal=None, run_id=chain.runs["aggregate"])
        assert [e.restricted for e in public.inputs] == [True]
        assert public.columns == []
        for principal in (None, world.principal(world.city_b_admin)):
            with pytest.raises(NotFound):
                views.get_run(session, principal=principal, run_id=chain.runs["join"])
