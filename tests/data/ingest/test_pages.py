"""The upload wizard's pages: preview with suggestions, start, progress, result, quarantine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.ingest.models import JobStatus, LoadJob
from govhub.identity.models import Account
from tests.browsing import HTML, SignIn, csrf_from
from tests.data.helpers import make_resource
from tests.data.ingest import files
from tests.factories import PASSWORD, World


@pytest.fixture
def resource(session: Session, world: World) -> Resource:
    return make_resource(session, world, title="企业登记信息", fields=[])


def _browser(app: FastAPI, account: Account) -> TestClient:
    """Return a fresh browser signed in as `account` (one browser per person)."""
    browser = TestClient(app, headers=HTML, follow_redirects=False)
    token = csrf_from(browser.get("/login").text)
    response = browser.post(
        "/login", data={"username": account.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return browser


def _page_token(browser: TestClient) -> str:
    """Return the CSRF token the layout hands to htmx (any signed-in page carries it)."""
    match = re.search(
        r"X-CSRF-Token[^A-Za-z0-9_-]+([A-Za-z0-9_-]{20,})", browser.get("/catalog").text
    )
    assert match
    return match.group(1)


def _token(browser: TestClient, resource: Resource) -> str:
    page = browser.get(f"/catalog/resources/{resource.id}/upload")
    assert page.status_code == 200, page.text
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match
    return match.group(1)


def _upload(browser: TestClient, resource: Resource, path: Path, token: str) -> str:
    with path.open("rb") as handle:
        response = browser.post(
            f"/catalog/resources/{resource.id}/upload",
            headers={"X-CSRF-Token": token},
            files={"file": (path.name, handle)},
        )
    assert response.status_code == 200, response.text
    return response.text


class TestWizard:
    def test_gbk_file_through_every_step(
        self, session: Session, world: World, resource: Resource, sign_in: SignIn, tmp_path: Path
    ) -> None:
        browser = sign_in(world.city_a_admin)
        assert 'id="upload-link"' in browser.get(f"/catalog/resources/{resource.id}").text
        token = _token(browser, resource)
        path = files.write_csv(tmp_path / "登记.csv", files.enterprises(50), encoding="gbk")
        preview = _upload(browser, resource, path, token)
        assert 'data-fact="encoding">gb18030<' in preview
        assert 'data-fact="delimiter">,<' in preview
        assert re.search(r'<tr data-column="tyshxydm">.*?<option value="uscc" selected>', preview,
                         re.S)  # fmt: skip
        assert preview.count("<tr><td>") == 10  # the first rows
        job = session.scalars(select(LoadJob)).one()
        assert job.status is JobStatus.STAGED

        form = {"col_1": "tyshxydm", "map_1": "uscc", "col_2": "clrq", "map_2": "date"}
        started = browser.post(f"/catalog/loads/{job.id}/start", data=form,
                               headers={"X-CSRF-Token": token})  # fmt: skip
        assert started.status_code == 200, started.text
        assert 'data-wizard-step="3"' in started.text
        assert f'hx-get="/catalog/loads/{job.id}/progress"' in started.text
        result = browser.get(f"/catalog/loads/{job.id}/progress")
        assert 'data-wizard-step="4"' in result.text
        assert 'data-status="succeeded"' in result.text
        assert f"/catalog/resources/{resource.id}/quality" in result.text
        assert session.scalars(select(DatasetVersion.row_count)).one() == 50
        session.refresh(resource)
        assert {f["name"]: f["element_code"] for f in resource.fields} == {
            "tyshxydm": "uscc", "clrq": "date"
        }  # fmt: skip
        again = browser.post(f"/catalog/loads/{job.id}/start", headers={"X-CSRF-Token": token})
        assert again.status_code == 409

    def test_bad_file_goes_to_quarantine_with_its_report(
        self, session: Session, world: World, resource: Resource, sign_in: SignIn, tmp_path: Path
    ) -> None:
        browser = sign_in(world.city_a_admin)
        token = _token(browser, resource)
        path = tmp_path / "ragged.csv"
        path.write_bytes(b"a,b,c\n1,2,3\n4,5\n")
        answer = _upload(browser, resource, path, token)
        job = session.scalars(select(LoadJob)).one()
        assert 'data-wizard-step="3"' in answer
        result = browser.get(f"/catalog/loads/{job.id}/progress").text
        assert 'data-status="quarantined"' in result
        assert "data-where" in result
        assert f"/api/v1/data/loads/{job.id}/report" in result
        listed = browser.get(f"/catalog/resources/{resource.id}/upload").text
        assert f'data-load="{job.id}"' in listed
        retried = browser.post(f"/catalog/loads/{job.id}/retry", headers={"X-CSRF-Token": token})
        assert retried.status_code == 200
        session.refresh(job)
        assert job.attempts == 2
        assert job.status is JobStatus.QUARANTINED
        deleted = browser.post(f"/catalog/loads/{job.id}/delete", headers={"X-CSRF-Token": token})
        assert deleted.status_code == 200
        assert session.scalars(select(LoadJob)).all() == []

    def test_english_labels(self, world: World, resource: Resource, sign_in: SignIn) -> None:
        browser = sign_in(world.city_a_admin)
        browser.cookies.set("govhub_lang", "en")
        assert "Drop a file here" in browser.get(f"/catalog/resources/{resource.id}/upload").text
        browser.cookies.set("govhub_lang", "zh_CN")
        assert "拖" in browser.get(f"/catalog/resources/{resource.id}/upload").text


class TestAccess:
    def test_anonymous_forbidden_and_out_of_scope(
        self, app: FastAPI, browser: TestClient, world: World, resource: Resource,
        tmp_path: Path, session: Session,
    ) -> None:  # fmt: skip
        url = f"/catalog/resources/{resource.id}/upload"
        assert browser.get(url).status_code == 303
        official = _browser(app, world.city_a_official)
        assert official.get(url).status_code == 403
        assert 'id="upload-link"' not in official.get(f"/catalog/resources/{resource.id}").text
        browser = _browser(app, world.city_b_admin)
        assert browser.get(url).status_code == 404
        token = _page_token(browser)
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(3))
        with path.open("rb") as handle:
            posted = browser.post(url, headers={"X-CSRF-Token": token},
                                  files={"file": ("a.csv", handle)})  # fmt: skip
        assert posted.status_code == 404
        assert session.scalars(select(LoadJob)).all() == []

    def test_job_pages_of_other_departments_look_missing(
        self, app: FastAPI, session: Session, world: World, resource: Resource, sign_in: SignIn,
        tmp_path: Path,
    ) -> None:  # fmt: skip
        browser = sign_in(world.city_a_admin)
        token = _token(browser, resource)
        _upload(browser, resource, files.write_csv(tmp_path / "a.csv", files.enterprises(3)), token)
        job = session.scalars(select(LoadJob)).one()
        browser = _browser(app, world.city_b_admin)
        other = _page_token(browser)
        assert browser.get(f"/catalog/loads/{job.id}/progress").status_code == 404
        started = browser.post(f"/catalog/loads/{job.id}/start", headers={"X-CSRF-Token": other})
        assert started.status_code == 404
        deleted = browser.post(f"/catalog/loads/{job.id}/delete", headers={"X-CSRF-Token": other})
        assert deleted.status_code == 404
        retried = browser.post(f"/catalog/loads/{job.id}/retry", headers={"X-CSRF-Token": other})
        assert retried.status_code == 404

    def test_missing_csrf_changes_nothing(
        self, session: Session, world: World, resource: Resource, sign_in: SignIn, tmp_path: Path
    ) -> None:
        browser = sign_in(world.city_a_admin)
        path = files.write_csv(tmp_path / "a.csv", files.enterprises(3))
        with path.open("rb") as handle:
            response = browser.post(f"/catalog/resources/{resource.id}/upload",
                                    files={"file": ("a.csv", handle)})  # fmt: skip
        assert response.status_code == 403
        assert session.scalars(select(LoadJob)).all() == []

    def test_unknown_element_in_the_mapping_is_refused(
        self, session: Session, world: World, resource: Resource, sign_in: SignIn, tmp_path: Path
    ) -> None:
        browser = sign_in(world.city_a_admin)
        token = _token(browser, resource)
        _upload(browser, resource, files.write_csv(tmp_path / "a.csv", files.enterprises(3)), token)
        job = session.scalars(select(LoadJob)).one()
        response = browser.post(f"/catalog/loads/{job.id}/start", headers={"X-CSRF-Token": token},
                                data={"col_1": "qymc", "map_1": "no_such_element"})  # fmt: skip
        assert response.status_code == 422
        session.refresh(job)
        assert job.status is JobStatus.STAGED
