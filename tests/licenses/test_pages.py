"""E-license pages: the wallet, the public verification page and the issued list."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.licenses import service
from govhub.licenses.schemas import LicenseStatus
from tests.browsing import SignIn, csrf_from
from tests.licenses.conftest import Licensing


class TestWallet:
    def test_the_holder_sees_the_license_with_its_qr_code(
        self, sign_in: SignIn, lic: Licensing
    ) -> None:
        browser = sign_in(lic.enterprise)
        page = browser.get("/licenses")
        assert page.status_code == 200
        assert "营业执照" in page.text
        assert f"/api/v1/licenses/mine/{lic.license.id}/qr.svg" in page.text
        assert lic.license.token in page.text
        qr = browser.get(f"/api/v1/licenses/mine/{lic.license.id}/qr.svg")
        assert qr.status_code == 200

    def test_an_empty_wallet_says_so(self, sign_in: SignIn, lic: Licensing) -> None:
        page = sign_in(lic.citizen).get("/licenses")
        assert 'data-testid="wallet-empty"' in page.text

    def test_anonymous_visitors_go_to_verification_and_officials_to_their_list(
        self, browser: TestClient, sign_in: SignIn, lic: Licensing
    ) -> None:
        assert browser.get("/licenses").headers["location"] == "/licenses/verify"
        official = sign_in(lic.world.city_a_admin)
        assert official.get("/licenses").headers["location"] == "/licenses/issued"


class TestVerifyPage:
    def test_a_pasted_token_verifies(self, browser: TestClient, lic: Licensing) -> None:
        token = csrf_from(browser.get("/licenses/verify").text)
        page = browser.post(
            "/licenses/verify", data={"csrf_token": token, "token": lic.license.token}
        )
        assert page.status_code == 200
        assert 'data-verdict="valid"' in page.text
        assert lic.enterprise.display_name in page.text

    def test_an_uploaded_qr_payload_verifies(self, browser: TestClient, lic: Licensing) -> None:
        token = csrf_from(browser.get("/licenses/verify").text)
        page = browser.post(
            "/licenses/verify",
            data={"csrf_token": token},
            files={"payload": ("scan.txt", lic.license.token.encode() + b"\n", "text/plain")},
        )
        assert 'data-verdict="valid"' in page.text

    def test_forged_and_binary_input_gets_a_clear_verdict(
        self, browser: TestClient, lic: Licensing
    ) -> None:
        token = csrf_from(browser.get("/licenses/verify").text)
        forged = lic.license.token[:-4] + "AAAA"
        page = browser.post("/licenses/verify", data={"csrf_token": token, "token": forged})
        assert page.status_code == 422
        assert 'data-verdict="license-invalid"' in page.text
        binary = browser.post(
            "/licenses/verify",
            data={"csrf_token": token},
            files={"payload": ("scan.png", b"\x89PNG\xff\xfe", "image/png")},
        )
        assert binary.status_code == 422
        assert 'data-verdict="license-invalid"' in binary.text

    def test_a_form_without_csrf_is_refused(self, browser: TestClient, lic: Licensing) -> None:
        page = browser.post("/licenses/verify", data={"token": lic.license.token})
        assert page.status_code == 403


class TestIssuedPage:
    def test_the_issuing_department_lists_and_revokes(
        self, session: Session, sign_in: SignIn, lic: Licensing
    ) -> None:
        official = sign_in(lic.world.city_a_admin)
        page = official.get("/licenses/issued")
        assert f'id="license-{lic.license.id}"' in page.text
        done = official.post(
            f"/licenses/{lic.license.id}/revocation",
            data={"csrf_token": csrf_from(page.text), "reason": "吊销：无证经营"},
        )
        assert done.status_code == 303
        session.expire_all()
        assert service.status_of(lic.license) is LicenseStatus.REVOKED
        again = official.post(
            f"/licenses/{lic.license.id}/revocation",
            data={"csrf_token": csrf_from(page.text), "reason": "再次"},
        )
        assert again.status_code == 303

    def test_another_department_cannot_revoke(
        self, session: Session, sign_in: SignIn, lic: Licensing
    ) -> None:
        official = sign_in(lic.world.city_b_admin)
        page = official.get("/licenses/issued")
        assert f'id="license-{lic.license.id}"' not in page.text
        response = official.post(
            f"/licenses/{lic.license.id}/revocation",
            data={"csrf_token": csrf_from(page.text), "reason": "不是我们发的"},
        )
        assert response.status_code == 404
        session.expire_all()
        assert service.status_of(lic.license) is LicenseStatus.ACTIVE

    def test_holders_may_not_see_the_issued_list(self, sign_in: SignIn, lic: Licensing) -> None:
        assert sign_in(lic.enterprise).get("/licenses/issued").status_code == 403
