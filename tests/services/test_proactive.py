"""Proactive services: rules over published data invite eligible residents once, with the form
pre-filled; invitees alone accept (with consent, through the normal submission) or decline;
malformed rules and wrong callers get clear refusals that change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.errors import PROBLEM_BASE
from govhub.data.sharing import service as sharing_service
from govhub.identity import authn
from govhub.identity.models import Account
from govhub.ledger.models import LedgerPending
from govhub.ledger.schemas import EntryKind
from govhub.services.models import Application, ApplicationStatus, Task
from govhub.services.proactive import service
from govhub.services.proactive.models import Invitation, InvitationStatus, ProactiveRule
from govhub.services.proactive.schemas import RuleCreate
from tests.browsing import csrf_from
from tests.data.sharing.helpers import make_request
from tests.factories import World
from tests.services.proactive_helpers import (
    ACCEPT_FORM,
    Commission,
    add_version,
    birth,
    build_commission,
    publish_births,
    registered_parent,
    subsidy_rule,
)

Login = Callable[[Account], dict[str, str]]
RULES = "/api/v1/services/proactive/rules"
INVITATIONS = "/api/v1/services/invitations"


def _problem(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json()["type"]).removeprefix(PROBLEM_BASE)


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _ledgered(session: Session, kind: EntryKind) -> list[LedgerPending]:
    return list(session.scalars(select(LedgerPending).where(LedgerPending.kind == kind.value)))


def _invitations(session: Session, account: Account) -> list[Invitation]:
    return list(session.scalars(select(Invitation).where(Invitation.account_id == account.id)))


@pytest.fixture
def commission(session: Session, world: World) -> Commission:
    """City A's health commission with its administrator, and the catalog."""
    return build_commission(session, world)


@pytest.fixture
def family(session: Session) -> tuple[Account, str, Account, str]:
    """Two registered parents: (mother, her ID number, father, his ID number)."""
    mother, m_number = registered_parent(session)
    father, f_number = registered_parent(session)
    return mother, m_number, father, f_number


def _rule(session: Session, commission: Commission, resource_id: Any, **kw: Any) -> ProactiveRule:
    admin = authn.principal_for(commission.admin)
    data = RuleCreate.model_validate(subsidy_rule(resource_id, **kw))
    return service.create_rule(session, principal=admin, data=data)


class TestEvaluation:
    def test_invites_both_registered_parents_with_the_form_prefilled(
        self, session: Session, commission: Commission, family: tuple[Account, str, Account, str]
    ) -> None:
        mother, m_number, father, f_number = family
        _, stranger = registered_parent(session)
        resource = publish_births(session, commission.admin, [
            birth("R0001", m_number, f_number),
            birth("R0002", stranger, "110101199001011237"),  # the father is not registered
            birth("R0003", m_number, f_number, days=90),  # outside the 30-day window
            birth("R0004", m_number, f_number, division="330200"),  # another city
        ])  # fmt: skip
        rule = _rule(session, commission, resource.id)
        admin = authn.principal_for(commission.admin)

        result = service.evaluate_now(session, principal=admin, rule_id=rule.id)

        assert (result.records, result.invited, result.not_registered) == (2, 3, 1)
        [invitation] = _invitations(session, mother)
        assert invitation.status is InvitationStatus.PENDING
        assert invitation.matter_code == "WS-005"
        assert invitation.division_code == "330100"  # the county's city offers the matter
        assert invitation.form["child_name"] == "王小宝"
        assert invitation.form["birth_cert_no"] == "R0001"
        assert len(invitation.form["birth_date"]) == 10
        assert len(_invitations(session, father)) == 1
        sent = _ledgered(session, EntryKind.INVITATION_SENT)
        assert sorted(e.subject for e in sent) == sorted(
            f"invitation:{i.id}" for i in session.scalars(select(Invitation))
        )
        assert {e.department_id for e in sent} == {commission.department.id}

    def test_conditions_narrow_the_records(
        self, session: Session, commission: Commission, family: tuple[Account, str, Account, str]
    ) -> None:
        mother, m_number, _, f_number = family
        resource = publish_births(session, commission.admin, [birth("R0010", m_number, f_number)])
        rule = _rule(session, commission, resource.id,
                     conditions=[{"field": "xsrxm", "equals": "李小宝"}])  # fmt: skip
        admin = authn.principal_for(commission.admin)
        result = service.evaluate_now(session, principal=admin, rule_id=rule.id)
        assert (result.records, result.invited) == (0, 0)
        assert _invitations(session, mother) == []

    def test_a_granted_resource_is_read_under_the_grant_and_ledgered(
        self, session: Session, world: World, commission: Commission,
        family: tuple[Account, str, Account, str],
    ) -> None:  # fmt: skip
        mother, m_number, _, f_number = family
        resource = publish_births(session, world.city_a_admin, [birth("R0020", m_number, f_number)])
        request = make_request(
            session, world, commission.admin, resource,
            fields=["cszmbh", "xsrxm", "csrq", "mqsfzh", "fqsfzh", "csdxzqh"], row_filter=[],
        )  # fmt: skip
        grant = sharing_service.grant_of(session, request)
        assert grant is not None
        rule = _rule(session, commission, resource.id)
        service.evaluate_now(session, principal=authn.principal_for(commission.admin),
                             rule_id=rule.id)  # fmt: skip
        assert len(_invitations(session, mother)) == 1
        reads = _ledgered(session, EntryKind.DATA_ACCESS)
        assert [(e.subject, e.department_id) for e in reads] == [
            (f"grant:{grant.id}", world.city_a_market.id)
        ]


