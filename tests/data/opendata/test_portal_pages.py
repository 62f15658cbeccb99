"""The public portal pages: search with facets, dataset pages, and that nothing non-public shows."""

from __future__ import annotations

import html
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import event, select, true
from sqlalchemy.orm import Session

from govhub.data.catalog.models import Resource
from govhub.data.opendata import portal, service, usage
from tests.data.opendata.conftest import Catalog, publish
from tests.factories import World

EN = {"Accept-Language": "en"}


def _names(page: str) -> list[str]:
    return re.findall(r'<li data-name="([^"]+)"', page)


def _count(page: str) -> int:
    match = re.search(r'data-count="(\d+)"', page)
    assert match is not None
    return int(match.group(1))


class TestSearchPage:
    def test_lists_only_public_datasets_with_facets(
        self, browser: TestClient, catalog: Catalog
    ) -> None:
        response = browser.get("/open-data", headers=EN)
        assert response.status_code == 200
        page = response.text
        shown = set(_names(page))
        assert shown == {service.package_name(catalog.public),
                         service.package_name(catalog.public_two)}  # fmt: skip
        for hidden in catalog.hidden:
            assert hidden.title not in page
            assert service.package_name(hidden) not in page
        assert _count(page) == 2
        for group in ("theme", "department", "format", "frequency"):
            assert f'data-facet-group="{group}"' in page
        assert 'data-facet="format" data-value="parquet"' in page
        assert 'data-facet="theme" data-value="transport"' in page

    def test_chinese_and_english_queries(self, browser: TestClient, catalog: Catalog) -> None:
        chinese = browser.get("/open-data", params={"q": "道路运输"}).text
        assert _names(chinese) == [service.package_name(catalog.public_two)]
        english = browser.get("/open-data", params={"q": "road transport"}).text
        assert _names(english) == [service.package_name(catalog.public_two)]
        # "企业" is a keyword of hidden datasets too: they stay hidden.
        found = set(_names(browser.get("/open-data", params={"q": "企业"}).text))
        assert service.package_name(catalog.public) in found
        assert not found & {service.package_name(r) for r in catalog.hidden}

    def test_facets_narrow_the_search(self, browser: TestClient, catalog: Catalog) -> None:
        themed = browser.get("/open-data", params={"theme": "transport"}).text
        assert _names(themed) == [service.package_name(catalog.public_two)]
        assert 'aria-current="true" data-facet="theme" data-value="transport"' in themed
        department = service.organization_name(catalog.public.department)
        both = browser.get("/open-data", params={"department": department}).text
        assert _count(both) == 2
        none = browser.get("/open-data", params={"department": "no-such-dept"}).text
        assert _count(none) == 0
        assert _count(browser.get("/open-data", params={"frequency": "daily"}).text) == 2
        assert _count(browser.get("/open-data", params={"frequency": "weekly"}).text) == 0

    def test_pagination(
        self, browser: TestClient, session: Session, world: World, tmp_path: Path,
        catalog: Catalog,
    ) -> None:  # fmt: skip
        for i in range(portal.PAGE_SIZE):
            publish(session, world, tmp_path, opening_type="open", title=f"分页数据{i:02d}",
                    keywords=["分页"], rows=[("甲", "330203", "1", "2020-01-01")])  # fmt: skip
        session.flush()
        first = browser.get("/open-data", params={"sort": "name"}, headers=EN).text
        second = browser.get("/open-data", params={"sort": "name", "page": 2}).text
        assert _count(first) == portal.PAGE_SIZE + 2
        assert len(_names(first)) == portal.PAGE_SIZE
        assert len(_names(second)) == 2
        assert not set(_names(first)) & set(_names(second))
        assert 'rel="next"' in first
        assert 'rel="prev"' in second
        assert _names(browser.get("/open-data", params={"page": 99}).text) == []

    def test_recent_sort_uses_the_latest_publication(
        self, browser: TestClient, session: Session, catalog: Catalog
    ) -> None:
        published = session.scalars(
            select(Resource.published_at).where(Resource.id == catalog.public.id)
        ).one()
        assert published is not None
        names = _names(browser.get("/open-data").text)
        assert names[0] == service.package_name(catalog.public_two)  # published last

    def test_facet_counts_come_from_one_query(self, session: Session, catalog: Catalog) -> None:
        statements: list[str] = []
        engine = session.get_bind()

        def seen(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", seen)
        try:
            facets = portal.facet_counts(session, true())
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert len(statements) == 1
        assert "UNION ALL" in statements[0]
        assert dict(facets["theme"]) == {"market": 1, "credit": 1, "transport": 1}
        assert sum(n for _, n in facets["frequency"]) == 2

    def test_bad_query_parameters_are_4xx(self, browser: TestClient, catalog: Catalog) -> None:
        for params in (
            {"theme": "<script>"},
            {"format": "exe"},
            {"frequency": "sometimes"},
            {"page": "0"},
            {"page": "abc"},
            {"sort": "drop table"},
            {"q": "x" * 201},
            {"department": "a'b"},
        ):
            response = browser.get("/open-data", params=params)
            assert 400 <= response.status_code < 500, params
            assert "<script>" not in response.text

    def test_a_hostile_query_is_escaped(self, browser: TestClient, catalog: Catalog) -> None:
        attack = '"><script>alert(1)</script>'
        page = browser.get("/open-data", params={"q": attack}).text
        assert "<script>alert(1)</script>" not in page
        assert html.escape(attack, quote=True) in page or "&#34;&gt;&lt;script&gt;" in page


class TestDatasetPage:
    def test_shows_everything_about_a_public_dataset(
        self, browser: TestClient, session: Session, catalog: Catalog
    ) -> None:
        name = service.package_name(catalog.public)
        response = browser.get(f"/open-data/datasets/{name}", headers=EN)
        assert response.status_code == 200
        page = response.text
        assert "企业登记信息" in page
        assert 'data-testid="schema-table"' in page
        for field in ("qymc", "szqh", "zczb", "clrq"):
            assert f'<td class="mono">{field}</td>' in page
        assert "宁波甲公司" in page  # the preview's first row
        assert 'id="dataset-chart-data"' in page
        assert "vendor/echarts.min.js" in page
        assert "Rows by szqh" in page, re.findall(r"Rows by [^<]*", page)
        for fmt in ("csv", "json", "parquet", "xlsx"):
            assert f'href="/dataset/{name}/download/{fmt}"' in page
        assert 'data-testid="example-ckanapi"' in page
        assert f'package_show(id="{name}")' in page
        assert "datastore_search?resource_id=" in page
        assert 'data-testid="lineage"' in page
        assert 'data-usage="views"' in page
        assert 'data-testid="quality-grade"' in page

    def test_views_are_counted(
        self, browser: TestClient, session: Session, catalog: Catalog
    ) -> None:
        name = service.package_name(catalog.public)
        browser.get(f"/open-data/datasets/{name}")
        page = browser.get(f"/open-data/datasets/{name}").text
        usage.buffer.save()
        assert usage.totals(session, catalog.public.id)["views"] == 2
        assert re.search(r'data-usage="views">[12]<', page)

    def test_non_public_datasets_are_not_found(self, browser: TestClient, catalog: Catalog) -> None:
        unknown = browser.get("/open-data/datasets/no-such-dataset")
        assert unknown.status_code == 404
        for hidden in catalog.hidden:
            for key in (service.package_name(hidden), str(hidden.id)):
                response = browser.get(f"/open-data/datasets/{key}")
                assert response.status_code == 404, hidden.title
                assert hidden.title not in response.text

    def test_an_over_long_or_hostile_name_is_4xx(
        self, browser: TestClient, catalog: Catalog
    ) -> None:
        response = browser.get("/open-data/datasets/" + "a" * 500)
        assert 400 <= response.status_code < 500
        hostile = browser.get("/open-data/datasets/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        assert hostile.status_code == 404
        assert "<script>alert(1)</script>" not in hostile.text

    def test_chart_data_is_json_safe(
        self, browser: TestClient, session: Session, world: World, tmp_path: Path
    ) -> None:
        hostile = publish(
            session, world, tmp_path, opening_type="open", title="恶意数据",
            rows=[("</script><script>alert(1)</script>", "330203", "1", "2020-01-01")],
        )  # fmt: skip
        session.flush()
        page = browser.get(f"/open-data/datasets/{service.package_name(hostile)}").text
        assert "<script>alert(1)</script>" not in page
        assert "</script><script>" not in page
