"""Sharing pages: request form, my requests and grants, the owner's inbox, grants and usage."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.data.catalog.models import Resource
from govhub.data.sharing import service
from govhub.data.sharing.models import AccessKind, Grant, GrantAccess, RequestStatus, ShareRequest
from govhub.identity.models import Account, OAuthClient
from govhub.identity.permissions import Role
from govhub.ledger.models import LedgerPending
from tests.browsing import HTML, SignIn, csrf_from
from tests.data.sharing.helpers import add_client, make_request, shareable
from tests.factories import PASSWORD, World, add_official

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def sign_in(app: FastAPI) -> Iterator[SignIn]:
    """Return a function signing `account` in on a browser of its own (two parties, two tabs)."""
    browsers: list[TestClient] = []

    def do(account: Account) -> TestClient:
        browser = TestClient(app, headers=HTML, follow_redirects=False)
        browsers.append(browser)
        token = csrf_from(browser.get("/login").text)
        response = browser.post(
            "/login",
            data={"username": account.username, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303, response.text
        return browser

    yield do
    for browser in browsers:
        browser.close()


@pytest.fixture
def tax_owner(session: Session, world: World) -> Account:
    """A data owner of city A's tax bureau: sees city A's market catalog and may request."""
    return add_official(session, f"taxown{uuid.uuid4().hex[:6]}", world.city_a_tax, Role.DATA_OWNER)


@pytest.fixture
def tax_system(session: Session, world: World) -> OAuthClient:
    """The tax bureau's consuming system."""
    return add_client(session, world.city_a_tax)


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _chart(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="usage-data">(.*?)</script>', html, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _request_form(resource: Resource, system: OAuthClient, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "fields": ["tyshxydm", "qymc", "fddbr"],
        "rows": "division",
        "treatment_fddbr": "pseudonymize",
        "client_id": system.client_id,
        "duration_days": "90",
        "purpose": "核验辖区内企业纳税登记信息",
        "legal_basis": "《税收征收管理法》第十五条",
    }
    form.update(overrides)
    return form


def _grant(session: Session, world: World, account: Account, resource: Resource) -> Grant:
    share = make_request(session, world, account, resource)
    grant = service.grant_of(session, share)
    assert grant is not None
    return grant


