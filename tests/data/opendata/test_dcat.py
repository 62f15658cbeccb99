"""DCAT-AP export: serializations agree, SHACL-valid, paging, modified_since, privacy, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import to_isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SH, XSD
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.opendata import dcat
from tests.data.helpers import OPEN, make_resource
from tests.data.lineage.helpers import make_dataset
from tests.factories import World

SHAPES_DIR = Path(__file__).resolve().parents[4] / "shared" / "testdata" / "dcat-ap"
SYNTAXES = {"jsonld": "json-ld", "ttl": "turtle", "xml": "xml"}
MEDIA = {"jsonld": "application/ld+json", "ttl": "text/turtle", "xml": "application/rdf+xml"}
EU = "http://publications.europa.eu/resource/authority/"
CONTACT = ("王科长", "0571-87000000", "data@scjg.example.gov.cn")


def publish(session: Session, world: World, title: str, **overrides: Any) -> Resource:
    """Create an open resource with one dataset version."""
    values: dict[str, Any] = {**OPEN, "title": title, "title_en": f"{title} (en)", **overrides}
    resource = make_resource(session, world, **values)
    make_dataset(session, resource, ["qymc"])
    return resource


def hidden(session: Session, world: World) -> dict[str, Resource]:
    """Resources the public must never see, each with a title to look for."""
    closed = make_resource(session, world, title="机密企业名册", title_en="Secret register")
    make_dataset(session, closed, ["qymc"])
    conditional = make_resource(
        session, world, title="有条件开放名录", title_en="Conditional list",
        opening_type="conditional", opening_conditions="申请后开放", fields=OPEN["fields"],
    )  # fmt: skip
    make_dataset(session, conditional, ["qymc"])
    unpublished = make_resource(
        session, world, title="尚未发布数据", title_en="Unpublished", **OPEN
    )
    withdrawn = publish(session, world, "已撤回数据集", title_en="Withdrawn dataset")
    catalog_service.withdraw_resource(
        session, principal=world.principal(world.city_a_admin), resource_id=withdrawn.id
    )
    return {"closed": closed, "conditional": conditional, "unpublished": unpublished,
            "withdrawn": withdrawn}  # fmt: skip


@cache
def shapes_graph() -> Graph:
    """Read the DCAT-AP 3.0.1 shapes and their range constraints (once per run).

    The published ranges file lists five property shapes that neither file defines; pyshacl
    refuses such references, and a shape with no definition constrains nothing, so they go.
    """
    graph = Graph()
    for name in ("dcat-ap-3.0.1-SHACL.ttl", "dcat-ap-3.0.1-ranges.ttl"):
        graph.parse(SHAPES_DIR / name, format="turtle")
    pairs = graph.subject_objects(SH.property)
    dangling = [(s, o) for s, o in pairs if (o, SH.path, None) not in graph]
    assert len(dangling) <= 5
    for shape, prop in dangling:
        graph.remove((shape, SH.property, prop))
    return graph


def parse(body: bytes, syntax: str) -> Graph:
    """Parse a response body back into a graph."""
    return Graph().parse(data=body, format=SYNTAXES[syntax])


def local(url: str) -> str:
    """Turn an absolute link of the export into a path the test client can follow."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def datasets_of(graph: Graph) -> set[str]:
    """Return the identifiers of the graph's datasets."""
    nodes = graph.subjects(RDF.type, DCAT.Dataset)
    return {str(graph.value(node, DCTERMS.identifier)) for node in nodes}


def paging(graph: Graph) -> URIRef:
    """Return the graph's single hydra:PagedCollection node."""
    nodes = list(graph.subjects(RDF.type, dcat.HYDRA.PagedCollection))
    assert len(nodes) == 1
    node = nodes[0]
    assert isinstance(node, URIRef)
    return node


