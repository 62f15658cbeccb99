"""Ingestion through the service: every format, every bad file, atomicity and scope."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.errors import NotFound
from govhub.core.storage import get_storage, open_storage, put_file
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.ingest import service
from govhub.data.ingest.errors import BadFile
from govhub.data.ingest.pipeline import convert
from govhub.data.ingest.settings import IngestSettings
from govhub.ledger.models import LedgerPending
from govhub.privacy import vault
from tests.data.helpers import make_resource
from tests.data.ingest import files
from tests.factories import World

SMALL = IngestSettings(csv_block_bytes=1024, batch_rows=50)


@pytest.fixture
def resource(session: Session, world: World) -> Resource:
    return make_resource(session, world, title="企业登记信息")


def _ingest(
    session: Session, world: World, resource: Resource, path: Path, **kwargs: Any
) -> tuple[DatasetVersion, Any]:
    return service.ingest(
        session,
        principal=world.principal(kwargs.pop("account", world.city_a_admin)),
        resource_id=resource.id,
        source=path,
        filename=kwargs.pop("filename", path.name),
        settings=kwargs.pop("settings", SMALL),
        **kwargs,
    )


def _stored(resource: Resource) -> list[str]:
    return list(get_storage().list(f"datasets/{resource.id}/"))


def _table(dataset: DatasetVersion) -> Any:
    return pq.read_table(pa.BufferReader(vault.read_bytes(dataset.storage_key)))


class TestFormats:
    @pytest.mark.parametrize(
        ("name", "delimiter", "encoding"),
        [
            ("utf8.csv", ",", "utf-8"),
            ("bom.csv", ",", "utf-8-sig"),
            ("gbk.csv", ",", "gbk"),
            ("gb18030.txt", ";", "gb18030"),
            ("tabs.tsv", "\t", "utf-8"),
            ("pipes.csv", "|", "gbk"),
        ],
    )
    def test_csv_in_any_encoding_and_delimiter(
        self,
        session: Session,
        world: World,
        resource: Resource,
        tmp_path: Path,
        name: str,
        delimiter: str,
        encoding: str,
    ) -> None:
        rows = files.enterprises(300)
        path = files.write_csv(tmp_path / name, rows, delimiter=delimiter, encoding=encoding)
        dataset, log = _ingest(session, world, resource, path)
        table = _table(dataset)
        assert dataset.row_count == table.num_rows == log.rows_written == log.rows_read == 300
        assert table.column_names == files.HEADER
        assert table.column("qymc").to_pylist() == [row[1] for row in rows]
        assert table.column("zczb").to_pylist() == [row[3] for row in rows]
        types = {column["name"]: column["type"] for column in dataset.schema}
        assert types == {
            "tyshxydm": "string",
            "qymc": "string",
            "fddbr": "string",
            "zczb": "integer",
            "clrq": "date",
        }
        assert any(encoding.replace("gbk", "gb18030") in w for w in log.warnings)
        assert any(repr(delimiter) in w for w in log.warnings)

    @pytest.mark.parametrize(
        "writer",
        [files.write_xlsx, files.write_ndjson, files.write_json_array, files.write_parquet],
        ids=["xlsx", "ndjson", "json", "parquet"],
    )
    def test_other_formats(
        self, session: Session, world: World, resource: Resource, tmp_path: Path, writer: Any
    ) -> None:
        rows = files.enterprises(120)
        suffix = {"write_xlsx": ".xlsx", "write_ndjson": ".ndjson"}.get(writer.__name__, "")
        suffix = suffix or (".json" if "json" in writer.__name__ else ".parquet")
        path = writer(tmp_path / f"register{suffix}", rows)
        dataset, log = _ingest(session, world, resource, path)
        table = _table(dataset)
        assert table.num_rows == dataset.row_count == 120
        assert table.column_names == files.HEADER
        assert table.column("fddbr").to_pylist() == [row[2] for row in rows]
        assert table.column("zczb").to_pylist() == [row[3] for row in rows]
        assert log.format == suffix.lstrip(".")

    def test_a_column_empty_in_the_first_block_is_text(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        lines = ["id,note"] + [f"{i}," for i in range(1, 400)] + ["400,补充说明"]
        path = _bad_csv(tmp_path, ("\n".join(lines) + "\n").encode(), name="sparse.csv")
        dataset, log = _ingest(session, world, resource, path)
        table = _table(dataset)
        assert table.column("note").to_pylist()[-2:] == [None, "补充说明"]
        assert any("note" in warning for warning in log.warnings)

    def test_batches_are_gathered_into_row_groups(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_ndjson(tmp_path / "r.ndjson", files.enterprises(330))
        grouped = SMALL.model_copy(update={"row_group_rows": 100})
        dataset, _ = _ingest(session, world, resource, path, settings=grouped)
        parquet = pq.ParquetFile(pa.BufferReader(vault.read_bytes(dataset.storage_key)))
        sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
        assert sizes == [100, 100, 100, 30]

    def test_versions_count_up_and_digest_is_of_the_stored_parquet(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        first, _ = _ingest(
            session, world, resource, files.write_csv(tmp_path / "a.csv", files.enterprises(10))
        )
        second, _ = _ingest(
            session,
            world,
            resource,
            files.write_ndjson(tmp_path / "b.ndjson", files.enterprises(5)),
        )
        assert (first.version, second.version) == (1, 2)
        assert first.storage_key != second.storage_key
        plain = vault.read_bytes(second.storage_key)
        assert second.digest == f"sha256:{hashlib.sha256(plain).hexdigest()}"
        assert service.read_load_log(second)["rows_written"] == 5
        listed = service.list_datasets(
            session, principal=world.principal(world.city_a_official), resource_id=resource.id
        )
        assert [d.version for d in listed] == [2, 1]

    def test_publication_is_recorded_in_the_ledger(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        before = session.scalar(select(func.count()).select_from(LedgerPending))
        dataset, _ = _ingest(
            session, world, resource, files.write_csv(tmp_path / "a.csv", files.enterprises(3))
        )
        subject = f"dataset:{resource.identifier}:v{dataset.version}"
        entry = session.scalars(select(LedgerPending).where(LedgerPending.subject == subject)).one()
        # one publication event, and one for the lineage run (file -> version)
        assert session.scalar(select(func.count()).select_from(LedgerPending)) == (before or 0) + 2
        assert entry.kind == "dataset_published"
        assert entry.department_id == resource.department_id


def _bad_csv(tmp_path: Path, body: bytes, name: str = "bad.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def _numbers_then_text() -> bytes:
    lines = ["id,amount"] + [f"{i},{i * 10}" for i in range(1, 400)] + ["400,一百"]
    return ("\n".join(lines) + "\n").encode()


def _late_bad_utf8() -> bytes:
    lines = [f"{i},名称{i}" for i in range(1, 5000)]
    return ("name,title\n" + "\n".join(lines) + "\n").encode() + b"5000,\xff\xfe\n"


class TestBadFiles:
    @pytest.mark.parametrize(
        ("body", "reason", "line", "column"),
        [
            (b"", "empty", None, None),
            (b"a,b,c\n", "empty", None, None),
            (b"a,b,c\n1,2,3\n4,5\n6,7,8\n", "ragged", 3, None),
            (_numbers_then_text(), "type_changed", 401, "amount"),
            (b"a,b\n\x81\x30\xff\xff,2\n", "encoding", 1, None),
            (_late_bad_utf8(), "encoding", 5001, None),
        ],
        ids=["empty", "header-only", "ragged", "type-changed", "undecodable", "late-bad-utf8"],
    )
    def test_bad_csv_is_rejected_with_where(
        self,
        session: Session,
        world: World,
        resource: Resource,
        tmp_path: Path,
        body: bytes,
        reason: str,
        line: int | None,
        column: str | None,
    ) -> None:
        with pytest.raises(BadFile) as caught:
            _ingest(session, world, resource, _bad_csv(tmp_path, body))
        assert caught.value.reason == reason, caught.value.describe()
        assert caught.value.line == line
        if column is not None:
            assert caught.value.column == column
        assert _stored(resource) == []
        assert (
            service.list_datasets(
                session, principal=world.principal(world.city_a_admin), resource_id=resource.id
            )
            == []
        )

    def test_type_change_in_ndjson_names_line_and_column(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        rows = files.enterprises(120)
        rows[110][3] = "十万"
        path = files.write_ndjson(tmp_path / "r.ndjson", rows)
        with pytest.raises(BadFile) as caught:
            _ingest(session, world, resource, path)
        assert (caught.value.reason, caught.value.line, caught.value.column) == (
            "type_changed",
            111,
            "zczb",
        )

    def test_type_change_in_xlsx_names_row_and_column(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        rows = files.enterprises(120)
        rows[99][3] = "未知"
        path = files.write_xlsx(tmp_path / "r.xlsx", rows)
        with pytest.raises(BadFile) as caught:
            _ingest(session, world, resource, path)
        assert (caught.value.reason, caught.value.line, caught.value.column) == (
            "type_changed",
            101,
            "zczb",
        )

    def test_ragged_xlsx_row(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        rows: list[list[Any]] = files.enterprises(10)
        rows[4] = [*rows[4], "多余"]
        path = files.write_xlsx(tmp_path / "r.xlsx", rows)
        with pytest.raises(BadFile) as caught:
            _ingest(session, world, resource, path)
        assert (caught.value.reason, caught.value.line) == ("ragged", 6)

    def test_unknown_ndjson_field_is_ragged(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = tmp_path / "r.ndjson"
        path.write_text('{"a": 1}\n' * 60 + '{"a": 2, "b": 3}\n', encoding="utf-8")
        with pytest.raises(BadFile) as caught:
            _ingest(session, world, resource, path)
        assert (caught.value.reason, caught.value.line, caught.value.column) == ("ragged", 61, "b")

    def test_zip_bomb_is_refused_before_it_is_opened(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_zip_bomb(tmp_path / "bomb.xlsx")
        assert path.stat().st_size < 1024 * 1024
        with pytest.raises(BadFile) as caught:
            _ingest(session, world, resource, path)
        assert caught.value.reason == "zip_bomb"
        limited = SMALL.model_copy(update={"xlsx_max_ratio": 1e9, "xlsx_max_unpacked_bytes": 1000})
        with pytest.raises(BadFile) as caught:
            _ingest(session, world, resource, path, settings=limited)
        assert caught.value.reason == "zip_bomb"
        assert "unpacks" in caught.value.detail

    def test_file_over_the_limit(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_csv(tmp_path / "big.csv", files.enterprises(50))
        limited = SMALL.model_copy(update={"max_file_bytes": 100})
        with pytest.raises(BadFile) as caught:
            _ingest(session, world, resource, path, settings=limited)
        assert caught.value.reason == "too_large"
        assert caught.value.status == 413

    def test_not_a_workbook(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = _bad_csv(tmp_path, b"not a zip at all", name="fake.xlsx")
        with pytest.raises(BadFile) as caught:
            _ingest(session, world, resource, path)
        assert caught.value.reason == "malformed"


class TestAtomicity:
    def test_storage_failure_leaves_no_version_and_no_object(
        self,
        session: Session,
        world: World,
        resource: Resource,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        def broken(*args: Any, **kwargs: Any) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(service, "put_file", broken)
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(20))
        nested = session.begin_nested()
        with pytest.raises(OSError, match="disk full"):
            _ingest(session, world, resource, path)
        nested.rollback()
        assert _stored(resource) == []
        count = session.scalar(
            select(func.count()).where(DatasetVersion.resource_id == resource.id)
        )
        assert count == 0

    def test_failed_conversion_leaves_no_temporary_file(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        work = tmp_path / "work"
        work.mkdir()
        with pytest.raises(BadFile):
            convert(
                _bad_csv(tmp_path, _numbers_then_text()),
                filename="bad.csv",
                settings=SMALL,
                workdir=work,
            )
        assert list(work.iterdir()) == []


class TestScope:
    def test_another_departments_resource_looks_missing(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(5))
        with pytest.raises(NotFound):
            _ingest(session, world, resource, path, account=world.city_b_admin)
        with pytest.raises(NotFound):
            service.list_datasets(
                session, principal=world.principal(world.city_b_admin), resource_id=resource.id
            )
        assert _stored(resource) == []

    def test_an_official_without_the_permission_is_refused(
        self, world: World, resource: Resource
    ) -> None:
        assert not service.may_ingest(world.principal(world.city_a_official), resource)
        assert service.may_ingest(world.principal(world.platform_admin), resource)


class TestPutFile:
    @pytest.mark.parametrize("url", ["local", "memory://ingest-test"])
    def test_stores_the_exact_bytes_on_every_backend(self, tmp_path: Path, url: str) -> None:
        storage = open_storage(str(tmp_path / "store") if url == "local" else url)
        source = files.write_parquet(tmp_path / "a.parquet", files.enterprises(30))
        put_file(storage, "datasets/x/a.parquet", source)
        with storage.open("datasets/x/a.parquet") as handle:
            assert handle.read() == source.read_bytes()
        storage.delete("datasets/x/a.parquet")
        assert not storage.exists("datasets/x/a.parquet")