class TestIdempotency:
    def test_evaluating_again_invites_nobody_twice(
        self, session: Session, commission: Commission, family: tuple[Account, str, Account, str]
    ) -> None:
        _mother, m_number, _, f_number = family
        resource = publish_births(session, commission.admin, [birth("R0100", m_number, f_number)])
        rule = _rule(session, commission, resource.id)
        admin = authn.principal_for(commission.admin)
        first = service.evaluate_now(session, principal=admin, rule_id=rule.id)
        again = service.evaluate_now(session, principal=admin, rule_id=rule.id)
        assert (first.invited, again.invited, again.already_invited) == (2, 0, 2)
        assert _count(session, Invitation) == 2

    def test_new_data_invites_only_for_new_records(
        self, session: Session, commission: Commission, family: tuple[Account, str, Account, str]
    ) -> None:
        mother, m_number, father, f_number = family
        resource = publish_births(session, commission.admin, [birth("R0200", m_number, f_number)])
        rule = _rule(session, commission, resource.id)
        service.evaluate_now(session, principal=authn.principal_for(commission.admin),
                             rule_id=rule.id)  # fmt: skip
        # The next day's file repeats yesterday's record and adds twins' second certificate:
        # publication evaluates the rule by itself.
        rows = [birth("R0200", m_number, f_number), birth("R0201", m_number, f_number)]
        add_version(session, commission.admin, resource, rows)
        assert sorted(i.form["birth_cert_no"] for i in _invitations(session, mother)) == [
            "R0200", "R0201"]  # fmt: skip
        assert len(_invitations(session, father)) == 2

    def test_a_paused_rule_does_not_run_on_publication(
        self, session: Session, commission: Commission, family: tuple[Account, str, Account, str]
    ) -> None:
        mother, m_number, _, f_number = family
        resource = publish_births(session, commission.admin, [birth("R0300", m_number, f_number)])
        _rule(session, commission, resource.id).active = False
        add_version(session, commission.admin, resource, [birth("R0300", m_number, f_number)])
        assert _invitations(session, mother) == []

    def test_data_that_lost_a_column_skips_the_rule_and_still_publishes(
        self, session: Session, client: TestClient, login: Login, commission: Commission,
        family: tuple[Account, str, Account, str],
    ) -> None:  # fmt: skip
        mother, m_number, _, f_number = family
        resource = publish_births(session, commission.admin, [birth("R0350", m_number, f_number)])
        rule = _rule(session, commission, resource.id)
        version = add_version(session, commission.admin, resource,
                              [birth("R0351", m_number, f_number)], drop="xsrxm")  # fmt: skip
        assert version.version == 2
        assert _invitations(session, mother) == []
        response = client.post(f"{RULES}/{rule.id}/evaluate", headers=login(commission.admin))
        assert response.status_code == 409
        assert "xsrxm" in response.json()["detail"]


@pytest.fixture
def invited(
    session: Session, commission: Commission, family: tuple[Account, str, Account, str]
) -> tuple[Account, Account, Invitation]:
    """(mother, father, the mother's pending invitation)."""
    mother, m_number, father, f_number = family
    resource = publish_births(session, commission.admin, [birth("R0400", m_number, f_number)])
    rule = _rule(session, commission, resource.id)
    service.evaluate_now(session, principal=authn.principal_for(commission.admin),
                         rule_id=rule.id)  # fmt: skip
    [invitation] = _invitations(session, mother)
    return mother, father, invitation


