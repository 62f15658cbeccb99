"""The `ckanapi` client from PyPI, unchanged, against GovHub served by uvicorn."""

# ruff: noqa: S608 - the tests send SQL text to the sandbox on purpose

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ckanapi  # type: ignore[import-untyped]
import pytest

from tests.data.opendata.conftest import ROWS, Catalog


@pytest.fixture
def remote(live_server: str) -> ckanapi.RemoteCKAN:
    """A `ckanapi.RemoteCKAN` talking to the live server."""
    with ckanapi.RemoteCKAN(live_server, user_agent="govhub-tests") as ckan:
        yield ckan


class TestRemoteCkan:
    def test_lists_and_shows_public_datasets(
        self, remote: ckanapi.RemoteCKAN, catalog: Catalog
    ) -> None:
        names = remote.action.package_list()
        assert names == ["a-scjg-0001", "a-scjg-0002"]
        package = remote.action.package_show(id="a-scjg-0001")
        assert package["id"] == str(catalog.public.id)
        assert package["title"] == "企业登记信息"
        assert package["organization"]["name"] == "a-scjg"
        assert sorted(g["name"] for g in package["groups"]) == ["credit", "market"]
        assert [t["name"] for t in package["tags"]] == ["企业", "登记"]
        assert package["resources"][0]["format"] == "CSV"
        assert package["resources"][0]["url"].endswith(".csv")
        by_id = remote.action.package_show(id=str(catalog.public.id))
        assert by_id["name"] == "a-scjg-0001"

    def test_search_with_facets(self, remote: ckanapi.RemoteCKAN) -> None:
        result = remote.action.package_search(
            q="运输", facet_field=None, **{"facet.field": ["organization", "groups", "tags"]}
        )
        assert result["count"] == 1
        assert result["results"][0]["name"] == "a-scjg-0002"
        assert result["facets"]["groups"] == {"transport": 1}
        assert result["facets"]["organization"] == {"a-scjg": 1}
        everything = remote.action.package_search(
            rows=10, **{"facet.field": json.dumps(["tags", "license_id"])}
        )
        assert everything["count"] == 2
        assert everything["facets"]["tags"] == {"企业": 1, "登记": 1, "运输": 1}
        assert everything["facets"]["license_id"] == {"CC-BY-4.0": 1, "CC0-1.0": 1}

    def test_organizations_groups_tags(self, remote: ckanapi.RemoteCKAN) -> None:
        assert remote.action.organization_list() == ["a-scjg"]
        [org] = remote.action.organization_list(all_fields=True)
        assert org["package_count"] == 2
        assert remote.action.organization_show(id="a-scjg")["package_count"] == 2
        groups = {g["name"]: g["package_count"] for g in remote.action.group_list(all_fields=True)}
        assert (groups["market"], groups["transport"], groups["health"]) == (1, 1, 0)
        assert remote.action.tag_list() == ["企业", "登记", "运输"]

    def test_datastore(self, remote: ckanapi.RemoteCKAN) -> None:
        package = remote.action.package_show(id="a-scjg-0001")
        resource_id = package["resources"][0]["id"]
        assert remote.action.resource_show(id=resource_id)["package_id"] == package["id"]
        found = remote.action.datastore_search(
            resource_id=resource_id, filters={"clrq": "2018-11-11"}, fields=["qymc", "clrq"]
        )
        assert found["total"] == 1
        assert found["records"] == [{"qymc": "杭州丁公司", "clrq": "2018-11-11"}]
        assert [f["id"] for f in found["fields"]] == ["qymc", "clrq"]
        sql = f"SELECT count(*) AS n FROM \"{resource_id}\" WHERE qymc LIKE '宁波%'"
        assert remote.action.datastore_search_sql(sql=sql)["records"] == [{"n": 3}]

    def test_errors_become_ckanapi_exceptions(
        self, remote: ckanapi.RemoteCKAN, catalog: Catalog
    ) -> None:
        for hidden in catalog.hidden:
            with pytest.raises(ckanapi.NotFound):
                remote.action.package_show(id=str(hidden.id))
        with pytest.raises(ckanapi.SearchQueryError):
            remote.action.package_search(fq="organization:(")
        with pytest.raises(ckanapi.ValidationError):
            remote.action.package_search(rows=100_000)
        with pytest.raises(ckanapi.NotAuthorized):
            remote.call_action("package_list", {}, apikey="ghk_not-a-key")

    def test_get_only_client(self, live_server: str) -> None:
        with ckanapi.RemoteCKAN(live_server, get_only=True) as ckan:
            result = ckan.action.package_search(fq="groups:transport", rows=5)
        assert [p["name"] for p in result["results"]] == ["a-scjg-0002"]


class TestHarvest:
    def test_pages_by_id_since_a_date(self, remote: ckanapi.RemoteCKAN, catalog: Catalog) -> None:
        """Page as CKAN's harvester does: modified since, sorted by id, one row at a time."""
        seen: list[str] = []
        start = 0
        while True:
            page = remote.action.package_search(
                fq="metadata_modified:[2000-01-01T00:00:00.000000Z TO *]",
                sort="id asc", rows=1, start=start,
            )  # fmt: skip
            if not page["results"]:
                break
            seen += [p["id"] for p in page["results"]]
            start += 1
        assert seen == sorted([str(catalog.public.id), str(catalog.public_two.id)])
        later = remote.action.package_search(fq="metadata_modified:[2999-01-01T00:00:00Z TO *]")
        assert later["count"] == 0


class TestDumpCommand:
    def test_ckanapi_dump_datasets(self, live_server: str, tmp_path: Path) -> None:
        out = tmp_path / "datasets.jsonl"
        command = [
            str(Path(sys.executable).parent / "ckanapi"), "dump", "datasets", "--all",
            "-r", live_server, "-p", "1", "-q", "-O", str(out),
        ]  # fmt: skip
        # The command starts its workers as `ckanapi` from PATH.
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
        done = subprocess.run(  # noqa: S603
            command, capture_output=True, timeout=120, check=False, env=env
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [r["name"] for r in records] == ["a-scjg-0001", "a-scjg-0002"]
        assert records[0]["resources"][0]["rows"] == len(ROWS)
