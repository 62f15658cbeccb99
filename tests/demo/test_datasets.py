"""The demo datasets: a published register with known errors, its cleaned directory, lineage."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.storage import get_storage
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.lineage.models import ActivityKind, LineageRun
from govhub.data.quality.models import QualityAssessment
from govhub.demo import LoadReport, load_demo
from govhub.demo.datasets import (
    DIRECTORY_COLUMNS,
    DIRECTORY_TITLE,
    INJECTED,
    REGISTER_ROWS,
    REGISTER_TITLE,
    build_register,
    clean_directory,
)
from govhub.identity.codes import uscc_problem
from tests.demo.test_loader import small_plan


@pytest.fixture
def demo(session: Session) -> LoadReport:
    return load_demo(session, small_plan(citizens=5, enterprises=5))


def _version(session: Session, title: str) -> DatasetVersion:
    return session.scalars(
        select(DatasetVersion).join(Resource, Resource.id == DatasetVersion.resource_id)
        .where(Resource.title == title)
    ).one()  # fmt: skip


def _checks(session: Session, dataset: DatasetVersion) -> dict[str, int]:
    assessment = session.scalars(
        select(QualityAssessment).where(QualityAssessment.dataset_id == dataset.id)
    ).one()
    return {c["name"]: c["failed"] for c in assessment.checks}


class TestRegister:
    def test_built_with_the_injected_errors_only(self) -> None:
        rows = build_register(2026)
        assert len(rows) == REGISTER_ROWS
        bad_codes = [i for i, row in enumerate(rows) if uscc_problem(row["tyshxydm"])]
        assert bad_codes == list(INJECTED["tyshxydm.check_character"])
        assert [i for i, row in enumerate(rows) if not row["qymc"]] == list(
            INJECTED["qymc.missing"]
        )
        assert build_register(2026) == rows
        assert build_register(7) != rows

    def test_cleaning_drops_every_row_with_an_error_it_checks(self) -> None:
        rows = build_register(2026)
        divisions = {row["xzqhdm"] for row in rows} - {"110105", "310115", "440305"}
        kept = clean_directory(rows, divisions)
        dropped = {
            *INJECTED["tyshxydm.check_character"], *INJECTED["qymc.missing"],
            *INJECTED["clrq.impossible_date"], *INJECTED["xzqhdm.unknown_division"],
        }  # fmt: skip
        assert len(kept) == REGISTER_ROWS - len(dropped)
        assert all(tuple(row) == DIRECTORY_COLUMNS for row in kept)


class TestLoaded:
    def test_both_versions_are_published_and_stored(
        self, session: Session, demo: LoadReport
    ) -> None:
        assert demo.tables["dataset_versions"] == 2
        assert demo.stages["datasets"].inserted == 2
        register = _version(session, REGISTER_TITLE)
        directory = _version(session, DIRECTORY_TITLE)
        assert register.row_count == REGISTER_ROWS
        assert directory.row_count == REGISTER_ROWS - 11
        with get_storage().open(directory.storage_key) as handle:
            assert pq.read_table(handle).column_names == list(DIRECTORY_COLUMNS)

    def test_quality_finds_the_injected_errors(self, session: Session, demo: LoadReport) -> None:
        register = _checks(session, _version(session, REGISTER_TITLE))
        assert register["tyshxydm.element"] == len(INJECTED["tyshxydm.check_character"])
        assert register["xzqhdm.element"] == len(INJECTED["xzqhdm.unknown_division"])
        assert register["fddbr.element"] == len(INJECTED["fddbr.not_a_name"])
        assert register["clrq.element"] == len(INJECTED["clrq.impossible_date"])
        directory = _checks(session, _version(session, DIRECTORY_TITLE))
        assert directory
        assert not any(directory.values()), directory

    def test_lineage_links_the_directory_to_the_register(
        self, session: Session, demo: LoadReport
    ) -> None:
        runs = session.scalars(select(LineageRun)).all()
        kinds = sorted(str(run.kind) for run in runs)
        # the register, the directory's clean run, the two health datasets (demo/health.py) and
        # the birth certificates (demo/proactive.py)
        assert kinds == sorted([*[ActivityKind.INGEST] * 5, ActivityKind.CLEAN])
        clean = next(run for run in runs if run.kind == ActivityKind.CLEAN)
        assert clean.parameters["dropped_rows"] == 11

    def test_loading_again_publishes_nothing(self, session: Session, demo: LoadReport) -> None:
        again = load_demo(session, small_plan(citizens=5, enterprises=5))
        assert again.tables["dataset_versions"] == 0
        # the register, the directory, the two health datasets (demo/health.py) and the birth
        # certificates (demo/proactive.py)
        assert len(session.scalars(select(DatasetVersion)).all()) == 5
        assert len(session.scalars(select(LineageRun)).all()) == 6