class TestAnswering:
    def test_the_invitee_lists_and_accepts_with_consent(
        self, session: Session, client: TestClient, login: Login,
        invited: tuple[Account, Account, Invitation],
    ) -> None:  # fmt: skip
        mother, _, invitation = invited
        headers = login(mother)
        listed = client.get(INVITATIONS, headers=headers, params={"status": "pending"})
        assert [i["id"] for i in listed.json()] == [str(invitation.id)]

        response = client.post(f"{INVITATIONS}/{invitation.id}/accept", headers=headers,
                               json={"consent": True, "form": ACCEPT_FORM})  # fmt: skip

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "accepted"
        assert body["consent_at"] is not None
        application = session.get(Application, uuid.UUID(body["application_id"]))
        assert application is not None
        assert application.applicant_id == mother.id
        assert application.status is ApplicationStatus.IN_REVIEW
        assert application.form == {**ACCEPT_FORM, **invitation.form}
        assert _count(session, Task) == 1  # the workflow started as for any application
        answered = _ledgered(session, EntryKind.INVITATION_ANSWERED)
        assert [e.subject for e in answered] == [f"invitation:{invitation.id}"]
        assert answered[0].actor == str(mother.id)
        assert len(_ledgered(session, EntryKind.APPLICATION_SUBMITTED)) == 1
        again = client.post(f"{INVITATIONS}/{invitation.id}/accept", headers=headers,
                            json={"consent": True, "form": ACCEPT_FORM})  # fmt: skip
        assert again.status_code == 409
        assert _problem(again) == "conflict"
        assert _count(session, Application) == 1

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"consent": False, "form": ACCEPT_FORM}, "consent"),
            ({"consent": True, "form": {**ACCEPT_FORM, "child_name": "别的名字"}},
             "form.child_name"),
            ({"consent": True, "form": {"applicant_name": "王大明"}}, "form"),
            ({"consent": True, "form": ACCEPT_FORM, "extra": 1}, "extra"),
        ],
    )  # fmt: skip
    def test_bad_answers_are_refused_and_change_nothing(
        self, session: Session, client: TestClient, login: Login,
        invited: tuple[Account, Account, Invitation], body: dict[str, Any], field: str,
    ) -> None:  # fmt: skip
        mother, _, invitation = invited
        response = client.post(f"{INVITATIONS}/{invitation.id}/accept", headers=login(mother),
                               json=body)  # fmt: skip
        assert response.status_code == 422, response.text
        assert any(e["field"].startswith(field) for e in response.json()["errors"])
        session.refresh(invitation)
        assert invitation.status is InvitationStatus.PENDING
        assert _count(session, Application) == 0

    def test_declining_submits_nothing(
        self, session: Session, client: TestClient, login: Login,
        invited: tuple[Account, Account, Invitation],
    ) -> None:  # fmt: skip
        mother, _, invitation = invited
        headers = login(mother)
        response = client.post(f"{INVITATIONS}/{invitation.id}/decline", headers=headers)
        assert response.status_code == 200
        assert response.json()["status"] == "declined"
        late = client.post(f"{INVITATIONS}/{invitation.id}/accept", headers=headers,
                           json={"consent": True, "form": ACCEPT_FORM})  # fmt: skip
        assert late.status_code == 409
        assert _count(session, Application) == 0

    def test_only_the_invitee_sees_and_answers(
        self, session: Session, client: TestClient, login: Login, world: World,
        invited: tuple[Account, Account, Invitation],
    ) -> None:  # fmt: skip
        _, father, invitation = invited
        other = login(father)  # invited for the same child, but this is not his invitation
        for method, path, body in (
            ("GET", f"{INVITATIONS}/{invitation.id}", None),
            ("POST", f"{INVITATIONS}/{invitation.id}/accept",
             {"consent": True, "form": ACCEPT_FORM}),
            ("POST", f"{INVITATIONS}/{invitation.id}/decline", None),
        ):  # fmt: skip
            response = client.request(method, path, headers=other, json=body)
            assert response.status_code == 404
            assert _problem(response) == "not-found"
            assert client.request(method, path, json=body).status_code == 401
            official = client.request(method, path, headers=login(world.city_a_admin), json=body)
            assert official.status_code == 403
        session.refresh(invitation)
        assert invitation.status is InvitationStatus.PENDING


