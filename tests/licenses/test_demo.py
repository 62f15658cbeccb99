"""The demo e-licenses: types, genuine licenses for demo holders, and a second load adds none."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.demo import build_plan, load_demo
from govhub.demo.loader import DEMO_LICENSED_CITIZENS, DEMO_LICENSED_ENTERPRISES
from govhub.licenses import keys, service
from govhub.licenses.demo import DEMO_TYPES
from govhub.licenses.models import HolderKind, License, LicenseType
from tests.licenses import relying_party


def test_demo_holders_get_genuine_licenses_once(session: Session) -> None:
    plan = build_plan(seed=2026, citizens=20, enterprises=10)
    report = load_demo(session, plan)
    codes = {t.code for t in service.list_types(session)}
    assert {t.code for t in DEMO_TYPES} <= codes
    assert session.get(LicenseType, "OUTDOOR_SIGNBOARD_PERMIT") is not None
    # Business, food and fire licenses for each enterprise; a resident certificate per citizen
    # (the demo province has no department that issues signboard permits).
    expected = 3 * DEMO_LICENSED_ENTERPRISES + DEMO_LICENSED_CITIZENS
    assert report.stages["licenses"].inserted == expected
    assert session.scalar(select(func.count()).select_from(License)) == expected

    first = plan.enterprises[0]
    wallet = service.wallet(session, service.HolderRef(HolderKind.ENTERPRISE, first.id))
    assert {row.type_code for row in wallet} == {
        "BUSINESS_LICENSE",
        "FOOD_BUSINESS_PERMIT",
        "FIRE_SAFETY_INSPECTION",
    }
    jwks = keys.jwks(session)
    for row in wallet:
        assert service.verify(session, row.token).holder_name == first.display_name
        assert relying_party.verify(row.token, jwks)["credentialSubject"]["name"]

    again = load_demo(session, plan)
    assert again.stages["licenses"].inserted == 0
    assert session.scalar(select(func.count()).select_from(License)) == expected
