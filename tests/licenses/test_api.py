"""The e-license API: wallet, issuing, revocation and public verification, as clients see it."""

from __future__ import annotations

from collections.abc import Callable

import jwt
from fastapi.testclient import TestClient
from httpx2 import Response

from govhub.identity.models import Account
from govhub.licenses import credentials
from tests.licenses import relying_party
from tests.licenses.conftest import Licensing
from tests.licenses.helpers import BUSINESS, RESIDENT

Login = Callable[[Account], dict[str, str]]
PROBLEM = "application/problem+json"


def _problem(response: Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"].endswith(f"/{slug}")


class TestWallet:
    def test_the_enterprise_sees_its_license_with_a_qr_code(
        self, client: TestClient, login: Login, lic: Licensing
    ) -> None:
        headers = login(lic.enterprise)
        mine = client.get("/api/v1/licenses/mine", headers=headers).json()
        assert [m["id"] for m in mine] == [str(lic.license.id)]
        assert mine[0]["status"] == "active"
        assert mine[0]["type_name_en"] == "Business license"
        assert mine[0]["token"] == lic.license.token
        qr = client.get(f"/api/v1/licenses/mine/{lic.license.id}/qr.svg", headers=headers)
        assert qr.status_code == 200
        assert qr.headers["content-type"] == "image/svg+xml"
        assert qr.text.startswith("<svg")

    def test_the_citizen_sees_none_and_cannot_fetch_the_enterprises_qr(
        self, client: TestClient, login: Login, lic: Licensing
    ) -> None:
        headers = login(lic.citizen)
        assert client.get("/api/v1/licenses/mine", headers=headers).json() == []
        response = client.get(f"/api/v1/licenses/mine/{lic.license.id}/qr.svg", headers=headers)
        _problem(response, 404, "not-found")


class TestIssue:
    def test_an_approver_issues_to_a_citizen(
        self, client: TestClient, login: Login, lic: Licensing
    ) -> None:
        body = {
            "license_type": RESIDENT,
            "holder_kind": "person",
            "holder_id": str(lic.citizen.id),
            "claims": {"address": "上城区清波街道 8 号"},
        }
        response = client.post(
            "/api/v1/licenses", json=body, headers=login(lic.world.county_a_official)
        )
        assert response.status_code == 201, response.text
        issued = response.json()
        assert issued["issuer_department_id"] == str(lic.world.county_a_market.id)
        jwks = client.get("/api/v1/licenses/jwks").json()
        claims = relying_party.verify(issued["token"], jwks)
        assert claims["credentialSubject"]["address"] == "上城区清波街道 8 号"
        assert claims["credentialSubject"]["name"] == lic.citizen.display_name

    def test_issuing_in_another_departments_name_changes_nothing(
        self, client: TestClient, login: Login, lic: Licensing
    ) -> None:
        headers = login(lic.world.city_b_admin)
        body = {
            "license_type": BUSINESS,
            "holder_kind": "enterprise",
            "holder_id": str(lic.enterprise.id),
            "department_id": str(lic.world.city_a_market.id),
        }
        _problem(client.post("/api/v1/licenses", json=body, headers=headers), 404, "not-found")
        issued = client.get("/api/v1/licenses/issued", headers=headers).json()
        assert issued["total"] == 0

    def test_bad_bodies_are_refused(self, client: TestClient, login: Login, lic: Licensing) -> None:
        headers = login(lic.world.city_a_admin)
        base = {"license_type": BUSINESS, "holder_kind": "enterprise"}
        for body in (
            base,
            base | {"holder_id": "not-a-uuid"},
            base | {"holder_id": str(lic.enterprise.id), "claims": {"x": [1]}},
            base | {"holder_id": str(lic.enterprise.id), "extra": 1},
            base | {"holder_id": str(lic.enterprise.id), "license_type": "bad code!"},
        ):
            _problem(
                client.post("/api/v1/licenses", json=body, headers=headers), 422, "invalid-input"
            )
        issued = client.get("/api/v1/licenses/issued", headers=headers).json()
        assert issued["total"] == 1

    def test_the_department_lists_what_it_issued(
        self, client: TestClient, login: Login, lic: Licensing
    ) -> None:
        page = client.get("/api/v1/licenses/issued", headers=login(lic.world.city_a_admin)).json()
        assert [i["id"] for i in page["items"]] == [str(lic.license.id)]


class TestVerifyAndRevoke:
    def test_verification_is_public(self, client: TestClient, lic: Licensing) -> None:
        response = client.post("/api/v1/licenses/verify", json={"token": lic.license.token})
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["valid"] is True
        assert result["license_type"] == BUSINESS
        assert result["holder_name"] == lic.enterprise.display_name

    def test_forged_and_garbage_tokens_are_clear_422s(
        self, client: TestClient, lic: Licensing
    ) -> None:
        head, body, signature = lic.license.token.split(".")
        flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
        for token in (f"{head}.{body}.{flipped}", "garbage", f"{head}.{body}."):
            response = client.post("/api/v1/licenses/verify", json={"token": token})
            _problem(response, 422, "license-invalid")
        _problem(client.post("/api/v1/licenses/verify", json={}), 422, "invalid-input")
        too_long = {"token": "x" * 8001}
        _problem(client.post("/api/v1/licenses/verify", json=too_long), 422, "invalid-input")

    def test_revoked_licenses_answer_license_revoked(
        self, client: TestClient, login: Login, lic: Licensing
    ) -> None:
        url = f"/api/v1/licenses/{lic.license.id}/revoke"
        _problem(
            client.post(url, json={"reason": "吊销"}, headers=login(lic.world.city_b_admin)),
            404,
            "not-found",
        )
        headers = login(lic.world.city_a_admin)
        revoked = client.post(url, json={"reason": "吊销：无证经营"}, headers=headers)
        assert revoked.status_code == 200
        assert revoked.json()["status"] == "revoked"
        _problem(client.post(url, json={"reason": "again"}, headers=headers), 409, "conflict")
        response = client.post("/api/v1/licenses/verify", json={"token": lic.license.token})
        _problem(response, 422, "license-revoked")

        status = client.get(f"/api/v1/licenses/status/{lic.world.city_a_market.id}")
        assert status.headers["content-type"].startswith("application/vc+jwt")
        jwks = client.get("/api/v1/licenses/jwks").json()
        status_vc = relying_party.verify(status.text, jwks)
        bits = credentials.decode_status_list(status_vc["credentialSubject"]["encodedList"])
        assert credentials.bit_is_set(bits, lic.license.status_index)
        # A relying party holding only the license and the status list reaches the same verdict.
        license_vc = relying_party.verify(lic.license.token, jwks)
        assert license_vc["credentialStatus"]["statusListCredential"] == status_vc["id"]

    def test_the_did_document_carries_the_signing_key(
        self, client: TestClient, lic: Licensing
    ) -> None:
        department = lic.world.city_a_market.id
        document = client.get(f"/api/v1/licenses/issuers/{department}/did.json").json()
        claims = jwt.decode(lic.license.token, options={"verify_signature": False})
        assert document["id"] == claims["iss"]
        method = document["verificationMethod"][0]
        assert method["id"] == f"{document['id']}#{lic.license.kid}"
        key = jwt.PyJWK(method["publicKeyJwk"]).key
        assert jwt.decode(lic.license.token, key=key, algorithms=["EdDSA"])["jti"]
        missing = client.get(f"/api/v1/licenses/issuers/{lic.world.city_a_tax.id}/did.json")
        _problem(missing, 404, "not-found")
        _problem(client.get(f"/api/v1/licenses/status/{lic.world.city_a_tax.id}"), 404, "not-found")

    def test_types_are_public(self, client: TestClient, lic: Licensing) -> None:
        codes = [t["code"] for t in client.get("/api/v1/licenses/types").json()]
        assert BUSINESS in codes