class TestRules:
    def test_an_official_writes_reads_and_pauses_a_rule(
        self, session: Session, client: TestClient, login: Login, commission: Commission
    ) -> None:
        resource = publish_births(session, commission.admin, [birth("R0500", "1", "2")])
        headers = login(commission.admin)
        created = client.post(RULES, headers=headers, json=subsidy_rule(resource.id))
        assert created.status_code == 201, created.text
        rule_id = created.json()["id"]
        assert [r["id"] for r in client.get(RULES, headers=headers).json()] == [rule_id]
        paused = client.patch(f"{RULES}/{rule_id}", headers=headers, json={"active": False})
        assert paused.json()["active"] is False
        evaluated = client.post(f"{RULES}/{rule_id}/evaluate", headers=headers)
        assert evaluated.status_code == 409
        changes = _ledgered(session, EntryKind.PROACTIVE_RULE_CHANGED)
        assert [c.subject for c in changes] == [f"proactive-rule:{rule_id}"] * 2

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"matter_code": "WS-999"}, "matter_code"),
            ({"matter_code": "SW-001"}, "matter_code"),  # a tax matter, not the commission's
            ({"definition": {"key_field": "no_such_column"}}, "definition"),
            ({"definition": {"prefill": {"no_such_field": "xsrxm"}}}, "definition.prefill"),
            ({"definition": {"within_days": None}}, "definition"),
            ({"definition": {"person_fields": []}}, "definition.person_fields"),
            ({"definition": {"key_field": "bad name"}}, "definition.key_field"),
            ({"definition": {"surprise": 1}}, "definition.surprise"),
        ],
    )
    def test_malformed_rules_are_refused(
        self, session: Session, client: TestClient, login: Login, commission: Commission,
        change: dict[str, Any], field: str,
    ) -> None:  # fmt: skip
        resource = publish_births(session, commission.admin, [birth("R0600", "1", "2")])
        body = subsidy_rule(resource.id)
        for key, value in change.items():
            body[key] = {**body[key], **value} if isinstance(value, dict) else value
        response = client.post(RULES, headers=login(commission.admin), json=body)
        assert response.status_code == 422, response.text
        assert _problem(response) in {"invalid-input", "proactive-rule-invalid"}
        assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.text
        assert _count(session, ProactiveRule) == 0

    def test_another_departments_resource_needs_a_grant(
        self, session: Session, client: TestClient, login: Login, world: World,
        commission: Commission,
    ) -> None:  # fmt: skip
        resource = publish_births(session, world.city_a_admin, [birth("R0700", "1", "2")])
        response = client.post(RULES, headers=login(commission.admin),
                               json=subsidy_rule(resource.id))  # fmt: skip
        assert response.status_code == 422
        assert _problem(response) == "proactive-rule-invalid"
        assert response.json()["errors"][0]["field"] == "resource_id"

    def test_another_departments_rule_looks_missing(
        self, session: Session, client: TestClient, login: Login, world: World,
        commission: Commission,
    ) -> None:  # fmt: skip
        resource = publish_births(session, commission.admin, [birth("R0800", "1", "2")])
        rule = _rule(session, commission, resource.id)
        headers = login(world.city_b_admin)
        for method, path in (("GET", f"{RULES}/{rule.id}"),
                             ("POST", f"{RULES}/{rule.id}/evaluate")):  # fmt: skip
            assert client.request(method, path, headers=headers).status_code == 404
        patched = client.patch(f"{RULES}/{rule.id}", headers=headers, json={"active": False})
        assert patched.status_code == 404
        session.refresh(rule)
        assert rule.active is True


class TestPages:
    def test_the_invitee_accepts_on_the_page(
        self, session: Session, sign_in: Callable[[Account], TestClient],
        invited: tuple[Account, Account, Invitation],
    ) -> None:  # fmt: skip
        mother, _, invitation = invited
        browser = sign_in(mother)
        mine = browser.get("/services/mine")
        assert 'data-testid="invitations-notice"' in mine.text
        page = browser.get("/services/invitations")
        assert page.status_code == 200
        assert "王小宝" in page.text
        assert "R0400" in page.text
        token = csrf_from(page.text)
        url = f"/services/invitations/{invitation.id}/accept"
        refused = browser.post(url, data={**ACCEPT_FORM, "csrf_token": token})
        assert refused.status_code == 422
        assert 'data-testid="errors"' in refused.text
        accepted = browser.post(url, data={**ACCEPT_FORM, "consent": "yes", "csrf_token": token})
        assert accepted.status_code == 303
        assert accepted.headers["location"] == "/services/mine"
        session.refresh(invitation)
        assert invitation.status is InvitationStatus.ACCEPTED
        assert invitation.application_id is not None

    def test_the_invitee_declines_on_the_page(
        self, session: Session, sign_in: Callable[[Account], TestClient],
        invited: tuple[Account, Account, Invitation],
    ) -> None:  # fmt: skip
        mother, _, invitation = invited
        browser = sign_in(mother)
        token = csrf_from(browser.get("/services/invitations").text)
        response = browser.post(f"/services/invitations/{invitation.id}/decline",
                                data={"csrf_token": token})  # fmt: skip
        assert response.status_code == 303
        session.refresh(invitation)
        assert invitation.status is InvitationStatus.DECLINED
