"""The release page: risk figures and chart data, and the publish and withdraw buttons."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from govhub.data.opendata.releases import service
from govhub.data.opendata.releases.models import Release, ReleaseStatus
from govhub.data.opendata.releases.schemas import ReleaseCreate
from tests.browsing import SignIn, csrf_from
from tests.data.opendata.release_support import person_dataset, release_body
from tests.factories import World


def _release(session: Session, world: World, tmp_path: Path, k: int) -> Release:
    _, version = person_dataset(session, world, tmp_path, count=60)
    data = ReleaseCreate.model_validate(release_body(version, k=k))
    made = service.create(session, principal=world.principal(world.city_a_admin), data=data)
    session.commit()
    return made


class TestReleasePage:
    def test_owner_publishes_then_withdraws(
        self, session: Session, world: World, tmp_path: Path, sign_in: SignIn
    ) -> None:
        release = _release(session, world, tmp_path, k=5)
        browser = sign_in(world.city_a_admin)
        page = browser.get(f"/opendata/releases/{release.id}")
        assert page.status_code == 200
        for figure in ('data-status="publishable"', 'data-model="prosecutor"',
                       'data-model="journalist"', 'data-model="marketer"', 'id="release-data"',
                       'data-testid="publish"'):  # fmt: skip
            assert figure in page.text, figure
        posted = browser.post(
            f"/opendata/releases/{release.id}/publish", data={"csrf_token": csrf_from(page.text)}
        )
        assert posted.status_code == 303
        session.refresh(release)
        assert release.status is ReleaseStatus.PUBLISHED
        page = browser.get(f"/opendata/releases/{release.id}")
        assert 'data-testid="withdraw"' in page.text
        browser.post(
            f"/opendata/releases/{release.id}/withdraw", data={"csrf_token": csrf_from(page.text)}
        )
        session.refresh(release)
        assert release.status.value == "withdrawn"

    def test_refused_publish_shows_why(
        self, session: Session, world: World, tmp_path: Path, sign_in: SignIn
    ) -> None:
        release = _release(session, world, tmp_path, k=2)
        browser = sign_in(world.city_a_admin)
        page = browser.get(f"/opendata/releases/{release.id}")
        assert 'data-status="refused"' in page.text
        posted = browser.post(
            f"/opendata/releases/{release.id}/publish", data={"csrf_token": csrf_from(page.text)}
        )
        assert posted.status_code == 409
        assert 'data-testid="gate-refused"' in posted.text
        assert "exceeds the threshold" in posted.text
        session.refresh(release)
        assert release.status is ReleaseStatus.COMPUTED

    def test_others_see_nothing_or_cannot_act(
        self, session: Session, world: World, tmp_path: Path, sign_in: SignIn
    ) -> None:
        release = _release(session, world, tmp_path, k=5)
        stranger = sign_in(world.city_b_admin)
        assert stranger.get(f"/opendata/releases/{release.id}").status_code == 404
        token = csrf_from(stranger.get("/workbench").text)
        posted = stranger.post(f"/opendata/releases/{release.id}/publish",
                               data={"csrf_token": token})  # fmt: skip
        assert posted.status_code == 404
        session.refresh(release)
        assert release.status is ReleaseStatus.COMPUTED

    def test_a_published_release_is_public(
        self, session: Session, world: World, tmp_path: Path, sign_in: SignIn
    ) -> None:
        release = _release(session, world, tmp_path, k=5)
        service.publish(session, principal=world.principal(world.city_a_admin),
                        release_id=release.id)  # fmt: skip
        session.commit()
        official = sign_in(world.city_a_official)  # reads, holds no catalog:edit
        page = official.get(f"/opendata/releases/{release.id}")
        assert page.status_code == 200
        assert 'data-testid="withdraw"' not in page.text
