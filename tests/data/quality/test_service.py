"""Quality service: assessment on publish, rules, re-assessment, dimensions, masking, scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import InvalidInput, NotFound
from govhub.core.storage import get_storage
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.ingest import service as ingest_service
from govhub.data.quality import masking, parse_rules, service
from govhub.data.quality.models import QualityAssessment, QualityRules
from govhub.identity.models import Account
from tests.data.helpers import make_resource
from tests.data.quality.generate import id_number, uscc
from tests.factories import World

HEADER = "tyshxydm,qymc,fddbr,sfzh,clrq"


def register_csv(path: Path, n: int = 40, bad: int = 4) -> Path:
    """Write an enterprise register whose first `bad` rows carry a wrong credit code."""
    lines = [HEADER]
    for i in range(n):
        code = uscc(i)
        if i < bad:
            code = code[:17] + ("0" if code[17] != "0" else "1")
        lines.append(
            f"{code},某某公司{i},张{'三四五六'[i % 4]},{id_number(i)},2020-01-0{1 + i % 9}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fields() -> list[dict[str, Any]]:
    return [
        {"name": "tyshxydm", "type": "string", "element_code": "uscc"},
        {"name": "qymc", "type": "string"},
        {"name": "fddbr", "type": "string", "element_code": "chinese_name", "is_personal": True},
        {"name": "sfzh", "type": "string", "element_code": "id_number", "is_personal": True},
        {"name": "clrq", "type": "date", "element_code": "date"},
    ]


@pytest.fixture
def resource(session: Session, world: World) -> Resource:
    return make_resource(session, world, fields=fields())


def publish(session: Session, world: World, resource: Resource, path: Path) -> DatasetVersion:
    dataset, _ = ingest_service.ingest(
        session,
        principal=world.principal(world.city_a_admin),
        resource_id=resource.id,
        source=path,
        filename=path.name,
    )
    return dataset


def assessments(session: Session, resource: Resource) -> list[QualityAssessment]:
    query = select(QualityAssessment).where(QualityAssessment.resource_id == resource.id)
    return list(session.scalars(query.order_by(QualityAssessment.created_at)))


class TestOnPublish:
    def test_publishing_assesses_the_version_and_grades_the_resource(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        dataset = publish(session, world, resource, register_csv(tmp_path / "r.csv"))
        [row] = assessments(session, resource)
        checks = {c["name"]: c for c in row.checks}
        assert row.dataset_id == dataset.id
        assert row.row_count == 40
        assert checks["tyshxydm.element"]["failed"] == 4
        assert checks["sfzh.element"]["failed"] == 0
        assert checks["clrq.type"]["failed"] == 0
        assert row.scores["accessibility"] == 100.0
        assert row.scores["timeliness"] == 100.0
        assert row.rules_digest.startswith("sha256:")
        assert resource.quality_grade == row.grade

    def test_a_failing_assessment_never_fails_the_publish(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        session.add(
            QualityRules(
                resource_id=resource.id,
                digest="x",
                document={"fields": {"qymc": {"element": "no_such"}}},
            )
        )
        session.flush()
        dataset = publish(session, world, resource, register_csv(tmp_path / "r.csv"))
        assert dataset.version == 1
        assert assessments(session, resource) == []

    def test_very_large_versions_are_left_to_an_on_demand_run(
        self,
        session: Session,
        world: World,
        resource: Resource,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(service, "INLINE_MAX_ROWS", 10)
        publish(session, world, resource, register_csv(tmp_path / "r.csv"))
        assert assessments(session, resource) == []
        service.run_assessment(
            session, principal=world.principal(world.city_a_admin), resource_id=resource.id
        )
        assert len(assessments(session, resource)) == 1


class TestRules:
    def test_declared_rules_are_stored_and_used(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        publish(session, world, resource, register_csv(tmp_path / "r.csv"))
        admin = world.principal(world.city_a_admin)
        rules = parse_rules("keys: [tyshxydm]\nfields:\n  qymc: {max_length: 5}\n")
        service.put_rules(session, principal=admin, resource_id=resource.id, rules=rules)
        _, declared, effective, updated = service.get_rules(
            session, principal=admin, resource_id=resource.id
        )
        assert declared == rules
        assert effective.fields["tyshxydm"].element == "uscc"
        assert updated is not None
        _, row = service.run_assessment(session, principal=admin, resource_id=resource.id)
        checks = {c["name"]: c["failed"] for c in row.checks}
        assert checks["qymc.max_length"] == 30  # 某某公司10 .. 某某公司39
        assert checks["keys.unique"] == 0
        first, second = assessments(session, resource)
        assert first.rules_digest != second.rules_digest

    def test_unknown_elements_and_foreign_resources_are_refused(
        self, session: Session, world: World, resource: Resource
    ) -> None:
        admin = world.principal(world.city_a_admin)
        with pytest.raises(InvalidInput, match="no data element"):
            service.put_rules(
                session,
                principal=admin,
                resource_id=resource.id,
                rules=parse_rules({"fields": {"a": {"element": "nothing"}}}),
            )
        with pytest.raises(NotFound):
            service.put_rules(
                session,
                principal=world.principal(world.city_b_admin),
                resource_id=resource.id,
                rules=parse_rules({}),
            )
        assert session.get(QualityRules, resource.id) is None

    def test_a_shared_resource_serves_as_authoritative_reference(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        authority = make_resource(session, world, title="权威登记", fields=[])
        path = tmp_path / "authority.csv"
        rows = [f"{uscc(i)},{'某某公司' if i % 5 else '别名'}{i}" for i in range(0, 40, 2)]
        path.write_text("uscc,name\n" + "\n".join(rows) + "\n", encoding="utf-8")
        publish(session, world, authority, path)
        publish(session, world, resource, register_csv(tmp_path / "r.csv"))
        admin = world.principal(world.city_a_admin)
        rules = parse_rules(
            {
                "datasets": {"register": authority.identifier},
                "checks": [
                    {
                        "name": "name_agrees",
                        "dimension": "accuracy",
                        "agreement": {
                            "dataset": "register",
                            "key": "tyshxydm",
                            "ref_key": "uscc",
                            "field": "qymc",
                            "ref_field": "name",
                        },
                    },
                    {
                        "name": "known",
                        "reference": {"field": "tyshxydm", "dataset": "register", "key": "uscc"},
                    },
                ],
            }
        )
        service.put_rules(session, principal=admin, resource_id=resource.id, rules=rules)
        _, row = service.run_assessment(session, principal=admin, resource_id=resource.id)
        checks = {c["name"]: c for c in row.checks}
        # rows 0..3 carry wrong codes: 0 and 2 are then missing from the register
        assert (checks["name_agrees"]["failed"], checks["name_agrees"]["evaluated"]) == (3, 18)
        assert checks["known"]["failed"] == 20 + 2
        assert row.scores["accuracy"] == round(100 * (1 - 3 / 18), 2)


class TestDimensions:
    def test_a_missing_object_scores_zero_accessibility(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        dataset = publish(session, world, resource, register_csv(tmp_path / "r.csv"))
        get_storage().delete(dataset.storage_key)
        _, row = service.run_assessment(
            session, principal=world.principal(world.city_a_admin), resource_id=resource.id
        )
        assert row.scores["accessibility"] == 0.0
        assert row.checks == []
        assert row.grade in {"D", "E"}

    def test_stale_data_loses_timeliness(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        dataset = publish(session, world, resource, register_csv(tmp_path / "r.csv"))
        dataset.created_at = datetime.now(UTC) - timedelta(days=10)
        session.flush()
        _, row = service.run_assessment(
            session,
            principal=world.principal(world.city_a_admin),
            resource_id=resource.id,
            version=1,
        )
        assert row.scores["timeliness"] == 0.0

    def test_an_unknown_version_is_not_found(
        self, session: Session, world: World, resource: Resource
    ) -> None:
        with pytest.raises(NotFound):
            service.run_assessment(
                session, principal=world.principal(world.city_a_admin), resource_id=resource.id
            )


class TestVisibility:
    def _samples(
        self, session: Session, world: World, resource: Resource, account: Account | None
    ) -> list[dict[str, Any]]:
        principal = world.principal(account) if account is not None else None
        [row] = assessments(session, resource)
        _, full, _ = service.get_assessment(
            session, principal=principal, resource_id=resource.id, assessment_id=row.id
        )
        checks = service.visible_checks(
            session, resource=resource, row=row, principal=principal, full=full
        )
        samples: list[dict[str, Any]] = next(c for c in checks if c["name"] == "tyshxydm.element")[
            "samples"
        ]
        return samples

    def test_owner_sees_raw_values_others_in_scope_masked(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        publish(session, world, resource, register_csv(tmp_path / "r.csv"))
        owner = self._samples(session, world, resource, world.city_a_official)
        assert owner[0]["sfzh"] == id_number(0)
        assert owner[0]["fddbr"] == "张三"
        other = self._samples(session, world, resource, world.platform_admin)
        masked = other[0]["sfzh"]
        assert masked == id_number(0)[:6] + "********" + id_number(0)[-4:]
        assert other[0]["fddbr"] == "张*"
        assert other[0]["qymc"] == owner[0]["qymc"]

    def test_out_of_scope_sees_nothing_of_a_non_open_resource(
        self, session: Session, world: World, resource: Resource, tmp_path: Path
    ) -> None:
        publish(session, world, resource, register_csv(tmp_path / "r.csv"))
        for account in (world.city_b_admin, world.county_a_official, None):
            principal = world.principal(account) if account is not None else None
            with pytest.raises(NotFound):
                service.list_assessments(session, principal=principal, resource_id=resource.id)

    def test_the_public_sees_scores_of_open_resources_without_samples(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        resource = make_resource(
            session,
            world,
            opening_type="open",
            fields=[{"name": "tyshxydm", "element_code": "uscc"}],
        )
        publish(session, world, resource, register_csv(tmp_path / "r.csv"))
        _, full, rows = service.list_assessments(session, principal=None, resource_id=resource.id)
        assert not full
        assert len(rows) == 1
        assert self._samples(session, world, resource, None) == []
        assert self._samples(session, world, resource, world.city_b_admin) == []


class TestMasking:
    @pytest.mark.parametrize(
        ("value", "element", "masked"),
        [
            ("330102198503071234", "id_number", "330102********1234"),
            ("13800138000", "mobile", "138****8000"),
            ("0571-87654321", "landline", "*********4321"),
            ("zhang.san@example.cn", "email", "z***@example.cn"),
            ("张三丰", "chinese_name", "张**"),
            ("x", "", "*"),
            (None, "mobile", None),
        ],
    )
    def test_values_are_masked_by_element(
        self, value: str | None, element: str, masked: str | None
    ) -> None:
        assert masking.mask_value(value, element) == masked

    def test_personal_columns_come_from_fields_and_rules(self) -> None:
        found = masking.personal_columns(
            [
                {"name": "SFZH", "element_code": "id_number"},
                {"name": "bz", "is_personal": True},
                {"name": "qymc"},
            ],
            {"lxdh": "mobile", "qymc": "uscc"},
        )
        assert found == {"sfzh": "id_number", "bz": "", "lxdh": "mobile"}
