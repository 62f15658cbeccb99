"""Public requests and problem reports with public, ledgered replies (two-way openness)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.errors import InvalidInput, NotFound, RateLimited
from govhub.data.opendata import requests, service
from govhub.data.opendata.models import DataRequest, RequestKind, RequestReply
from govhub.data.opendata.schemas import DataRequestCreate, ReplyCreate
from govhub.identity.models import Account
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind
from tests.browsing import SignIn, csrf_from
from tests.data.opendata.conftest import Catalog
from tests.factories import World

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _problem(catalog: Catalog, **overrides: object) -> DataRequestCreate:
    body = {
        "kind": "problem",
        "title": "字段缺失",
        "body": "注册资本一列有空值，请核实。",
        "dataset": service.package_name(catalog.public),
        **overrides,
    }
    return DataRequestCreate.model_validate(body)


def _count(session: Session, model: type[DataRequest] | type[RequestReply]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


class TestService:
    def test_a_problem_goes_to_the_owner_of_the_dataset(
        self, session: Session, catalog: Catalog
    ) -> None:
        made = requests.submit(session, principal=None, client="1.2.3.4", data=_problem(catalog))
        assert made.department_id == catalog.public.department_id
        assert made.resource_id == catalog.public.id
        assert made.account_id is None

    def test_a_dataset_request_names_a_department(
        self, session: Session, world: World, catalog: Catalog
    ) -> None:
        data = DataRequestCreate(
            kind=RequestKind.DATASET, title="公交实时数据", body="希望开放公交车辆实时位置数据。",
            department_id=world.city_a_tax.id,
        )  # fmt: skip
        made = requests.submit(
            session, principal=world.principal(world.city_a_leader), client="x", data=data
        )
        assert made.department_id == world.city_a_tax.id
        assert made.account_id == world.city_a_leader.id
        without = data.model_copy(update={"department_id": None})
        with pytest.raises(InvalidInput):
            requests.submit(session, principal=None, client="x", data=without)

    def test_hidden_and_unknown_datasets_are_refused_alike(
        self, session: Session, catalog: Catalog
    ) -> None:
        messages = set()
        for name in ["no-such-dataset", *(service.package_name(r) for r in catalog.hidden)]:
            with pytest.raises(InvalidInput) as caught:
                requests.submit(
                    session, principal=None, client="x", data=_problem(catalog, dataset=name)
                )
            messages.add(caught.value.detail)
        assert len(messages) == 1
        with pytest.raises(InvalidInput):
            requests.submit(session, principal=None, client="x", data=_problem(catalog, dataset=""))
        assert _count(session, DataRequest) == 0

    def test_submissions_are_rate_limited_per_address(
        self, session: Session, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("GOVHUB_OPENDATA_REQUESTS_PER_HOUR", "2")
        for _ in range(2):
            requests.submit(session, principal=None, client="9.9.9.9", data=_problem(catalog))
        with pytest.raises(RateLimited):
            requests.submit(session, principal=None, client="9.9.9.9", data=_problem(catalog))
        requests.submit(session, principal=None, client="8.8.8.8", data=_problem(catalog))
        assert _count(session, DataRequest) == 3

    def test_only_the_addressed_department_replies_and_it_is_ledgered(
        self, session: Session, world: World, catalog: Catalog
    ) -> None:
        made = requests.submit(session, principal=None, client="x", data=_problem(catalog))
        answer = ReplyCreate(body="已核实，将在下次更新中补全。")
        for outsider in (world.city_b_admin, world.city_a_leader, world.platform_admin):
            with pytest.raises(NotFound):
                requests.reply(
                    session, principal=world.principal(outsider), request_id=made.id, data=answer
                )
        reply = requests.reply(
            session, principal=world.principal(world.city_a_admin), request_id=made.id, data=answer
        )
        assert reply.department_id == catalog.public.department_id
        assert made.replied_at is not None
        events = ledger.events_about(session, [f"opendata-request:{made.id}"])
        assert [e.kind for e in events] == [EntryKind.OPENDATA_REPLIED.value]
        with pytest.raises(NotFound):
            requests.reply(
                session, principal=world.principal(world.city_a_admin), request_id=uuid.uuid4(),
                data=answer,
            )  # fmt: skip


class TestPages:
    def _submit(self, browser: TestClient, data: dict[str, str]) -> object:
        token = csrf_from(browser.get("/open-data/requests").text)
        return browser.post("/open-data/requests", data={**data, "csrf_token": token})

    def test_anonymous_request_and_official_reply_are_public(
        self, browser: TestClient, session: Session, catalog: Catalog, sign_in: SignIn,
        world: World,
    ) -> None:  # fmt: skip
        name = service.package_name(catalog.public)
        form = browser.get(f"/open-data/requests?kind=problem&dataset={name}").text
        assert f'value="{name}"' in form
        response = browser.post(
            "/open-data/requests",
            data={"kind": "problem", "dataset": name, "title": "日期格式不一致",
                  "body": "成立日期一列的格式不一致，请统一。", "display_name": "研究者",
                  "csrf_token": csrf_from(form)},
        )  # fmt: skip
        assert response.status_code == 303
        target = response.headers["location"]
        assert re.fullmatch(r"/open-data/requests/[0-9a-f-]{36}", target)
        page = browser.get(target).text
        assert "日期格式不一致" in page
        assert "研究者" in page
        assert 'action="' + target + '/replies"' not in page  # no reply form for the public

        sign_in(world.city_a_admin)
        page = browser.get(target).text
        assert f'action="{target}/replies"' in page
        reply = browser.post(
            f"{target}/replies",
            data={"body": "已统一为 YYYY-MM-DD 格式。", "csrf_token": csrf_from(page)},
        )
        assert reply.status_code == 303
        browser.cookies.clear()
        public = browser.get(target).text
        assert "已统一为 YYYY-MM-DD 格式。" in public
        listing = browser.get("/open-data/requests").text
        assert "日期格式不一致" in listing
        assert "已统一为 YYYY-MM-DD 格式。" in listing
        dataset_page = browser.get(f"/open-data/datasets/{name}").text
        assert "日期格式不一致" in dataset_page

    def test_a_form_without_csrf_changes_nothing(
        self, browser: TestClient, session: Session, catalog: Catalog
    ) -> None:
        response = browser.post(
            "/open-data/requests",
            data={"kind": "dataset", "title": "没有令牌", "body": "这个表单没有 CSRF 令牌。"},
        )
        assert response.status_code == 403
        assert _count(session, DataRequest) == 0

    def test_bad_input_shows_the_form_again(
        self, browser: TestClient, session: Session, catalog: Catalog
    ) -> None:
        cases = [
            {"kind": "rumour", "title": "标题正常", "body": "内容足够长的说明文字。"},
            {"kind": "dataset", "title": "短", "body": "内容足够长的说明文字。"},
            {"kind": "dataset", "title": "标题正常", "body": "太短"},
            {"kind": "problem", "title": "标题正常", "body": "内容足够长的说明文字。"},
            {"kind": "problem", "title": "标题正常", "body": "内容足够长的说明文字。",
             "dataset": service.package_name(catalog.closed)},
            {"kind": "dataset", "title": "标题正常", "body": "内容足够长的说明文字。",
             "department_id": "not-a-uuid"},
        ]  # fmt: skip
        for data in cases:
            response = self._submit(browser, data)
            assert response.status_code == 422, data  # type: ignore[attr-defined]
            assert 'id="form-errors"' in response.text  # type: ignore[attr-defined]
        # A field over the form parser's part limit is refused before the form is read.
        huge = self._submit(
            browser, {"kind": "dataset", "title": "标题正常", "body": "x" * 2_000_000}
        )
        assert huge.status_code in {400, 413, 422}  # type: ignore[attr-defined]
        assert _count(session, DataRequest) == 0

    def test_hostile_text_is_escaped_everywhere(
        self, browser: TestClient, session: Session, catalog: Catalog
    ) -> None:
        response = self._submit(
            browser,
            {"kind": "problem", "dataset": service.package_name(catalog.public),
             "title": XSS[:200], "body": XSS, "display_name": "<b>me</b>"},
        )  # fmt: skip
        assert response.status_code == 303  # type: ignore[attr-defined]
        target = response.headers["location"]  # type: ignore[attr-defined]
        for page in (browser.get(target).text, browser.get("/open-data/requests").text):
            assert "<script>alert" not in page
            assert "<img src=x" not in page
            assert "<b>me</b>" not in page
            assert "&lt;script&gt;" in page

    def test_officials_of_other_departments_get_no_reply_form(
        self, browser: TestClient, session: Session, catalog: Catalog, sign_in: SignIn,
        world: World,
    ) -> None:  # fmt: skip
        made = requests.submit(session, principal=None, client="x", data=_problem(catalog))
        session.flush()
        target = f"/open-data/requests/{made.id}"
        sign_in(world.city_b_admin)
        page = browser.get(target).text
        assert f'action="{target}/replies"' not in page
        response = browser.post(
            f"{target}/replies",
            data={"body": "这是越权回复的内容，不应被接受。", "csrf_token": csrf_from(page)},
        )
        assert response.status_code == 404
        assert _count(session, RequestReply) == 0

    def test_replying_needs_the_permission_and_a_session(
        self, browser: TestClient, session: Session, catalog: Catalog, sign_in: SignIn,
        world: World,
    ) -> None:  # fmt: skip
        made = requests.submit(session, principal=None, client="x", data=_problem(catalog))
        session.flush()
        target = f"/open-data/requests/{made.id}"
        anonymous = browser.post(
            f"{target}/replies",
            data={
                "body": "匿名者的回复内容。",
                "csrf_token": csrf_from(browser.get("/open-data/requests").text),
            },
        )
        assert anonymous.status_code in {303, 401}
        assert anonymous.headers.get("location", "/login").startswith("/login")
        sign_in(world.city_a_official)  # same department, but no opendata:reply
        page = browser.get(target).text
        assert f'action="{target}/replies"' not in page
        refused = browser.post(
            f"{target}/replies",
            data={"body": "没有权限的回复内容。", "csrf_token": csrf_from(page)},
        )
        assert refused.status_code == 403
        assert _count(session, RequestReply) == 0

    def test_unknown_request_is_404(self, browser: TestClient, catalog: Catalog) -> None:
        assert browser.get(f"/open-data/requests/{uuid.uuid4()}").status_code == 404
        assert browser.get("/open-data/requests/not-a-uuid").status_code in {404, 422}


class TestApi:
    def test_submit_read_and_reply(
        self, client: TestClient, session: Session, catalog: Catalog, world: World,
        login: Callable[[Account], dict[str, str]],
    ) -> None:  # fmt: skip
        made = client.post(
            "/api/v1/opendata/requests",
            json={"kind": "problem", "title": "数据过期", "body": "最新数据停在去年，请更新。",
                  "dataset": service.package_name(catalog.public)},
        )  # fmt: skip
        assert made.status_code == 201, made.text
        body = made.json()
        assert "account_id" not in body
        request_id = body["id"]
        forbidden = client.post(
            f"/api/v1/opendata/requests/{request_id}/replies",
            json={"body": "这是无权回复的内容，不应被接受。"},
            headers=login(world.city_a_official),
        )
        assert forbidden.status_code == 403
        foreign = client.post(
            f"/api/v1/opendata/requests/{request_id}/replies",
            json={"body": "这是越权回复的内容，不应被接受。"},
            headers=login(world.city_b_admin),
        )
        assert foreign.status_code == 404
        replied = client.post(
            f"/api/v1/opendata/requests/{request_id}/replies",
            json={"body": "数据已更新到本月，感谢反馈。"},
            headers=login(world.city_a_admin),
        )
        assert replied.status_code == 201
        shown = client.get(f"/api/v1/opendata/requests/{request_id}").json()
        assert [r["body"] for r in shown["replies"]] == ["数据已更新到本月，感谢反馈。"]
        listed = client.get("/api/v1/opendata/requests").json()
        assert [r["id"] for r in listed] == [request_id]

    def test_bad_input_is_a_problem(
        self, client: TestClient, session: Session, catalog: Catalog
    ) -> None:
        bodies: list[object] = [
            {"kind": "problem", "title": "标题", "body": "内容足够长的说明文字。"},
            {"kind": "dataset", "title": "标题正常", "body": "内容足够长的说明文字。", "extra": 1},
            {"kind": "dataset", "title": "标题正常", "body": "y" * 5000},
            ["not", "an", "object"],
        ]
        for body in bodies:
            response = client.post("/api/v1/opendata/requests", json=body)
            assert response.status_code == 422, body
            assert response.headers["content-type"].startswith("application/problem+json")
        huge = client.post(
            "/api/v1/opendata/requests",
            content=b'{"body": "' + b"z" * (11 * 1024 * 1024) + b'"}',
            headers={"content-type": "application/json"},
        )
        assert huge.status_code == 413
        assert client.get("/api/v1/opendata/requests", params={"limit": 100_000}).status_code == 422
        assert _count(session, DataRequest) == 0
