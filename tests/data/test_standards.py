"""The data element dictionary: shipped elements, department elements, mapping suggestions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.errors import InvalidInput
from govhub.data.standards import mapping
from govhub.data.standards import service as standards_service
from govhub.data.standards.builtin import BUILTIN_ELEMENTS
from govhub.data.standards.models import DataElement
from govhub.data.standards.schemas import ColumnSample, ElementCreate, MappingRequest
from govhub.identity.codes import uscc_check_char
from govhub.identity.models import Account
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from tests.factories import World, make_id_number

Login = Callable[[Account], dict[str, str]]
ELEMENTS = "/api/v1/standards/elements"
SUGGEST = "/api/v1/standards/mapping-suggestions"


def _uscc(n: int) -> str:
    first = f"91330100MA{n:07d}"
    return first + uscc_check_char(first)


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DataElement)) or 0


class TestShippedElements:
    def test_the_migration_ships_exactly_the_builtin_elements(self, session: Session) -> None:
        rows = {
            e.code: e
            for e in session.scalars(select(DataElement).where(DataElement.is_builtin.is_(True)))
        }
        assert set(rows) == {e.code for e in BUILTIN_ELEMENTS}
        for shipped in BUILTIN_ELEMENTS:
            row = rows[shipped.code]
            assert row.department_id is None
            assert (row.name, row.name_en, row.data_type, row.validator, row.max_length) == (
                shipped.name,
                shipped.name_en,
                shipped.data_type,
                shipped.validator,
                shipped.max_length,
            )
            assert row.synonyms == list(shipped.synonyms)
            assert row.description == shipped.description
            expected = list(shipped.allowed_values) if shipped.allowed_values else None
            assert row.allowed_values == expected

    def test_anyone_reads_the_dictionary(self, client: TestClient) -> None:
        response = client.get(ELEMENTS, params={"platform": True, "limit": 500})
        assert response.status_code == 200
        codes = {item["code"] for item in response.json()["items"]}
        assert {"id_number", "uscc", "division_code", "gender_code", "amount"} <= codes
        gender = client.get(f"{ELEMENTS}/gender_code").json()
        assert gender["allowed_values"] == ["0", "1", "2", "9"]

    def test_search_by_chinese_name(self, client: TestClient) -> None:
        items = client.get(ELEMENTS, params={"q": "信用代码"}).json()["items"]
        assert [i["code"] for i in items] == ["uscc"]

    def test_unknown_element_is_404(self, client: TestClient) -> None:
        response = client.get(f"{ELEMENTS}/no_such_thing")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")


class TestDepartmentElements:
    def test_an_administrator_adds_one_for_their_department(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        body = {"code": "a_business_status", "name": "经营状态", "allowed_values": ["1", "2"],
                "synonyms": ["jyzt"]}  # fmt: skip
        response = client.post(ELEMENTS, json=body, headers=login(world.city_a_admin))
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["department_id"] == str(world.city_a_market.id)
        assert created["is_builtin"] is False
        assert created["validator"] is None
        listed = client.get(ELEMENTS, params={"department_id": str(world.city_a_market.id)})
        assert [i["code"] for i in listed.json()["items"]] == ["a_business_status"]

    def test_an_invalid_regex_is_a_422_naming_the_field(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        before = _count(session)
        body = {"code": "broken", "name": "坏的", "pattern": "([A-Z"}
        response = client.post(ELEMENTS, json=body, headers=login(world.city_a_admin))
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["pattern"]
        assert _count(session) == before

    def test_a_catastrophic_regex_is_refused(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        body = {"code": "slow", "name": "慢的", "pattern": r"(\w+)+$"}
        response = client.post(ELEMENTS, json=body, headers=login(world.city_a_admin))
        assert response.status_code == 422
        assert "nested quantifiers" in response.text

    def test_an_element_needs_a_rule(self, client: TestClient, world: World, login: Login) -> None:
        response = client.post(
            ELEMENTS, json={"code": "vague", "name": "含糊"}, headers=login(world.city_a_admin)
        )
        assert response.status_code == 422

    def test_a_taken_code_is_a_conflict(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        body = {"code": "uscc", "name": "重复", "pattern": "[0-9]+"}
        response = client.post(ELEMENTS, json=body, headers=login(world.city_a_admin))
        assert response.status_code == 409

    def test_another_departments_element_cannot_be_added(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        before = _count(session)
        body = {"code": "b_thing", "name": "别人的", "pattern": "[0-9]+",
                "department_id": str(world.city_a_tax.id)}  # fmt: skip
        response = client.post(ELEMENTS, json=body, headers=login(world.city_a_admin))
        assert response.status_code == 404
        assert _count(session) == before

    def test_hostile_and_oversized_input_is_refused(
        self, client: TestClient, session: Session, world: World, login: Login
    ) -> None:
        headers = login(world.city_a_admin)
        before = _count(session)
        cases = [
            {"code": "nul", "name": "坏\x00名", "pattern": "[0-9]+"},
            {"code": "'; drop table data_elements; --", "name": "x", "pattern": "[0-9]+"},
            {"code": "many", "name": "多", "allowed_values": [str(i) for i in range(1001)]},
            {"code": "dupes", "name": "重", "allowed_values": ["1", "1"]},
            {"code": "long", "name": "长", "pattern": "a" * 501},
            {"code": "extra", "name": "多余", "pattern": "a", "is_builtin": True},
        ]
        for body in cases:
            response = client.post(ELEMENTS, json=body, headers=headers)
            assert response.status_code == 422, body
        assert _count(session) == before


class TestValueChecks:
    def test_failing_indices_of_a_column(self, client: TestClient, world: World) -> None:
        values = ["330100", None, "330300", "", "abc", "330102001"]
        response = client.post(f"{ELEMENTS}/division_code/checks", json={"values": values})
        assert response.status_code == 200
        assert response.json() == {
            "element_code": "division_code",
            "checked": 6,
            "failed": 2,
            "failing_indices": [2, 4],  # 330300 is well-formed but not on the platform
        }

    def test_department_element_rules_apply(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        body = {"code": "a_grade", "name": "等级", "allowed_values": ["A", "B"], "max_length": 1}
        assert (
            client.post(ELEMENTS, json=body, headers=login(world.city_a_admin)).status_code == 201
        )
        response = client.post(f"{ELEMENTS}/a_grade/checks", json={"values": ["A", "C", "B"]})
        assert response.json()["failing_indices"] == [1]

    def test_bad_checks(self, client: TestClient) -> None:
        assert client.post(f"{ELEMENTS}/nope/checks", json={"values": ["1"]}).status_code == 404
        too_many = {"values": ["1"] * 10_001}
        assert client.post(f"{ELEMENTS}/gender_code/checks", json=too_many).status_code == 422
        assert client.post(f"{ELEMENTS}/gender_code/checks", json={"values": []}).status_code == 422
        nul = {"values": ["1\x00"]}
        assert client.post(f"{ELEMENTS}/gender_code/checks", json=nul).status_code == 422


class TestMappingSuggestions:
    def test_names_in_chinese_pinyin_and_english(self, session: Session, world: World) -> None:
        request = MappingRequest(
            columns=[
                ColumnSample(name="身份证号"),
                ColumnSample(name="TYSHXYDM"),
                ColumnSample(name="id_number"),
                ColumnSample(name="Postal Code"),
                ColumnSample(name="备注"),
            ]
        )
        result = standards_service.suggest_mapping(session, data=request)
        best = [c.suggestions[0].element_code if c.suggestions else None for c in result.columns]
        assert best == ["id_number", "uscc", "id_number", "postal_code", None]
        assert result.columns[0].suggestions[0].confidence == mapping.EXACT_NAME

    def test_values_alone_identify_specific_elements(self, session: Session, world: World) -> None:
        ids = [make_id_number(seq=f"{i:03d}") for i in range(10)]
        codes = [_uscc(i) for i in range(10)]
        request = MappingRequest(
            columns=[
                ColumnSample(name="col_a", samples=ids),
                ColumnSample(name="col_b", samples=codes),
                ColumnSample(name="col_c", samples=["330100", "330102", None]),
                ColumnSample(name="col_d", samples=["甲", "乙", "丙"]),
            ]
        )
        result = standards_service.suggest_mapping(session, data=request)
        first = result.columns[0].suggestions[0]
        assert first.element_code == "id_number"
        assert first.name_score == 0
        assert first.value_score > 0.9
        assert result.columns[1].suggestions[0].element_code == "uscc"
        assert result.columns[2].suggestions[0].element_code == "division_code"
        assert result.columns[3].suggestions == []

    def test_name_and_values_together_are_surest(self, session: Session, world: World) -> None:
        samples = [make_id_number(seq=f"{i:03d}") for i in range(5)]
        both = standards_service.suggest_mapping(
            session, data=MappingRequest(columns=[ColumnSample(name="sfzh", samples=samples)])
        )
        wrong = standards_service.suggest_mapping(
            session, data=MappingRequest(columns=[ColumnSample(name="sfzh", samples=["x", "y"])])
        )
        assert both.columns[0].suggestions[0].confidence > 0.99
        assert wrong.columns[0].suggestions[0].confidence == mapping.EXACT_NAME

    def test_division_codes_must_exist_to_count(self, session: Session, world: World) -> None:
        request = MappingRequest(columns=[ColumnSample(name="x", samples=["990100", "990200"])])
        result = standards_service.suggest_mapping(session, data=request)
        assert "division_code" not in [s.element_code for s in result.columns[0].suggestions]

    def test_department_elements_are_suggested_too(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        headers = login(world.city_a_admin)
        body = {"code": "a_licence_no", "name": "许可证编号", "pattern": r"JY\d{14}",
                "synonyms": ["xkzbh"]}  # fmt: skip
        assert client.post(ELEMENTS, json=body, headers=headers).status_code == 201
        columns = [{"name": "XKZBH", "samples": ["JY12345678901234", "JY22345678901234"]}]
        response = client.post(SUGGEST, json={"columns": columns}, headers=headers)
        assert response.status_code == 200
        suggestion = response.json()["columns"][0]["suggestions"][0]
        assert suggestion["element_code"] == "a_licence_no"
        assert suggestion["confidence"] > mapping.EXACT_NAME

    def test_too_many_columns_or_samples_are_refused(
        self, client: TestClient, world: World, login: Login
    ) -> None:
        headers = login(world.city_a_official)
        many = {"columns": [{"name": f"c{i}"} for i in range(501)]}
        assert client.post(SUGGEST, json=many, headers=headers).status_code == 422
        samples = {"columns": [{"name": "c", "samples": ["1"] * 201}]}
        assert client.post(SUGGEST, json=samples, headers=headers).status_code == 422
        assert client.post(SUGGEST, json={"columns": []}, headers=headers).status_code == 422


class TestMappingRules:
    def test_name_scores(self) -> None:
        names = ("身份证号", "sfzh", "id_number", "")
        assert mapping.name_score("ID-Number", names) == mapping.EXACT_NAME
        assert mapping.name_score("法人身份证号", names) == mapping.PARTIAL_NAME
        assert mapping.name_score("sf", names) == 0  # too short to count as contained
        assert mapping.name_score(" _ ", names) == 0

    def test_value_scores(self) -> None:
        assert mapping.value_score(["1", "2"], None, 1.0) == 0
        assert mapping.value_score([None, ""], str.isdigit, 1.0) == 0
        assert mapping.value_score(["1", "2", "x"], str.isdigit, 1.0) == 0  # below 80 % passing
        assert mapping.value_score(["1", "2", "3", "4", "x"], str.isdigit, 0.5) == 0.4

    def test_a_code_list_element_is_suggested_by_values(
        self, session: Session, world: World
    ) -> None:
        element = standards_service.create_element(
            session,
            principal=world.principal(world.city_a_admin),
            data=ElementCreate(code="a_risk", name="风险等级", allowed_values=["高", "中", "低"]),
        )
        request = MappingRequest(columns=[ColumnSample(name="c1", samples=["高", "低", "中"])])
        result = standards_service.suggest_mapping(session, data=request, elements=[element])
        suggestion = result.columns[0].suggestions[0]
        assert suggestion.element_code == "a_risk"
        assert suggestion.value_score == standards_service.CODE_LIST_WEIGHT

    def test_a_principal_without_department_must_name_one(self, session: Session) -> None:
        service_account = Principal(
            username="svc", display_name="svc", roles=frozenset({Role.DATA_OWNER})
        )
        with pytest.raises(InvalidInput) as caught:
            standards_service.create_element(
                session,
                principal=service_account,
                data=ElementCreate(code="x_thing", name="某物", pattern="[0-9]+"),
            )
        assert caught.value.extra["errors"][0]["field"] == "department_id"
