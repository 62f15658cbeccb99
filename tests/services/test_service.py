"""Service-level tests of online services: catalog, search, submission and the workflows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from govhub.identity import authn
from govhub.ledger.models import LedgerPending
from govhub.services import applications, service, timers, workflow
from govhub.services.models import (
    Application,
    ApplicationStatus,
    Matter,
    MatterInstance,
    Task,
    TaskStatus,
)
from govhub.services.schemas import CorrectionCreate, Outcome, TaskComplete
from govhub.services.standard import BUNDLES, MATTERS
from tests.factories import World
from tests.services.helpers import (
    PDF,
    PNG,
    build_catalog,
    document,
    resident,
    restaurant_bundle,
    restaurant_form,
    sc001,
)


def _kinds(session: Session, application: Application) -> list[str]:
    return list(
        session.scalars(
            select(LedgerPending.kind)
            .where(LedgerPending.subject == f"application:{application.id}")
            .order_by(LedgerPending.seq)
        )
    )


class TestCatalog:
    def test_standard_catalog_has_thirty_matters_and_three_bundles(self) -> None:
        assert len(MATTERS) >= 30
        assert len({m.department_type for m in MATTERS}) >= 7
        assert len(BUNDLES) == 3
        codes = {m.code for m in MATTERS}
        assert all(set(b.matter_codes) <= codes for b in BUNDLES)

    def test_load_is_idempotent_and_instantiates_per_division(
        self, session: Session, world: World
    ) -> None:
        build_catalog(session, world)
        assert service.load_standard(session) == 0
        matter = service.get_matter(session, "SC-001")
        divisions = set(
            session.scalars(
                select(MatterInstance.division_code).where(MatterInstance.matter_id == matter.id)
            )
        )
        assert divisions == {"330100", "330102", "330200"}
        with pytest.raises(NotFound):
            service.instance_for(session, service.get_matter(session, "SW-001"), "330200")

    def test_search_ranks_chinese_queries(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        hits = service.search(session, "开餐馆要办食品许可证", semantic=False)
        assert hits[0].code == "SC-003"
        assert {h.code for h in service.search(session, "生孩子", semantic=False)} >= {
            "GA-002",
            "WS-001",
            "RS-003",
        }
        assert service.search(session, "火星移民", semantic=False) == []

    def test_semantic_similarity_blends_in(self, session: Session, world: World) -> None:
        build_catalog(session, world)

        def embed(texts: Sequence[str]) -> list[list[float]]:
            # A tiny real embedder: does the text mention a tax?
            return [[1.0 if "税" in t else 0.0, 1.0] for t in texts]

        plain = {h.code: h.score for h in service.search(session, "纳税", semantic=False)}
        blended = {h.code: h.score for h in service.search(session, "纳税", embedder=embed)}
        assert blended["SW-001"] > plain.get("SW-001", 0)


class TestSubmission:
    def test_submit_starts_review_and_ledgers(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        application, created = service.submit(
            session, principal=citizen, data=sc001(session, citizen)
        )
        assert created
        assert application.status is ApplicationStatus.IN_REVIEW
        assert application.department_id == world.city_a_market.id
        [task] = session.scalars(select(Task).where(Task.application_id == application.id))
        assert (task.step, task.department_id) == ("accept", world.city_a_market.id)
        assert _kinds(session, application) == ["application_submitted"]
        read = service.to_read(session, application)
        assert [m["code"] for m in read.fetched_materials] == ["id_card"]
        assert read.materials[0].material_code == "premises"

    def test_invalid_form_names_fields_and_changes_nothing(
        self, session: Session, world: World
    ) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        form = {**restaurant_form(), "phone": "12", "extra": 1}
        del form["scope"]
        with pytest.raises(InvalidInput) as caught:
            service.submit(session, principal=citizen, data=sc001(session, citizen, form=form))
        fields = {e["field"] for e in caught.value.extra["errors"]}
        assert fields == {"form", "form.phone"}
        assert session.scalar(select(Application.id)) is None

    def test_missing_material_is_refused(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        with pytest.raises(InvalidInput, match="premises"):
            service.submit(
                session, principal=citizen, data=sc001(session, citizen, document_ids=[])
            )

    def test_someone_elses_document_is_unknown(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        other = authn.principal_for(resident(session))
        foreign = document(session, other, "premises")
        data = sc001(session, citizen, document_ids=[foreign.id])
        with pytest.raises(InvalidInput, match="unknown"):
            service.submit(session, principal=citizen, data=data)

    def test_idempotency_key_returns_the_first_application(
        self, session: Session, world: World
    ) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        first, _ = service.submit(
            session, principal=citizen, data=sc001(session, citizen), idempotency_key="key-0001"
        )
        again, created = service.submit(
            session,
            principal=citizen,
            data=sc001(session, citizen, document_ids=[]),  # a retry returns before the documents
            idempotency_key="key-0001",
        )
        assert (again.id, created) == (first.id, False)
        other_form = {**restaurant_form(), "scope": "零售"}
        with pytest.raises(Conflict):
            service.submit(
                session,
                principal=citizen,
                data=sc001(session, citizen, form=other_form),
                idempotency_key="key-0001",
            )
        assert session.scalars(select(Application)).all() == [first]

    def test_identical_application_under_way_conflicts(
        self, session: Session, world: World
    ) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        service.submit(session, principal=citizen, data=sc001(session, citizen))
        with pytest.raises(Conflict, match="already under way"):
            service.submit(session, principal=citizen, data=sc001(session, citizen))

    def test_uploads_are_checked_for_type_and_size(
        self, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        citizen = authn.principal_for(resident(session))
        with pytest.raises(InvalidInput, match="not application/pdf"):
            service.upload(
                session, principal=citizen, filename="x.pdf", content_type="application/pdf",
                data=PNG,
            )  # fmt: skip
        with pytest.raises(InvalidInput, match="must be one of"):
            service.upload(
                session, principal=citizen, filename="x.exe", content_type="application/x-exe",
                data=b"MZ",
            )  # fmt: skip
        with pytest.raises(InvalidInput, match="empty"):
            service.upload(
                session, principal=citizen, filename="x.pdf", content_type="application/pdf",
                data=b"",
            )  # fmt: skip
        monkeypatch.setattr(applications, "MAX_MATERIAL_BYTES", len(PDF) - 1)
        with pytest.raises(PayloadTooLarge):
            service.upload(
                session, principal=citizen, filename="x.pdf", content_type="application/pdf",
                data=PDF,
            )  # fmt: skip

    def test_exactly_one_target(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        with pytest.raises(InvalidInput, match="exactly one"):
            service.submit(
                session, principal=citizen, data=sc001(session, citizen, bundle_code="YJS-CANYIN")
            )


def _decide(
    session: Session, world: World, task: Task, outcome: Outcome, comment: str = ""
) -> None:
    principal = authn.principal_for(world.city_a_admin)
    service.complete(
        session,
        principal=principal,
        task_id=task.id,
        data=TaskComplete(outcome=outcome, comment=comment or None),
    )


def _open(session: Session, application: Application) -> Task:
    return session.scalars(
        select(Task).where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
    ).one()


class TestMatterReview:
    def test_accept_review_decide_approves_and_runs_hooks(
        self, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        application, _ = service.submit(session, principal=citizen, data=sc001(session, citizen))
        approved: list[str] = []
        monkeypatch.setattr(workflow, "on_approved", [lambda s, a: approved.append(str(a.id))])
        for outcome in (Outcome.ACCEPT, Outcome.APPROVE, Outcome.APPROVE):
            _decide(session, world, _open(session, application), outcome)
        assert application.status is ApplicationStatus.APPROVED
        assert application.decided_at is not None
        assert approved == [str(application.id)]
        steps = session.scalars(
            select(Task.step).where(Task.application_id == application.id).order_by(Task.created_at)
        ).all()
        assert list(steps) == ["accept", "review", "decide"]
        assert _kinds(session, application) == ["application_submitted", "application_approved"]

    def test_rejection_needs_a_reason_and_is_ledgered(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        application, _ = service.submit(session, principal=citizen, data=sc001(session, citizen))
        task = _open(session, application)
        with pytest.raises(InvalidInput, match="reason"):
            _decide(session, world, task, Outcome.REJECT)
        with pytest.raises(InvalidInput, match="admits"):
            _decide(session, world, task, Outcome.APPROVE)
        assert task.status is TaskStatus.OPEN
        _decide(session, world, task, Outcome.REJECT, "经营场所不符合要求")
        assert application.status is ApplicationStatus.REJECTED
        assert application.reason == "经营场所不符合要求"
        assert _kinds(session, application)[-1] == "application_rejected"
        with pytest.raises(Conflict):
            _decide(session, world, task, Outcome.REJECT, "again")

    def test_correction_loop_returns_to_acceptance(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        application, _ = service.submit(session, principal=citizen, data=sc001(session, citizen))
        _decide(session, world, _open(session, application), Outcome.CORRECT, "请补充经营范围")
        assert application.status is ApplicationStatus.CORRECTION
        assert _open(session, application).department_id is None  # the applicant's task
        with pytest.raises(InvalidInput):
            service.correct(
                session, principal=citizen, application_id=application.id,
                data=CorrectionCreate(form={"applicant_name": "王"}),
            )  # fmt: skip
        corrected = {**restaurant_form(), "scope": "餐饮服务；预包装食品销售"}
        service.correct(
            session,
            principal=citizen,
            application_id=application.id,
            data=CorrectionCreate(form=corrected),
        )
        assert (
            service.get_own(session, principal=citizen, application_id=application.id).status
            is ApplicationStatus.IN_REVIEW
        )
        assert application.form["scope"].endswith("销售")
        assert _open(session, application).step == "accept"
        with pytest.raises(Conflict):
            service.correct(
                session, principal=citizen, application_id=application.id,
                data=CorrectionCreate(form=corrected),
            )  # fmt: skip

    def test_wrong_department_cannot_see_or_act(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        application, _ = service.submit(session, principal=citizen, data=sc001(session, citizen))
        task = _open(session, application)
        for official in (world.city_b_admin, world.county_a_official, world.platform_admin):
            stranger = authn.principal_for(official)
            with pytest.raises(NotFound):
                service.complete(
                    session, principal=stranger, task_id=task.id,
                    data=TaskComplete(outcome=Outcome.ACCEPT),
                )  # fmt: skip
            assert service.inbox(session, principal=stranger)[1] == 0
        assert task.status is TaskStatus.OPEN
        mine, total = service.inbox(session, principal=authn.principal_for(world.city_a_admin))
        assert (total, mine[0].id) == (1, task.id)

    def test_overdue_flags_and_metrics(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        application, _ = service.submit(session, principal=citizen, data=sc001(session, citizen))
        task = _open(session, application)
        task.created_at = task.created_at - timedelta(hours=30)
        task.due_at = task.created_at + timedelta(hours=1)
        session.flush()
        assert service.task_read(task).overdue
        admin = authn.principal_for(world.city_a_admin)
        stats = service.statistics(session, principal=admin)
        assert stats.overdue_open_tasks == 1
        _decide(session, world, task, Outcome.ACCEPT)
        stats = service.statistics(session, principal=admin)
        accept = next(s for s in stats.steps if s.step == "accept")
        assert (accept.completed, accept.overdue) == (1, 1)
        assert accept.mean_hours is not None
        assert accept.mean_hours >= 30
        assert stats.applications == {"in_review": 1}


class TestBundle:
    def test_restaurant_bundle_runs_four_approvals_in_parallel(
        self, session: Session, world: World
    ) -> None:
        catalog = build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        application, _ = service.submit(
            session, principal=citizen, data=restaurant_bundle(session, citizen)
        )
        tasks = session.scalars(select(Task).where(Task.application_id == application.id)).all()
        assert sorted(t.matter_code for t in tasks) == ["GA-004", "SC-001", "SC-003", "ZF-001"]
        by_department = {t.department_id for t in tasks}
        assert by_department == {world.city_a_market.id, catalog.fire.id, catalog.urban.id}
        for account in (catalog.market_approver, catalog.fire_approver, catalog.urban_approver):
            principal = authn.principal_for(account)
            for task in service.inbox(session, principal=principal)[0]:
                assert application.status is ApplicationStatus.IN_REVIEW
                service.complete(
                    session, principal=principal, task_id=task.id,
                    data=TaskComplete(outcome=Outcome.APPROVE),
                )  # fmt: skip
        assert application.status is ApplicationStatus.APPROVED
        fetched = {m["code"] for m in service.to_read(session, application).fetched_materials}
        assert fetched == {"business_license", "id_card"}

    def test_one_rejection_rejects_the_bundle(self, session: Session, world: World) -> None:
        catalog = build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        application, _ = service.submit(
            session, principal=citizen, data=restaurant_bundle(session, citizen)
        )
        fire = authn.principal_for(catalog.fire_approver)
        [task] = service.inbox(session, principal=fire)[0]
        service.complete(
            session, principal=fire, task_id=task.id,
            data=TaskComplete(outcome=Outcome.REJECT, comment="疏散通道不足"),
        )  # fmt: skip
        for account in (catalog.market_approver, catalog.urban_approver):
            principal = authn.principal_for(account)
            for open_task in service.inbox(session, principal=principal)[0]:
                service.complete(
                    session, principal=principal, task_id=open_task.id,
                    data=TaskComplete(outcome=Outcome.APPROVE),
                )  # fmt: skip
        assert application.status is ApplicationStatus.REJECTED
        assert application.reason == "疏散通道不足"

    def test_bundle_form_needs_every_section(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        data = restaurant_bundle(session, citizen)
        del data.form["GA-004"]
        with pytest.raises(InvalidInput, match="GA-004"):
            service.submit(session, principal=citizen, data=data)
        data.form["GA-004"] = {}
        data.form["XX-1"] = {}
        with pytest.raises(InvalidInput, match="unknown form sections"):
            service.submit(session, principal=citizen, data=data)


class TestProcesses:
    def test_both_processes_are_executable(self) -> None:
        assert workflow.process_keys() == ["bundle_parallel", "matter_review"]
        with pytest.raises(InvalidInput, match="unknown process"):
            workflow.start("no_such_process", {})

    def test_state_survives_serialization(self) -> None:
        now = datetime(2026, 12, 4, 9, tzinfo=UTC)
        limits = timers.process_limits(now, workflow.add_working_days(now, 1))
        process = workflow.start("matter_review", {"matter_code": "SC-001", **limits})
        restored = workflow.load(workflow.dump(process))
        ready_tasks = restored.get_tasks(state=TaskState.READY, manual=True)
        [ready] = [t.task_spec.bpmn_id for t in ready_tasks]
        assert ready == "accept"


class TestWorkingDays:
    def test_weekends_are_skipped(self) -> None:
        friday = datetime(2026, 12, 4, 9, tzinfo=UTC)
        assert workflow.add_working_days(friday, 1).weekday() == 0
        assert workflow.add_working_days(friday, 5) == friday + timedelta(days=7)

    def test_matter_rows_exist(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        assert session.scalar(select(Matter.code).where(Matter.code == "ZF-004")) == "ZF-004"