class TestSerializations:
    def test_the_three_serializations_carry_the_same_graph(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        publish(
            session, world, "企业登记信息", temporal_start="2020-01-01", temporal_end="2024-12-31"
        )
        publish(session, world, "空气质量日报", themes=["environment"], keywords=["空气", "PM2.5"])
        for path in ("/catalog.{}", "/dataset/A-SCJG-0001.{}"):
            graphs = []
            for syntax in SYNTAXES:
                response = client.get(path.format(syntax))
                assert response.status_code == 200, response.text
                assert response.headers["content-type"].startswith(MEDIA[syntax])
                graph = parse(response.content, syntax)
                if path.startswith("/catalog"):  # paging links name the page's own format
                    node = paging(graph)
                    assert str(node).endswith(f"/catalog.{syntax}?page=1")
                    graph.remove((node, None, None))
                graphs.append(graph)
            assert len(graphs[0]) > 50
            assert to_isomorphic(graphs[0]) == to_isomorphic(graphs[1]) == to_isomorphic(graphs[2])
        dataset = parse(client.get("/dataset/A-SCJG-0001.ttl").content, "ttl")
        catalog = parse(client.get("/catalog.ttl").content, "ttl")
        assert set(dataset) <= set(catalog)

    def test_hostile_text_survives_every_serialization(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        title = 'A\x0b<b>"&amp;</b>]]> 数据'
        resource = publish(session, world, title, keywords=["</rdf:RDF>"])
        for syntax in SYNTAXES:
            response = client.get(f"/dataset/{resource.id}.{syntax}")
            assert response.status_code == 200
            graph = parse(response.content, syntax)
            node = URIRef(f"http://127.0.0.1:8000/dataset/{resource.id}")
            assert (node, DCTERMS.title, Literal('A<b>"&amp;</b>]]> 数据', lang="zh")) in graph
            assert (node, DCAT.keyword, Literal("</rdf:RDF>", lang="en")) in graph

    def test_a_dataset_carries_dcat_ap_properties(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        fields = [{"name": "tyshxydm", "type": "string", "element_code": "uscc"}]
        resource = publish(
            session, world, "企业登记信息", title_en="Enterprise register", fields=fields,
            temporal_start="2020-01-01", temporal_end="2024-12-31", keywords=["企业", "register"],
        )  # fmt: skip
        graph = parse(client.get(f"/dataset/{resource.id}.ttl").content, "ttl")
        node = URIRef(f"http://127.0.0.1:8000/dataset/{resource.id}")
        assert (node, RDF.type, DCAT.Dataset) in graph
        assert (node, DCTERMS.identifier, Literal("A-SCJG-0001")) in graph
        assert (node, DCTERMS.title, Literal("企业登记信息", lang="zh")) in graph
        assert (node, DCTERMS.title, Literal("Enterprise register", lang="en")) in graph
        english = Literal("Basic information of registered enterprises.", lang="en")
        assert (node, DCTERMS.description, english) in graph
        assert (node, DCAT.keyword, Literal("企业", lang="zh")) in graph
        assert (node, DCAT.keyword, Literal("register", lang="en")) in graph
        publisher = graph.value(node, DCTERMS.publisher)
        assert (publisher, RDF.type, FOAF.Agent) in graph
        assert (publisher, FOAF.name, Literal(world.city_a_market.name, lang="zh")) in graph
        assert (node, DCAT.theme, URIRef(EU + "data-theme/ECON")) in graph
        assert (node, DCAT.theme, URIRef("urn:govhub:theme:market")) in graph
        spatial = URIRef("urn:govhub:division:330100")
        assert (node, DCTERMS.spatial, spatial) in graph
        assert (spatial, RDF.type, DCTERMS.Location) in graph
        period = graph.value(node, DCTERMS.temporal)
        assert graph.value(period, DCAT.startDate) == Literal("2020-01-01", datatype=XSD.date)
        assert graph.value(period, DCAT.endDate) == Literal("2024-12-31", datatype=XSD.date)
        assert graph.value(node, DCTERMS.accrualPeriodicity) == URIRef(EU + "frequency/DAILY")
        assert graph.value(node, DCTERMS.accessRights) == URIRef(EU + "access-right/PUBLIC")
        for prop in (DCTERMS.issued, DCTERMS.modified):
            value = graph.value(node, prop)
            assert isinstance(value, Literal)
            assert value.datatype == XSD.dateTime
        contact = graph.value(node, DCAT.contactPoint)
        assert (contact, RDF.type, dcat.VCARD.Kind) in graph
        assert (contact, dcat.VCARD.fn, Literal(world.city_a_market.name, lang="zh")) in graph
        standard = URIRef("http://127.0.0.1:8000/api/v1/standards/elements/uscc")
        assert (node, DCTERMS.conformsTo, standard) in graph
        formats = {}
        for dist in graph.objects(node, DCAT.distribution):
            assert graph.value(dist, DCAT.accessURL) == node
            assert graph.value(dist, DCTERMS.license) == URIRef(EU + "licence/CC_BY_4_0")
            formats[str(graph.value(dist, DCTERMS.format))] = (
                str(graph.value(dist, DCAT.mediaType)),
                str(graph.value(dist, DCAT.downloadURL)),
            )
        assert formats == {
            f"{EU}file-type/{code}": (f"https://www.iana.org/assignments/media-types/{media}",
                                      f"http://127.0.0.1:8000/dataset/{resource.id}/download/{fmt}")
            for fmt, code, media in [
                ("csv", "CSV", "text/csv"), ("json", "JSON", "application/json"),
                ("parquet", "PARQUET", "application/vnd.apache.parquet"),
                ("xlsx", "XLSX", dcat.FORMATS[dcat.Format.XLSX][1]),
            ]
        }  # fmt: skip

    def test_the_catalog_describes_itself(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        first = publish(session, world, "企业登记信息")
        graph = parse(client.get("/catalog.ttl").content, "ttl")
        catalog = URIRef("http://127.0.0.1:8000/catalog")
        assert (catalog, RDF.type, DCAT.Catalog) in graph
        assert (catalog, DCTERMS.title, Literal("GovHub open data catalog", lang="en")) in graph
        assert graph.value(catalog, DCTERMS.publisher) is not None
        assert graph.value(catalog, FOAF.homepage) == URIRef("http://127.0.0.1:8000/")
        dataset = URIRef(f"http://127.0.0.1:8000/dataset/{first.id}")
        assert list(graph.objects(catalog, DCAT.dataset)) == [dataset]
        assert graph.value(catalog, DCTERMS.modified) == graph.value(dataset, DCTERMS.modified)


@pytest.mark.skipif(not SHAPES_DIR.is_dir(), reason=f"the DCAT-AP shapes are absent: {SHAPES_DIR}")
class TestShacl:
    @pytest.fixture
    def shapes(self) -> Graph:
        return shapes_graph()

    def _violations(self, data: Graph, shapes: Graph) -> tuple[bool, Graph, str]:
        from pyshacl import validate  # noqa: PLC0415 - slow to import; only these tests need it

        conforms, results, text = validate(data, shacl_graph=shapes, allow_warnings=True)
        assert isinstance(results, Graph)
        return bool(conforms), results, str(text)

    def test_catalog_and_dataset_conform_to_dcat_ap_3(
        self, client: TestClient, session: Session, world: World, shapes: Graph
    ) -> None:
        publish(session, world, "企业登记信息", temporal_start="2020-01-01", license="")
        publish(session, world, "空气质量日报", themes=["environment"], description="",
                description_en="", license="https://data.example.gov.cn/licence")  # fmt: skip
        for path in ("/catalog.xml", "/dataset/A-SCJG-0002.jsonld"):
            syntax = path.rsplit(".", 1)[1]
            data = parse(client.get(path).content, syntax)
            conforms, _, report = self._violations(data, shapes)
            assert conforms, report

    def test_the_validator_catches_a_missing_title(
        self, client: TestClient, session: Session, world: World, shapes: Graph
    ) -> None:
        resource = publish(session, world, "企业登记信息")
        graph = parse(client.get(f"/dataset/{resource.id}.ttl").content, "ttl")
        graph.remove((None, DCTERMS.title, None))
        conforms, results, _ = self._violations(graph, shapes)
        assert not conforms
        paths = set(results.objects(None, SH.resultPath))
        assert paths == {DCTERMS.title}


class TestPaging:
    def test_following_next_visits_every_public_dataset_once(
        self, client: TestClient, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(dcat, "PAGE_SIZE", 2)
        published = {publish(session, world, f"数据集{i}").identifier for i in range(5)}
        hidden(session, world)
        seen: list[str] = []
        url: str | None = "/catalog.jsonld"
        pages = 0
        while url:
            graph = parse(client.get(url).content, "jsonld")
            node = paging(graph)
            pages += 1
            assert graph.value(node, dcat.HYDRA.totalItems) == Literal(5)
            assert graph.value(node, dcat.HYDRA.itemsPerPage) == Literal(2)
            assert str(graph.value(node, dcat.HYDRA.last)).endswith("page=3")
            assert graph.value(node, dcat.HYDRA.lastPage) == graph.value(node, dcat.HYDRA.last)
            assert graph.value(node, dcat.HYDRA.nextPage) == graph.value(node, dcat.HYDRA.next)
            if pages == 2:
                assert str(graph.value(node, dcat.HYDRA.previous)).endswith("page=1")
            seen.extend(datasets_of(graph))
            following = graph.value(node, dcat.HYDRA.next)
            url = local(str(following)) if following is not None else None
        assert pages == 3
        assert sorted(seen) == sorted(published)

    def test_a_page_past_the_end_is_empty(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        publish(session, world, "企业登记信息")
        graph = parse(client.get("/catalog.ttl?page=7").content, "ttl")
        assert datasets_of(graph) == set()
        node = paging(graph)
        assert graph.value(node, dcat.HYDRA.totalItems) == Literal(1)
        assert graph.value(node, dcat.HYDRA.next) is None
        assert str(graph.value(node, dcat.HYDRA.previous)).endswith("page=6")


class TestModifiedSince:
    def _age(self, session: Session, resource: Resource, when: datetime) -> None:
        session.query(Resource).filter_by(id=resource.id).update(
            {"updated_at": when, "published_at": when}
        )
        versions = session.query(DatasetVersion).filter_by(resource_id=resource.id)
        versions.update({"created_at": when})
        session.flush()

    def test_only_datasets_changed_since_are_listed(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        old = publish(session, world, "旧数据集")
        older = publish(session, world, "更旧数据集")
        fresh = publish(session, world, "新数据集")
        self._age(session, old, datetime(2021, 6, 1, 12, tzinfo=UTC))
        self._age(session, older, datetime(2020, 1, 1, tzinfo=UTC))
        cases = {
            "2021-01-01": {old.identifier, fresh.identifier},
            "2021-06-01T12:00:00Z": {old.identifier, fresh.identifier},
            "2021-06-01T20:00:01+08:00": {fresh.identifier},
            "2021-06-01T12:00:01": {fresh.identifier},
            "2019-12-31": {old.identifier, older.identifier, fresh.identifier},
        }
        for since, expected in cases.items():
            response = client.get("/catalog.ttl", params={"modified_since": since})
            assert response.status_code == 200, response.text
            graph = parse(response.content, "ttl")
            assert datasets_of(graph) == expected, since
            node = paging(graph)
            assert graph.value(node, dcat.HYDRA.totalItems) == Literal(len(expected))
            assert "modified_since=" in str(node)

    def test_a_new_dataset_version_counts_as_a_change(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        resource = publish(session, world, "旧数据集")
        self._age(session, resource, datetime(2021, 1, 1, tzinfo=UTC))
        since = (utcnow() - timedelta(minutes=5)).isoformat()
        before = client.get("/catalog.ttl", params={"modified_since": since})
        assert datasets_of(parse(before.content, "ttl")) == set()
        make_dataset(session, resource, ["qymc"])
        graph = parse(client.get("/catalog.ttl", params={"modified_since": since}).content, "ttl")
        assert datasets_of(graph) == {resource.identifier}


class TestPrivacy:
    def test_non_public_resources_and_fields_never_appear(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        shown = publish(session, world, "企业登记信息公开版")
        secret = hidden(session, world)
        for syntax in SYNTAXES:
            bodies = [client.get(f"/catalog.{syntax}").content,
                      client.get(f"/dataset/{shown.id}.{syntax}").content]  # fmt: skip
            for body in bodies:
                assert "企业登记信息公开版".encode() in body  # the search below can find text
                for resource in secret.values():
                    assert resource.title.encode() not in body
                    assert resource.title_en.encode() not in body
                    assert str(resource.id).encode() not in body
                for value in CONTACT:
                    assert value.encode() not in body
            for resource in secret.values():
                for key in (str(resource.id), resource.identifier):
                    assert client.get(f"/dataset/{key}.{syntax}").status_code == 404


class TestBadInput:
    @pytest.mark.parametrize(
        ("name", "value"),
        [("page", "0"), ("page", "-1"), ("page", "abc"), ("page", "1.5"), ("page", "99999999"),
         ("page", ""), ("modified_since", "yesterday"), ("modified_since", "2026-13-01"),
         ("modified_since", "2026-01-01T25:00"), ("modified_since", ""),
         ("modified_since", "2026-01-01" + "0" * 50)],
    )  # fmt: skip
    def test_malformed_parameters_are_400_problems(
        self, client: TestClient, session: Session, world: World, name: str, value: str
    ) -> None:
        publish(session, world, "企业登记信息")
        response = client.get("/catalog.ttl", params={name: value})
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["status"] == 400
        assert body["errors"][0]["field"] == name

    def test_unknown_and_non_public_ids_get_the_same_404(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        closed = make_resource(session, world, title="机密企业名册")
        make_dataset(session, closed, ["qymc"])
        answers = []
        for key in (str(closed.id), closed.identifier, "00000000-0000-0000-0000-000000000000",
                    "NO-SUCH-0001", "x" * 300):  # fmt: skip
            response = client.get(f"/dataset/{key}.ttl")
            assert response.status_code == 404
            assert response.headers["content-type"].startswith("application/problem+json")
            body = response.json()
            answers.append((body["title"], body["detail"]))
        assert len(set(answers)) == 1

    def test_an_unknown_serialization_is_404(self, client: TestClient) -> None:
        for path in ("/catalog.csv", "/dataset/A-SCJG-0001.html"):
            response = client.get(path)
            assert response.status_code == 404
            assert response.headers["content-type"].startswith("application/problem+json")
