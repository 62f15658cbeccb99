"""The release gate: de-identified releases confirmed by pycanon, publication refused above the
risk threshold, the portal serving only released data, and who may do what."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from pycanon import anonymity as canon
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from govhub import cli
from govhub.core.errors import Conflict, NotFound
from govhub.data.opendata.releases import service
from govhub.data.opendata.releases.models import Release, ReleaseStatus
from govhub.data.opendata.releases.schemas import ReleaseCreate
from govhub.identity.models import Account
from govhub.ledger.models import LedgerPending
from govhub.privacy import vault
from tests.data.opendata.release_support import person_dataset, person_rows, release_body
from tests.factories import World

QIS = ["age", "xb", "qh"]
runner = CliRunner()


def _released_frame(release: Release) -> pd.DataFrame:
    return pq.read_table(io.BytesIO(vault.read_bytes(release.storage_key))).to_pandas()


def _create(session: Session, world: World, version: Any, **overrides: Any) -> Release:
    data = ReleaseCreate.model_validate(release_body(version, **overrides))
    return service.create(session, principal=world.principal(world.city_a_admin), data=data)


def _releases(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Release)) or 0)


class TestPycanonConfirms:
    """pycanon, computing on the stored release alone, finds what the release promises."""

    def test_k_and_distinct_l(self, session: Session, world: World, tmp_path: Path) -> None:
        _, version = person_dataset(session, world, tmp_path)
        release = _create(session, world, version, k=5, l=2)
        frame = _released_frame(release)
        assert canon.k_anonymity(frame, QIS) >= 5
        assert canon.l_diversity(frame, QIS, ["jb"]) >= 2
        assert release.report["released"] == len(frame)

    def test_t_closeness(self, session: Session, world: World, tmp_path: Path) -> None:
        _, version = person_dataset(session, world, tmp_path)
        release = _create(session, world, version, k=4, t=0.3)
        frame = _released_frame(release)
        assert canon.k_anonymity(frame, QIS) >= 4
        assert canon.t_closeness(frame, QIS, ["jb"]) <= 0.3 + 1e-9

    def test_local_recoding(self, session: Session, world: World, tmp_path: Path) -> None:
        _, version = person_dataset(session, world, tmp_path)
        local = _create(session, world, version, k=5, l=2, method="local")
        full = _create(session, world, version, k=5, l=2)
        frame = _released_frame(local)
        assert canon.k_anonymity(frame, QIS) >= 5
        assert canon.l_diversity(frame, QIS, ["jb"]) >= 2
        assert len(frame) == 120  # local recoding suppresses nothing
        assert local.report["loss"] <= full.report["loss"]

    def test_direct_identifiers_never_leave(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        _, version = person_dataset(session, world, tmp_path)
        release = _create(session, world, version)
        frame = _released_frame(release)
        assert set(frame.columns) == {"age", "xb", "qh", "jb"}
        assert release.parameters["dropped"] == ["sfzh", "xm"]
        ids = {row[1] for row in person_rows()}
        assert not ids & set(frame.astype(str).to_numpy().ravel())
        assert release.has_personal


class TestDecision:
    """The decision follows the threshold, and is ledgered with its parameters."""

    def test_risk_and_decision(self, session: Session, world: World, tmp_path: Path) -> None:
        _, version = person_dataset(session, world, tmp_path)
        safe = _create(session, world, version, k=5)
        risky = _create(session, world, version, k=2)
        assert safe.risk_highest <= 0.2
        assert safe.publishable
        assert risky.risk_highest > 0.2
        assert not risky.publishable
        for model in ("prosecutor", "journalist", "marketer"):
            assert set(safe.report["risk"][model]) == {"highest", "average", "records_at_risk"}
        kinds = session.scalars(
            select(LedgerPending.kind).where(LedgerPending.subject == f"release:{risky.id}")
        ).all()
        assert list(kinds) == ["release_decided"]

    def test_threshold_setting(
        self, session: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("GOVHUB_OPENDATA_MAX_RISK", "0.6")
        _, version = person_dataset(session, world, tmp_path)
        release = _create(session, world, version, k=2)
        assert release.threshold == 0.6
        assert release.publishable

    def test_publish_refused_above_threshold(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        _, version = person_dataset(session, world, tmp_path)
        risky = _create(session, world, version, k=2)
        with pytest.raises(Conflict):
            service.publish(session, principal=world.principal(world.city_a_admin),
                            release_id=risky.id)  # fmt: skip
        assert risky.status is ReleaseStatus.COMPUTED


class TestApi:
    """The routes: compute, publish (or 409), withdraw, and what the portal then serves."""

    def test_publish_serves_only_the_release(
        self, client: TestClient, login: Callable[[Account], dict[str, str]],
        session: Session, world: World, tmp_path: Path,
    ) -> None:  # fmt: skip
        resource, version = person_dataset(session, world, tmp_path)
        session.commit()
        admin = login(world.city_a_admin)
        show = {"id": str(resource.id)}
        assert client.get("/api/3/action/package_show", params=show).status_code == 404
        made = client.post("/api/v1/opendata/releases", json=release_body(version), headers=admin)
        assert made.status_code == 201, made.text
        release_id = made.json()["id"]
        assert client.get(f"/api/v1/opendata/releases/{release_id}").status_code == 404
        published = client.post(f"/api/v1/opendata/releases/{release_id}/publish", headers=admin)
        assert published.status_code == 200
        assert published.json()["status"] == "published"
        package = client.get("/api/3/action/package_show", params=show).json()["result"]
        assert package["resources"][0]["rows"] == made.json()["row_count"]
        rows = client.get(
            "/api/3/action/datastore_search", params={"resource_id": str(version.id)}
        ).json()["result"]
        assert {f["id"] for f in rows["fields"]} == {"_id", "age", "xb", "qh", "jb"}
        csv = client.get(f"/api/opendata/download/{version.id}.csv").text
        assert not any(row[1] in csv or row[0] in csv for row in person_rows())
        latest = client.get(f"/dataset/{resource.id}/download/csv").text
        assert latest == csv
        query = f'SELECT * FROM "{version.id}" LIMIT 5'  # noqa: S608 - the sandbox's own test
        sql = client.get("/api/3/action/datastore_search_sql", params={"sql": query}).json()
        sql = sql["result"]
        assert {f["id"] for f in sql["fields"]} == {"age", "xb", "qh", "jb"}
        assert client.get(f"/dataset/{resource.id}.jsonld").status_code == 200
        page = client.get(f"/opendata/releases/{release_id}")
        assert page.status_code == 200
        assert 'data-status="published"' in page.text
        assert client.get(f"/api/v1/opendata/releases/{release_id}").status_code == 200
        withdrawn = client.post(f"/api/v1/opendata/releases/{release_id}/withdraw", headers=admin)
        assert withdrawn.json()["status"] == "withdrawn"
        assert client.get("/api/3/action/package_show", params=show).status_code == 404
        kinds = session.scalars(
            select(LedgerPending.kind).where(LedgerPending.subject == f"release:{release_id}")
        ).all()
        assert sorted(kinds) == ["release_decided", "release_published", "release_withdrawn"]

    def test_publish_above_threshold_is_409(
        self, client: TestClient, login: Callable[[Account], dict[str, str]],
        session: Session, world: World, tmp_path: Path,
    ) -> None:  # fmt: skip
        resource, version = person_dataset(session, world, tmp_path)
        session.commit()
        admin = login(world.city_a_admin)
        made = client.post(
            "/api/v1/opendata/releases", json=release_body(version, k=2), headers=admin
        ).json()
        assert made["publishable"] is False
        refused = client.post(f"/api/v1/opendata/releases/{made['id']}/publish", headers=admin)
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert "exceeds the threshold" in problem["detail"]
        assert problem["threshold"] == 0.2
        assert problem["risk"] > 0.2
        again = client.get(f"/api/v1/opendata/releases/{made['id']}", headers=admin).json()
        assert again["status"] == "computed"
        show = {"id": str(resource.id)}
        assert client.get("/api/3/action/package_show", params=show).status_code == 404
        page = client.get(f"/opendata/releases/{made['id']}", headers=admin)
        assert 'data-status="refused"' in page.text

    @pytest.mark.parametrize(
        ("overrides", "status"),
        [
            ({"dataset_version_id": str(uuid.uuid4())}, 404),
            ({"quasi_identifiers": ["nope"]}, 422),
            ({"sensitive": ["age"]}, 422),  # a column with two roles
            ({"k": 1}, 422),
            ({"k": 100_000}, 422),
            ({"k": 1000}, 422),  # more than the records
            ({"hierarchies": {"age": {"kind": "bands"}}}, 422),
            ({"hierarchies": {"qh": {"kind": "date"}}}, 422),  # not dates
            ({"hierarchies": {"jb": {"kind": "suppression"}}}, 422),  # not a quasi-identifier
            ({"sensitive": [], "l": 2}, 422),
            ({"method": "magic"}, 422),
            ({"extra": 1}, 422),
        ],
    )
    def test_bad_input_changes_nothing(
        self, client: TestClient, login: Callable[[Account], dict[str, str]],
        session: Session, world: World, tmp_path: Path, overrides: dict[str, Any], status: int,
    ) -> None:  # fmt: skip
        _, version = person_dataset(session, world, tmp_path, count=40)
        session.commit()
        before = _releases(session)
        answer = client.post(
            "/api/v1/opendata/releases",
            json=release_body(version, **overrides),
            headers=login(world.city_a_admin),
        )
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert _releases(session) == before

    def test_suggestions(
        self, client: TestClient, login: Callable[[Account], dict[str, str]],
        session: Session, world: World, tmp_path: Path,
    ) -> None:  # fmt: skip
        _, version = person_dataset(session, world, tmp_path, count=40)
        session.commit()
        found = client.get(
            f"/api/v1/opendata/releases/suggestions/{version.id}",
            headers=login(world.city_a_admin),
        ).json()
        assert set(found["direct_identifiers"]) == {"xm", "sfzh"}
        assert set(found["quasi_identifiers"]) == {"age", "xb", "qh"}
        assert found["sensitive"] == ["jb"]
        assert found["hierarchies"] == {"age": "age", "xb": "suppression", "qh": "division"}


class TestAuthorization:
    """Only the owning department's data officials compute, publish and withdraw releases."""

    def test_roles_and_departments(
        self, client: TestClient, login: Callable[[Account], dict[str, str]],
        session: Session, world: World, tmp_path: Path,
    ) -> None:  # fmt: skip
        _, version = person_dataset(session, world, tmp_path, count=40)
        release = _create(session, world, version)
        session.commit()
        body = release_body(version)
        expected = {
            "anonymous": 401,
            "official_a": 403,  # same department, not a data official
            "leader_a": 403,
            "admin_b": 404,  # a data official of another city
            "platform_admin": 404,  # every permission, not the owning department
        }
        accounts: dict[str, Account | None] = {
            "anonymous": None,
            "official_a": world.city_a_official,
            "leader_a": world.city_a_leader,
            "admin_b": world.city_b_admin,
            "platform_admin": world.platform_admin,
        }
        for name, status in expected.items():
            account = accounts[name]
            headers = login(account) if account is not None else {}
            made = client.post("/api/v1/opendata/releases", json=body, headers=headers)
            assert made.status_code == status, (name, made.text)
            for action in ("publish", "withdraw"):
                url = f"/api/v1/opendata/releases/{release.id}/{action}"
                assert client.post(url, headers=headers).status_code == status, (name, action)
            read = client.get(f"/api/v1/opendata/releases/{release.id}", headers=headers)
            assert read.status_code == (404 if name in {"anonymous", "admin_b"} else 200), name
        session.refresh(release)
        assert release.status is ReleaseStatus.COMPUTED

    def test_service_refuses_other_departments(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        _, version = person_dataset(session, world, tmp_path, count=40)
        data = ReleaseCreate.model_validate(release_body(version))
        with pytest.raises(NotFound):
            service.create(session, principal=world.principal(world.city_b_admin), data=data)
        assert _releases(session) == 0


class TestCommandLine:
    """`govhub opendata release|publish|withdraw`."""

    def test_release_publish_and_withdraw(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        _, version = person_dataset(session, world, tmp_path, count=60)
        session.commit()
        args = ["opendata", "release", str(version.id), "--qi", "age", "--qi", "xb", "--qi", "qh"]
        made = runner.invoke(cli.app, [*args, "--k", "5", "--sensitive", "jb", "--local"])
        assert made.exit_code == 0, made.output
        assert "may be published" in made.output
        release = session.scalars(
            select(Release).where(Release.dataset_version_id == version.id)
        ).one()
        assert release.method == "local"
        published = runner.invoke(cli.app, ["opendata", "publish", str(release.id)])
        assert published.exit_code == 0, published.output
        assert "status published" in published.output
        withdrawn = runner.invoke(cli.app, ["opendata", "withdraw", str(release.id)])
        assert "status withdrawn" in withdrawn.output

    def test_refusals_exit_1(self, session: Session, world: World, tmp_path: Path) -> None:
        _, version = person_dataset(session, world, tmp_path, count=60)
        session.commit()
        risky = runner.invoke(
            cli.app, ["opendata", "release", str(version.id), "--qi", "age", "--k", "2"]
        )
        assert "refused: risk too high" in risky.output
        release = session.scalars(
            select(Release).where(Release.dataset_version_id == version.id)
        ).one()
        refused = runner.invoke(cli.app, ["opendata", "publish", str(release.id)])
        assert refused.exit_code == 1
        assert "exceeds the threshold" in refused.output
        unknown = runner.invoke(cli.app, ["opendata", "publish", str(uuid.uuid4())])
        assert unknown.exit_code == 1
        bad = runner.invoke(cli.app, ["opendata", "release", str(version.id), "--qi", "nope"])
        assert bad.exit_code == 1
        assert "no column" in bad.output


class TestPublication:
    """Publishing twice, after a withdrawal, a newer release, and data that never opens."""

    def test_newer_release_replaces_the_published_one(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        _, version = person_dataset(session, world, tmp_path, count=60)
        admin = world.principal(world.city_a_admin)
        first = _create(session, world, version, k=5)
        second = _create(session, world, version, k=6, method="local")
        service.publish(session, principal=admin, release_id=first.id)
        assert service.publish(session, principal=admin, release_id=first.id) is first
        service.publish(session, principal=admin, release_id=second.id)
        assert (first.status.value, second.status.value) == ("withdrawn", "published")
        with pytest.raises(Conflict, match="withdrawn"):
            service.publish(session, principal=admin, release_id=first.id)
        assert service.withdraw(session, principal=admin, release_id=first.id) is first

    @pytest.mark.parametrize(
        "overrides",
        [{"security_class": "core"}, {"sharing_type": "not_shared"}],
    )
    def test_data_that_never_opens(
        self, session: Session, world: World, tmp_path: Path, overrides: dict[str, Any]
    ) -> None:
        _, version = person_dataset(session, world, tmp_path, count=60, **overrides)
        release = _create(session, world, version, k=5)
        with pytest.raises(Conflict):
            service.publish(session, principal=world.principal(world.city_a_admin),
                            release_id=release.id)  # fmt: skip
        assert release.status is ReleaseStatus.COMPUTED
