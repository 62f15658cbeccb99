"""`govhub data ingest`: publishes a file, or prints a red report and exits 1."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from govhub import cli
from govhub.data.catalog.models import DatasetVersion, Resource
from tests.data.helpers import make_resource
from tests.data.ingest import files
from tests.factories import World

runner = CliRunner()


def run(*args: str) -> Result:
    """Run `govhub data ...` and return the result."""
    return runner.invoke(cli.app, ["data", *args])


@pytest.fixture
def resource(session: Session, world: World) -> Resource:
    return make_resource(session, world, title="企业登记信息")


def _versions(session: Session, resource: Resource) -> list[int]:
    rows = session.scalars(
        select(DatasetVersion.version).where(DatasetVersion.resource_id == resource.id)
    )
    return list(rows)


class TestIngestCommand:
    def test_publishes_a_tab_delimited_file(
        self, session: Session, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_csv(tmp_path / "r.tsv", files.enterprises(40), delimiter="\t")
        result = run("ingest", str(resource.id), str(path))
        assert result.exit_code == 0, result.output
        assert "Published version 1" in result.output
        assert "40 rows" in result.output
        assert _versions(session, resource) == [1]

    def test_bad_file_exits_1_with_the_reason(
        self, session: Session, resource: Resource, tmp_path: Path
    ) -> None:
        path = tmp_path / "bad.csv"
        path.write_bytes(b"a,b\n1,2\n3\n")
        result = run("ingest", str(resource.id), str(path))
        assert result.exit_code == 1
        assert "Rejected" in result.output
        assert "line 3" in result.output
        assert "ragged" in result.output
        assert _versions(session, resource) == []

    def test_unknown_resource(self, tmp_path: Path) -> None:
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(2))
        result = run("ingest", str(uuid.uuid4()), str(path))
        assert result.exit_code == 1
        assert "no such resource" in result.output
