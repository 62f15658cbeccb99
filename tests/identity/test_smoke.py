from fastapi.testclient import TestClient

from tests.factories import World


def test_me(client: TestClient, world: World, login) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/me", headers=login(world.city_a_admin))
    assert r.status_code == 200, r.text
    assert r.json()["username"] == world.city_a_admin.username