class TestAccess:
    def test_anonymous_visitors_are_sent_to_sign_in(
        self, session: Session, world: World, browser: TestClient
    ) -> None:
        resource = shareable(session, world)
        grant = _grant(
            session, world, world.city_b_admin, shareable(session, world, "unconditional")
        )
        for url in (
            "/sharing",
            "/sharing/inbox",
            "/sharing/usage",
            f"/sharing/grants/{grant.id}",
            f"/sharing/resources/{resource.id}/request",
        ):
            response = browser.get(url)
            assert response.status_code in (302, 303), url
            assert response.headers["location"].startswith("/login"), url

    def test_officials_without_sharing_rights_are_refused(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        resource = shareable(session, world)
        share = make_request(session, world, world.city_b_admin, resource)
        browser = sign_in(world.city_a_official)
        for url in ("/sharing", "/sharing/inbox", "/sharing/usage",
                    f"/sharing/resources/{resource.id}/request"):  # fmt: skip
            assert browser.get(url).status_code == 403, url
        token = csrf_from(browser.get("/workbench").text)
        posted = browser.post(
            f"/sharing/requests/{share.id}/decision",
            data={"csrf_token": token, "outcome": "approve", "fields": ["qymc"]},
        )
        assert posted.status_code == 403
        session.refresh(share)
        assert share.status is RequestStatus.PENDING
        workbench = browser.get("/workbench").text
        assert 'href="/sharing"' not in workbench

    def test_another_departments_grant_and_request_are_not_found(
        self, session: Session, world: World, sign_in: SignIn, tax_owner: Account
    ) -> None:
        grant = _grant(
            session, world, world.city_b_admin, shareable(session, world, "unconditional")
        )
        pending = make_request(session, world, world.city_b_admin, shareable(session, world))
        browser = sign_in(tax_owner)
        missing = browser.get(f"/sharing/grants/{uuid.uuid4()}")
        foreign = browser.get(f"/sharing/grants/{grant.id}")
        assert foreign.status_code == missing.status_code == 404
        assert browser.get(f"/sharing/requests/{pending.id}/decision").status_code == 404
        token = csrf_from(browser.get("/sharing").text)
        revoked = browser.post(
            f"/sharing/grants/{grant.id}/revocation", data={"csrf_token": token, "reason": "越权"}
        )
        assert revoked.status_code == 404
        session.refresh(grant)
        assert grant.revoked_at is None

    def test_the_requester_cannot_decide_its_own_request(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        share = make_request(session, world, world.city_b_admin, shareable(session, world))
        browser = sign_in(world.city_b_admin)
        assert browser.get(f"/sharing/requests/{share.id}/decision").status_code == 404
        inbox = browser.get("/sharing/inbox")
        assert inbox.status_code == 200
        assert str(share.id) not in inbox.text


class TestRequestForm:
    def test_the_resource_page_offers_the_form_with_personal_fields_marked(
        self, session: Session, world: World, sign_in: SignIn, tax_owner: Account,
        tax_system: OAuthClient,
    ) -> None:  # fmt: skip
        resource = shareable(session, world)
        browser = sign_in(tax_owner)
        page = browser.get(f"/catalog/resources/{resource.id}", headers=ZH)
        assert f'href="/sharing/resources/{resource.id}/request"' in page.text
        form = browser.get(f"/sharing/resources/{resource.id}/request", headers=ZH)
        assert form.status_code == 200
        assert "申请共享" in form.text
        assert 'data-personal="fddbr"' in form.text
        assert 'data-personal="fddbr_sfzh"' in form.text
        assert 'data-personal="qymc"' not in form.text
        assert tax_system.client_id in form.text
        own = sign_in(world.city_a_admin).get(f"/catalog/resources/{resource.id}")
        assert "/request" not in own.text

    def test_a_conditional_request_waits_in_the_owners_inbox(
        self, session: Session, world: World, sign_in: SignIn, tax_owner: Account,
        tax_system: OAuthClient,
    ) -> None:  # fmt: skip
        resource = shareable(session, world)
        browser = sign_in(tax_owner)
        url = f"/sharing/resources/{resource.id}/request"
        token = csrf_from(browser.get(url).text)
        posted = browser.post(
            url, data={"csrf_token": token, **_request_form(resource, tax_system)}
        )
        assert posted.status_code == 303
        share = session.scalars(
            select(ShareRequest).where(ShareRequest.resource_id == resource.id)
        ).one()
        assert posted.headers["location"] == f"/sharing#request-{share.id}"
        assert share.status is RequestStatus.PENDING
        assert share.fields == ["tyshxydm", "qymc", "fddbr"]
        assert share.row_filter == [{"field": "szqh", "op": "within_division", "value": "330100"}]
        assert share.treatments == {"fddbr": {"treatment": "pseudonymize"}}
        assert share.duration_days == 90
        mine = browser.get("/sharing", headers=ZH)
        assert f'id="request-{share.id}"' in mine.text
        assert 'data-state="pending"' in mine.text
        inbox = sign_in(world.city_a_admin).get("/sharing/inbox")
        assert f"/sharing/requests/{share.id}/decision" in inbox.text

    def test_an_unconditional_request_is_granted_and_shows_the_grant(
        self, session: Session, world: World, sign_in: SignIn, tax_owner: Account,
        tax_system: OAuthClient,
    ) -> None:  # fmt: skip
        resource = shareable(session, world, "unconditional")
        browser = sign_in(tax_owner)
        url = f"/sharing/resources/{resource.id}/request"
        token = csrf_from(browser.get(url).text)
        form = _request_form(resource, tax_system, rows="filter", cond_field_0="qymc",
                             cond_op_0="in", cond_value_0="甲公司, 乙公司")  # fmt: skip
        posted = browser.post(url, data={"csrf_token": token, **form})
        assert posted.status_code == 303
        grant = session.scalars(select(Grant).where(Grant.resource_id == resource.id)).one()
        assert posted.headers["location"] == f"/sharing/grants/{grant.id}"
        assert grant.row_filter == [{"field": "qymc", "op": "in", "value": ["甲公司", "乙公司"]}]
        assert grant.field_policies["fddbr"] == {"treatment": "pseudonymize"}

    def test_bad_input_is_shown_inline_and_changes_nothing(
        self, session: Session, world: World, sign_in: SignIn, tax_owner: Account,
        tax_system: OAuthClient,
    ) -> None:  # fmt: skip
        resource = shareable(session, world)
        browser = sign_in(tax_owner)
        url = f"/sharing/resources/{resource.id}/request"
        token = csrf_from(browser.get(url).text)
        before = (_count(session, ShareRequest), _count(session, LedgerPending))
        cases: list[tuple[dict[str, Any], str]] = [
            ({"fields": []}, "fields"),
            ({"duration_days": "366"}, "duration_days"),
            ({"duration_days": "一年"}, "duration_days"),
            ({"purpose": "x"}, "purpose"),
            ({"legal_basis": ""}, "legal_basis"),
            ({"client_id": "sys-of-someone-else"}, "client_id"),
            ({"fields": ["qymc", "salary"]}, "fields"),
            (
                {
                    "rows": "filter",
                    "cond_field_0": "szqh",
                    "cond_op_0": "within_division",
                    "cond_value_0": "12",
                },
                "row_filter",
            ),
            (
                {
                    "rows": "filter",
                    "cond_field_0": "szqh' OR 1=1",
                    "cond_op_0": "eq",
                    "cond_value_0": "1",
                },
                "row_filter",
            ),
        ]
        for change, field in cases:
            form = _request_form(resource, tax_system) | change
            response = browser.post(url, data={"csrf_token": token, **form}, headers=ZH)
            assert response.status_code == 422, (change, response.text[:300])
            assert f'data-error-for="{field}"' in response.text, change
            assert "请更正标出的内容" in response.text
            # What was typed is kept.
            assert "《税收征收管理法》第十五条" in response.text or field == "legal_basis"
        assert (_count(session, ShareRequest), _count(session, LedgerPending)) == before

    def test_a_resource_that_is_not_shared_explains_why(
        self, session: Session, world: World, sign_in: SignIn, tax_owner: Account,
        tax_system: OAuthClient,
    ) -> None:  # fmt: skip
        resource = shareable(session, world, "not_shared")
        browser = sign_in(tax_owner)
        page = browser.get(f"/catalog/resources/{resource.id}", headers=EN)
        assert "Not shared: this resource cannot be requested." in page.text
        assert f"/sharing/resources/{resource.id}/request" not in page.text
        url = f"/sharing/resources/{resource.id}/request"
        form = browser.get(url, headers=EN)
        assert form.status_code == 200
        assert 'data-testid="not-requestable"' in form.text
        assert "This resource is not shared" in form.text
        assert 'id="request-form"' not in form.text
        token = csrf_from(form.text)
        posted = browser.post(
            url, data={"csrf_token": token, **_request_form(resource, tax_system)}
        )
        assert posted.status_code == 409
        assert _count(session, ShareRequest) == 0
        # City B does not see the resource at all.
        assert sign_in(world.city_b_admin).get(url).status_code == 404

    def test_renewal_is_prefilled_from_the_grant(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        grant = _grant(
            session, world, world.city_b_admin, shareable(session, world, "unconditional")
        )
        grant.expires_at = utcnow() + timedelta(days=3)
        session.flush()
        browser = sign_in(world.city_b_admin)
        mine = browser.get("/sharing")
        renew = f"/sharing/resources/{grant.resource_id}/request?renew={grant.id}"
        assert renew in mine.text.replace("&amp;", "&")
        assert 'data-state="expiring"' in mine.text
        form = browser.get(renew)
        assert form.status_code == 200
        assert 'value="fddbr_sfzh" id="field-fddbr_sfzh" checked' in form.text
        assert grant.purpose in form.text
        assert 'value="330200"' in form.text


class TestDeciding:
    def test_approve_with_a_narrower_scope(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        share = make_request(session, world, world.city_b_admin, shareable(session, world))
        owner = sign_in(world.city_a_admin)
        url = f"/sharing/requests/{share.id}/decision"
        page = owner.get(url, headers=ZH)
        assert page.status_code == 200
        assert "批准" in page.text
        posted = owner.post(url, data={
            "csrf_token": csrf_from(page.text), "outcome": "approve", "fields": ["qymc", "fddbr"],
            "duration_days": "30", "extra_field_0": "qymc", "extra_op_0": "prefix",
            "extra_value_0": "宁波",
        })  # fmt: skip
        assert posted.status_code == 303
        grant = service.grant_of(session, share)
        assert grant is not None
        assert posted.headers["location"] == f"/sharing/grants/{grant.id}"
        assert grant.fields == ["qymc", "fddbr"]
        assert grant.expires_at - grant.granted_at == timedelta(days=30)
        assert grant.row_filter[-1] == {"field": "qymc", "op": "prefix", "value": "宁波"}
        shown = sign_in(world.city_b_admin).get(f"/sharing/grants/{grant.id}", headers=ZH)
        assert shown.status_code == 200
        assert 'data-state="active"' in shown.text
        assert 'data-treatment="fddbr">已掩码' in shown.text
        assert "fddbr_sfzh" not in shown.text
        assert 'id="revoke"' not in shown.text  # the holder cannot revoke
        held = sign_in(world.city_b_admin).get("/sharing")
        assert f'id="grant-{grant.id}"' in held.text

    def test_reject_with_a_reason(self, session: Session, world: World, sign_in: SignIn) -> None:
        share = make_request(session, world, world.city_b_admin, shareable(session, world))
        owner = sign_in(world.city_a_admin)
        url = f"/sharing/requests/{share.id}/decision"
        token = csrf_from(owner.get(url).text)
        posted = owner.post(url, data={"csrf_token": token, "outcome": "reject",
                                       "reason": "用途与共享条件不符"})  # fmt: skip
        assert posted.status_code == 303
        assert posted.headers["location"] == "/sharing/inbox"
        session.refresh(share)
        assert share.status is RequestStatus.REJECTED
        mine = sign_in(world.city_b_admin).get("/sharing")
        assert 'data-state="rejected"' in mine.text
        assert "用途与共享条件不符" in mine.text

    def test_bad_decisions_are_shown_inline_and_change_nothing(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        share = make_request(session, world, world.city_b_admin, shareable(session, world))
        owner = sign_in(world.city_a_admin)
        url = f"/sharing/requests/{share.id}/decision"
        token = csrf_from(owner.get(url).text)
        before = _count(session, LedgerPending)
        cases: list[tuple[dict[str, Any], str]] = [
            ({"outcome": "reject", "reason": ""}, "reason"),
            ({"outcome": "approve", "fields": []}, "fields"),
            ({"outcome": "approve", "fields": ["qymc", "szqh"]}, "fields"),
            ({"outcome": "approve", "fields": ["qymc"], "duration_days": "400"}, "duration_days"),
            ({"outcome": "approve", "fields": ["qymc"], "duration_days": "181"}, "duration_days"),
            (
                {
                    "outcome": "approve",
                    "fields": ["qymc"],
                    "extra_field_0": "nope",
                    "extra_op_0": "eq",
                    "extra_value_0": "1",
                },
                "row_filter",
            ),
        ]
        for change, field in cases:
            response = owner.post(url, data={"csrf_token": token, **change})
            assert response.status_code == 422, (change, response.text[:300])
            assert f'data-error-for="{field}"' in response.text, change
        session.expire_all()
        fresh = session.get(ShareRequest, share.id)
        assert fresh is not None
        assert fresh.status is RequestStatus.PENDING
        assert fresh.decided_by is None
        assert fresh.decided_at is None
        assert fresh.fields == ["tyshxydm", "qymc", "fddbr", "fddbr_sfzh"]
        assert service.grant_of(session, fresh) is None
        assert _count(session, LedgerPending) == before

    def test_a_decided_request_cannot_be_decided_again(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        share = make_request(session, world, world.city_b_admin, shareable(session, world))
        owner = sign_in(world.city_a_admin)
        url = f"/sharing/requests/{share.id}/decision"
        token = csrf_from(owner.get(url).text)
        first = owner.post(url, data={"csrf_token": token, "outcome": "reject", "reason": "不符"})
        assert first.status_code == 303
        again = owner.post(
            url, data={"csrf_token": token, "outcome": "approve", "fields": ["qymc"]}
        )
        assert again.status_code == 409
        session.refresh(share)
        assert share.status is RequestStatus.REJECTED


class TestWithdrawing:
    def test_the_requester_withdraws_from_the_list(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        share = make_request(session, world, world.city_b_admin, shareable(session, world))
        browser = sign_in(world.city_b_admin)
        mine = browser.get("/sharing", headers=ZH)
        action = f"/sharing/requests/{share.id}/withdrawal"
        assert action in mine.text
        assert "撤回" in mine.text
        refused = browser.post(action, data={"csrf_token": "forged"})
        assert refused.status_code == 403
        session.refresh(share)
        assert share.status is RequestStatus.PENDING
        done = browser.post(action, data={"csrf_token": csrf_from(mine.text)})
        assert done.status_code == 303
        assert done.headers["location"] == f"/sharing#request-{share.id}"
        status = session.scalar(select(ShareRequest.status).where(ShareRequest.id == share.id))
        assert status is RequestStatus.WITHDRAWN
        after = browser.get("/sharing", headers=EN)
        assert 'data-state="withdrawn"' in after.text
        assert action not in after.text
        inbox = sign_in(world.city_a_admin).get("/sharing/inbox")
        assert f"/sharing/requests/{share.id}/decision" not in inbox.text


class TestGrantAndUsage:
    def test_grant_page_shows_scope_ledger_and_usage_per_day(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        grant = _grant(
            session, world, world.city_b_admin, shareable(session, world, "unconditional")
        )
        now = utcnow()
        for days_ago, rows in ((0, 40), (0, 60), (2, 7)):
            session.add(GrantAccess(grant_id=grant.id, at=now - timedelta(days=days_ago),
                                    kind=AccessKind.QUERY, rows=rows, fields=["qymc"],
                                    digest="0" * 64))  # fmt: skip
        session.flush()
        page = sign_in(world.city_b_admin).get(f"/sharing/grants/{grant.id}")
        assert page.status_code == 200
        assert 'data-testid="usage-calls">3<' in page.text
        assert 'data-testid="usage-rows">107<' in page.text
        chart = _chart(page.text)
        assert len(chart["days"]) == 30
        assert chart["days"][-1] == str(now.date())
        [series] = chart["series"]
        assert series["name"] == world.city_b_market.name
        assert series["calls"][-1] == 2
        assert series["rows"][-1] == 100
        assert series["calls"][-3] == 1
        assert series["rows"][-3] == 7
        assert sum(series["calls"]) == 3
        assert 'id="usage-calls-chart"' in page.text
        assert "echarts.min.js" in page.text
        assert "sharing-usage.js" in page.text
        # The request and the grant wait in the ledger for the next checkpoint.
        trail = re.search(r'data-testid="ledger-trail">(.*?)</ul>', page.text, re.S)
        assert trail is not None
        assert trail.group(1).count("<li>") == 2

    def test_owner_revokes_and_bad_revocations_change_nothing(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        grant = _grant(
            session, world, world.city_b_admin, shareable(session, world, "unconditional")
        )
        owner = sign_in(world.city_a_admin)
        url = f"/sharing/grants/{grant.id}"
        page = owner.get(url)
        assert 'id="revoke"' in page.text
        token = csrf_from(page.text)
        short = owner.post(f"{url}/revocation", data={"csrf_token": token, "reason": "x"})
        assert short.status_code == 422
        assert 'data-error-for="reason"' in short.text
        session.refresh(grant)
        assert grant.revoked_at is None
        done = owner.post(f"{url}/revocation", data={"csrf_token": token, "reason": "项目结束"})
        assert done.status_code == 303
        session.refresh(grant)
        assert grant.revoked_at is not None
        assert grant.revoke_reason == "项目结束"
        again = owner.post(f"{url}/revocation", data={"csrf_token": token, "reason": "再次撤销"})
        assert again.status_code == 409
        session.refresh(grant)
        assert grant.revoke_reason == "项目结束"
        shown = owner.get(url)
        assert 'data-state="revoked"' in shown.text
        assert 'id="revoke"' not in shown.text

    def test_who_uses_my_data(
        self, session: Session, world: World, sign_in: SignIn, tax_owner: Account
    ) -> None:
        resource = shareable(session, world, "unconditional")
        to_b = _grant(session, world, world.city_b_admin, resource)
        to_tax = _grant(session, world, tax_owner, resource)
        now = utcnow()
        session.add_all([
            GrantAccess(grant_id=to_b.id, at=now, kind=AccessKind.QUERY, rows=10, fields=["qymc"],
                        digest="0" * 64),
            GrantAccess(grant_id=to_b.id, at=now - timedelta(days=1), kind=AccessKind.EXPORT,
                        rows=500, fields=["qymc"], digest="1" * 64),
            GrantAccess(grant_id=to_tax.id, at=now, kind=AccessKind.QUERY, rows=3, fields=["qymc"],
                        digest="2" * 64),
        ])  # fmt: skip
        session.flush()
        page = sign_in(world.city_a_admin).get("/sharing/usage", headers=ZH)
        assert page.status_code == 200
        assert "谁在使用我的数据" in page.text
        rows = re.findall(r'<tr id="grant-([0-9a-f-]+)">', page.text)
        assert rows == [str(to_b.id), str(to_tax.id)]
        chart = _chart(page.text)
        by_name = {s["name"]: s for s in chart["series"]}
        assert set(by_name) == {world.city_b_market.name, world.city_a_tax.name}
        assert sum(by_name[world.city_b_market.name]["rows"]) == 510
        assert by_name[world.city_a_tax.name]["calls"][-1] == 1
        # The holder's side of the same grants is not in the holder's overview.
        other = sign_in(world.city_b_admin).get("/sharing/usage")
        assert other.status_code == 200
        assert str(to_b.id) not in other.text
        assert 'data-testid="no-usage"' in other.text


class TestLanguages:
    def test_pages_speak_chinese_and_english(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        browser = sign_in(world.city_a_admin)
        zh = browser.get("/sharing", headers=ZH | HTML)
        en = browser.get("/sharing", headers=EN | HTML)
        assert "本部门的共享申请与授权" in zh.text
        assert "requests and grants" in en.text
        assert "My department" in en.text
        assert "Who uses my data" in en.text


class TestWorkbenchCard:
    def test_the_card_counts_waiting_requests_and_held_grants(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        make_request(session, world, world.city_b_admin, shareable(session, world))
        _grant(session, world, world.city_b_admin, shareable(session, world, "unconditional"))
        owner = sign_in(world.city_a_admin)
        workbench = owner.get("/workbench")
        assert 'hx-get="/sharing/fragments/summary"' in workbench.text
        owned = owner.get("/sharing/fragments/summary")
        assert '<strong data-count="waiting">1</strong>' in owned.text
        assert '<strong data-count="held">0</strong>' in owned.text
        held = sign_in(world.city_b_admin).get("/sharing/fragments/summary")
        assert '<strong data-count="held">1</strong>' in held.text
        assert 'data-count="waiting">0<' in held.text
        refused = sign_in(world.city_a_official).get("/sharing/fragments/summary")
        assert refused.status_code == 403


class TestOwnerTreatments:
    def test_the_owner_masks_a_field_asked_for_in_clear_text(
        self, session: Session, world: World, sign_in: SignIn
    ) -> None:
        clear = {"treatment": "clear", "legal_basis": "《行政许可法》第三十一条"}
        resource = shareable(session, world, "unconditional")
        share = make_request(
            session, world, world.city_b_admin, resource, treatments={"fddbr_sfzh": clear}
        )
        assert share.status is RequestStatus.PENDING
        owner = sign_in(world.city_a_admin)
        url = f"/sharing/requests/{share.id}/decision"
        page = owner.get(url)
        assert 'name="treatment_fddbr_sfzh"' in page.text
        assert 'name="treatment_qymc"' not in page.text
        posted = owner.post(url, data={
            "csrf_token": csrf_from(page.text), "outcome": "approve",
            "fields": ["qymc", "fddbr", "fddbr_sfzh"], "treatment_fddbr_sfzh": "mask",
            "treatment_fddbr": "pseudonymize", "treatment_qymc": "clear",
        })  # fmt: skip
        assert posted.status_code == 303
        grant = service.grant_of(session, share)
        assert grant is not None
        assert grant.field_policies == {
            "fddbr": {"treatment": "pseudonymize"},
            "fddbr_sfzh": {"treatment": "mask", "mask_style": "id_number"},
        }
