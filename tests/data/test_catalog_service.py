"""Catalog service: creation rules, versions, scope and search."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.data.catalog import scope, search
from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.models import Resource, ResourceVersion, SearchTerm
from govhub.data.catalog.schemas import (
    ResourceCreate,
    ResourcePublicRead,
    ResourceRead,
    ResourceUpdate,
)
from govhub.identity.permissions import Role
from tests.data.helpers import OPEN, make_resource, resource_body
from tests.factories import World, add_official


def _resources(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Resource)) or 0


class TestCreate:
    def test_identifier_version_and_first_snapshot(self, session: Session, world: World) -> None:
        first = make_resource(session, world)
        second = make_resource(session, world, title="企业年报")
        assert (first.identifier, second.identifier) == ("A-SCJG-0001", "A-SCJG-0002")
        assert first.version == 1
        assert first.department_id == world.city_a_market.id
        assert [t.value for t in first.themes] == ["credit", "market"]
        snapshot = session.get(ResourceVersion, (first.id, 1))
        assert snapshot is not None
        assert snapshot.snapshot["title"] == "企业登记信息"

    def test_identifiers_skip_numbers_already_taken(self, session: Session, world: World) -> None:
        first = make_resource(session, world)
        make_resource(session, world, title="企业年报")
        session.delete(first)
        session.flush()
        third = make_resource(session, world, title="企业注销")
        assert third.identifier == "A-SCJG-0003"

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"fields": [{"name": "a", "element_code": "nope"}]}, "fields.0.element_code"),
            ({"fields": [{"name": "a"}, {"name": "A"}]}, "fields.1.name"),
            ({"division_codes": ["330200"]}, "division_codes"),
            ({"division_codes": ["330199"]}, "division_codes"),
            ({"temporal_start": "2024-01-02", "temporal_end": "2024-01-01"}, "temporal_end"),
            ({"sharing_type": "conditional"}, "sharing_conditions"),
            ({"opening_type": "conditional", "sharing_conditions": ""}, "opening_conditions"),
            ({"opening_type": "open", "sharing_type": "not_shared", "fields": []}, "sharing_type"),
            ({"opening_type": "open", "security_class": "core", "fields": []}, "opening_type"),
            ({"opening_type": "open"}, "opening_type"),  # personal field
        ],
    )
    def test_inconsistent_metadata_is_refused(
        self, session: Session, world: World, overrides: dict[str, Any], field: str
    ) -> None:
        before = _resources(session)
        with pytest.raises(InvalidInput) as caught:
            make_resource(session, world, **overrides)
        assert caught.value.extra["errors"][0]["field"] == field
        assert _resources(session) == before

    def test_malformed_schema_is_refused_by_the_schema(self) -> None:
        for fields in (
            [{"name": "1abc"}],
            [{"name": "a b"}],
            [{"name": "a", "type": "blob"}],
            [{"name": "a", "secret": True}],
            [{"name": f"f{i}"} for i in range(501)],
        ):
            with pytest.raises(ValidationError):
                ResourceCreate.model_validate(resource_body(fields=fields))

    def test_nul_characters_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="NUL"):
            ResourceCreate.model_validate(resource_body(title="企业\x00登记"))

    def test_only_for_the_own_department_without_manage(
        self, session: Session, world: World
    ) -> None:
        with pytest.raises(NotFound):
            make_resource(session, world, department_id=str(world.county_a_market.id))
        # The platform administrator manages every department in the province.
        made = make_resource(
            session,
            world,
            account=world.platform_admin,
            department_id=str(world.county_a_market.id),
            division_codes=["330102"],
        )
        assert made.department_id == world.county_a_market.id


class TestVersions:
    def test_every_update_is_a_new_version_and_old_ones_stay(
        self, session: Session, world: World
    ) -> None:
        resource = make_resource(session, world)
        principal = world.principal(world.city_a_admin)
        catalog_service.update_resource(
            session,
            principal=principal,
            resource_id=resource.id,
            data=ResourceUpdate(title="企业登记信息（2025版）", themes=["market"]),
        )
        catalog_service.update_resource(
            session,
            principal=principal,
            resource_id=resource.id,
            data=ResourceUpdate(base_version=2, description="新的说明"),
        )
        assert resource.version == 3
        versions = catalog_service.list_versions(
            session, principal=principal, resource_id=resource.id
        )
        assert [v.version for v in versions] == [3, 2, 1]
        one = catalog_service.get_version(
            session, principal=principal, resource_id=resource.id, version=1
        )
        two = catalog_service.get_version(
            session, principal=principal, resource_id=resource.id, version="2"
        )
        assert one.resource.title == "企业登记信息"
        assert [t.value for t in one.resource.themes] == ["credit", "market"]
        assert two.resource.title == "企业登记信息（2025版）"
        assert [t.value for t in two.resource.themes] == ["market"]
        assert two.resource.description == one.resource.description
        for missing in (4, "abc", "-1"):
            with pytest.raises(NotFound):
                catalog_service.get_version(
                    session, principal=principal, resource_id=resource.id, version=missing
                )

    def test_a_stale_base_version_is_a_conflict(self, session: Session, world: World) -> None:
        resource = make_resource(session, world)
        principal = world.principal(world.city_a_admin)
        with pytest.raises(Conflict):
            catalog_service.update_resource(
                session,
                principal=principal,
                resource_id=resource.id,
                data=ResourceUpdate(base_version=7, title="过时的修改"),
            )
        assert resource.version == 1

    def test_an_update_that_breaks_a_rule_changes_nothing(
        self, session: Session, world: World
    ) -> None:
        resource = make_resource(session, world)
        with pytest.raises(InvalidInput):
            catalog_service.update_resource(
                session,
                principal=world.principal(world.city_a_admin),
                resource_id=resource.id,
                data=ResourceUpdate(opening_type="open"),  # it has a personal field
            )
        session.refresh(resource)
        assert (resource.version, resource.opening_type.value) == (1, "not_open")

    def test_an_empty_update_is_refused(self, session: Session, world: World) -> None:
        with pytest.raises(ValidationError):
            ResourceUpdate(base_version=1)
        resource = make_resource(session, world)
        with pytest.raises(InvalidInput) as caught:
            catalog_service.update_resource(
                session,
                principal=world.principal(world.city_a_admin),
                resource_id=resource.id,
                data=ResourceUpdate(title=None),
            )
        assert caught.value.extra["errors"][0]["field"] == "title"


class TestScope:
    def test_views_by_principal(self, session: Session, world: World) -> None:
        closed = make_resource(session, world)
        opened = make_resource(session, world, title="企业名录", **OPEN)
        get = catalog_service.get_resource
        # In scope: full metadata; the county below the city does not cover the city.
        official = world.principal(world.city_a_official)
        assert isinstance(scope.to_schema(closed, official), ResourceRead)
        county = world.principal(world.county_a_official)
        with pytest.raises(NotFound):
            get(session, principal=county, resource_id=closed.id)
        assert get(session, principal=county, resource_id=opened.id) is opened
        assert isinstance(scope.to_schema(opened, county), ResourcePublicRead)
        assert isinstance(scope.to_schema(opened, None), ResourcePublicRead)
        with pytest.raises(NotFound):
            get(session, principal=None, resource_id=closed.id)
        with pytest.raises(NotFound):
            get(session, principal=None, resource_id=uuid.uuid4())

    def test_a_data_owner_edits_only_their_department(self, session: Session, world: World) -> None:
        owner = add_official(session, f"owner{uuid.uuid4().hex[:6]}", world.city_a_tax,
                             Role.DATA_OWNER)  # fmt: skip
        theirs = make_resource(session, world, account=owner, title="纳税人登记", division_codes=[])
        ours = make_resource(session, world)
        principal = world.principal(owner)
        catalog_service.update_resource(
            session, principal=principal, resource_id=theirs.id, data=ResourceUpdate(title="改")
        )
        with pytest.raises(NotFound):
            catalog_service.update_resource(
                session, principal=principal, resource_id=ours.id, data=ResourceUpdate(title="改")
            )
        # ... though, in the same division, they read it in full.
        assert scope.sees_full(principal, ours)


class TestSearch:
    def _titles(
        self, session: Session, world: World, principal_account: object, **kw: object
    ) -> list[str]:
        principal = world.principal(principal_account) if principal_account else None  # type: ignore[arg-type]
        result = search.search_resources(
            session,
            principal=principal,
            query=search.SearchQuery(**kw),  # type: ignore[arg-type]
        )
        return sorted(item.title for item in result.items)

    def test_chinese_and_english_text(self, session: Session, world: World) -> None:
        make_resource(session, world)
        make_resource(session, world, title="纳税人登记信息", title_en="Taxpayer register",
                      description="税务部门的纳税人登记", description_en="", keywords=["税务"],
                      themes=["taxation"],
                      fields=[{"name": "nsrsbh", "description": "纳税人识别号"},
                              {"name": "fddbr", "description": "法定代表人"}])  # fmt: skip
        make_resource(session, world, title="社区人口统计", title_en="Population by community",
                      description="按社区统计常住人口", description_en="", keywords=[],
                      themes=["population"], fields=[])  # fmt: skip
        admin = world.city_a_admin
        assert self._titles(session, world, admin, text="登记") == [
            "企业登记信息",
            "纳税人登记信息",
        ]
        assert self._titles(session, world, admin, text="企业登记") == ["企业登记信息"]
        assert self._titles(session, world, admin, text="市场监督管理局") == ["企业登记信息"]
        assert self._titles(session, world, admin, text="社区人口") == ["社区人口统计"]
        assert self._titles(session, world, admin, text="POPULATION") == ["社区人口统计"]
        assert self._titles(session, world, admin, text="taxpayer register") == ["纳税人登记信息"]
        assert self._titles(session, world, admin, text="A-SCJG-0002") == ["纳税人登记信息"]
        assert self._titles(session, world, admin, text="法定代表人") == [
            "企业登记信息",
            "纳税人登记信息",
        ]
        assert self._titles(session, world, admin, text="火星") == []

    def test_english_plurals_match_singulars(self, session: Session, world: World) -> None:
        make_resource(session, world, title_en="Registered companies and their addresses")
        admin = world.city_a_admin
        for text in ("company", "Companies", "address", "registered COMPANY"):
            assert self._titles(session, world, admin, text=text) == ["企业登记信息"], text
        assert search.singular("status") == "status"
        assert search.singular("business") == "business"
        assert search.singular("taxes") == "tax"

    def test_terms_follow_updates(self, session: Session, world: World) -> None:
        resource = make_resource(session, world)
        catalog_service.update_resource(
            session,
            principal=world.principal(world.city_a_admin),
            resource_id=resource.id,
            data=ResourceUpdate(title="个体工商户名录", description="", keywords=[], fields=[]),
        )
        terms = set(
            session.scalars(select(SearchTerm.term).where(SearchTerm.resource_id == resource.id))
        )
        assert "工商户" in terms
        assert "企业" not in terms
        assert self._titles(session, world, world.city_a_admin, text="企业") == []

    def test_hostile_queries_match_nothing_and_break_nothing(
        self, session: Session, world: World
    ) -> None:
        make_resource(session, world)
        for text in ("%", "_", "' OR 1=1 --", "企业%", "\\", "<script>"):
            titles = self._titles(session, world, world.city_a_admin, text=text)
            assert titles in ([], ["企业登记信息"]), text
        assert search.query_terms("%_'") == []

    def test_facets_count_every_other_filter(self, session: Session, world: World) -> None:
        make_resource(session, world)
        make_resource(session, world, title="企业名录", themes=["market"], **OPEN)
        make_resource(session, world, account=world.platform_admin, title="县企业",
                      department_id=str(world.county_a_market.id), division_codes=[],
                      sharing_type="conditional", sharing_conditions="仅限监管用途")  # fmt: skip
        result = search.search_resources(
            session,
            principal=world.principal(world.city_a_admin),
            query=search.SearchQuery(theme="market", opening_type="not_open"),  # type: ignore[arg-type]
        )
        assert result.total == 2
        facets = {k: {c.value: c.count for c in v} for k, v in result.facets.items()}
        assert facets["opening_type"] == {"not_open": 2, "open": 1}
        assert facets["theme"] == {"market": 2, "credit": 2}
        assert facets["sharing_type"] == {"unconditional": 1, "conditional": 1}
        assert facets["department"] == {str(world.city_a_market.id): 1,
                                        str(world.county_a_market.id): 1}  # fmt: skip
        assert facets["quality_grade"] == {}

    def test_the_public_sees_open_resources_and_no_sharing_types(
        self, session: Session, world: World
    ) -> None:
        make_resource(session, world)
        make_resource(session, world, title="企业名录", **OPEN)
        result = search.search_resources(session, principal=None, query=search.SearchQuery())
        assert [i.title for i in result.items] == ["企业名录"]
        assert all(isinstance(i, ResourcePublicRead) and not isinstance(i, ResourceRead)
                   for i in result.items)  # fmt: skip
        assert result.facets["sharing_type"] == []
        filtered = search.search_resources(
            session,
            principal=None,
            query=search.SearchQuery(sharing_type="unconditional"),  # type: ignore[arg-type]
        )
        assert filtered.total == 0

    def test_other_divisions_see_only_open_resources(self, session: Session, world: World) -> None:
        make_resource(session, world)
        make_resource(session, world, title="企业名录", **OPEN)
        assert self._titles(session, world, world.city_b_admin) == ["企业名录"]
        assert self._titles(session, world, world.city_a_leader) == ["企业名录", "企业登记信息"]
