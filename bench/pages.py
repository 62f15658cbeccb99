"""Benchmark the application pages: the pre-filled bundle form and a bundle applied for on it.

    .venv/bin/python bench/pages.py [--requests 200] [--submissions 50]

In process (FastAPI's TestClient, the whole middleware stack, no background tasks: ledger
entries stay pending, as on the browser tests' server) against a scratch SQLite platform:
city A with the restaurant bundle's three departments and an enterprise whose wallet holds a
business license. Each measure runs beside its named peer, interleaved in rounds:

- the bundle's form for the signed-in enterprise (its account and wallet read, each license
  verified, every field and material merged) against the same page anonymous (the guide only)
  and against one matter's form (`/services/matters/SC-001`, signed in);
- a bundle applied for on the page (one multipart POST with the five uploads, the 303) against
  the API client's way (`POST /api/v1/services/documents` five times, then
  `POST /api/v1/services/applications` with the bundle code).

Prints a table and writes bench/results/pages.json with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "pages.json"
PASSWORD = "bench-password-2026"  # noqa: S105 - a scratch platform's throwaway account
USCC = "91330100MA2700001"  # the check character is computed
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
UPLOADS = ("premises", "layout", "food_safety", "fire_plan", "design")
HTML = {"Accept": "text/html,application/xhtml+xml"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def environment(scratch: Path) -> dict[str, str]:
    """Settings of the scratch platform."""
    return {
        "GOVHUB_VAR_DIR": str(scratch),
        "GOVHUB_DATABASE_URL": f"sqlite:///{scratch / 'govhub.db'}",
        "GOVHUB_SECRET_KEY": "bench-secret-key-not-for-production",
        "GOVHUB_LOG_LEVEL": "warning",
    }


def build() -> str:
    """Create city A, its departments, the catalog, the license types and an enterprise with a
    business license; return the enterprise's username."""
    # GovHub is imported here, after the scratch settings are in the environment.
    from govhub.core import migrations  # noqa: PLC0415
    from govhub.core.db import session_scope  # noqa: PLC0415
    from govhub.core.settings import get_settings  # noqa: PLC0415
    from govhub.identity import service as identity  # noqa: PLC0415
    from govhub.identity.codes import DivisionLevel, uscc_check_char  # noqa: PLC0415
    from govhub.identity.models import Department, DepartmentType, Division  # noqa: PLC0415
    from govhub.identity.schemas import EnterpriseRegister  # noqa: PLC0415
    from govhub.licenses import demo as demo_licenses  # noqa: PLC0415
    from govhub.licenses import service as licenses  # noqa: PLC0415
    from govhub.licenses.models import HolderKind  # noqa: PLC0415
    from govhub.services import service  # noqa: PLC0415

    get_settings.cache_clear()
    migrations.upgrade("head")
    with session_scope() as session:
        session.add(Division(code="330000", name="浙江省", level=DivisionLevel.PROVINCE))
        session.flush()
        session.add(Division(code="330100", name="杭州市", level=DivisionLevel.CITY,
                             parent_code="330000"))  # fmt: skip
        session.flush()
        departments = {}
        for code, kind in (("A-SCJG", DepartmentType.MARKET_REGULATION),
                           ("A-GA", DepartmentType.PUBLIC_SECURITY),
                           ("A-ZF", DepartmentType.OTHER)):  # fmt: skip
            departments[code] = Department(code=code, name=code, type=kind, division_code="330100")
            session.add(departments[code])
        session.flush()
        service.load_standard(session)
        for data in demo_licenses.DEMO_TYPES:
            licenses.define_type(session, data=data)
        firm = identity.register_enterprise(
            session,
            data=EnterpriseRegister(username="bench-firm", password=PASSWORD,
                                    display_name="杭州小明餐饮有限公司",
                                    uscc=USCC + uscc_check_char(USCC)),
        )  # fmt: skip
        licenses.issue(
            session,
            license_type="BUSINESS_LICENSE",
            holder=licenses.HolderRef(HolderKind.ENTERPRISE, firm.id),
            claims={"businessScope": "餐饮服务", "domicile": "杭州市上城区清波街 1 号"},
            issuer_department_id=departments["A-SCJG"].id,
        )
        return firm.username


def _timed(call: Callable[[], None]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2),
        "per_second": round(1000 / statistics.mean(ordered), 1),
    }


def measure(username: str, requests: int, submissions: int) -> dict[str, Any]:
    """Time the pages against their peers, interleaved."""
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from govhub.api import create_app  # noqa: PLC0415

    app = create_app()
    # Three cookie jars on one app, without the background work (ledger batches), as the
    # browser tests' server runs: on SQLite it would contend for the one writer.
    anonymous = TestClient(app, headers=HTML, follow_redirects=False)
    api = TestClient(app)
    browser = TestClient(app, headers=HTML, follow_redirects=False)
    login = browser.get("/login").text
    token = CSRF.search(login)
    if token is None:
        raise RuntimeError("no CSRF field on the login page")
    signed = browser.post("/login", data={"username": username, "password": PASSWORD,
                                          "csrf_token": token.group(1)})  # fmt: skip
    if signed.status_code != 303:
        raise RuntimeError(signed.text[:300])
    bearer = api.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    api.headers["Authorization"] = f"Bearer {bearer.json()['access_token']}"

    def get(client: TestClient, url: str) -> Callable[[], None]:
        def call() -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")

        return call

    reads: dict[str, list[float]] = {"bundle_form": [], "bundle_guide_anonymous": [],
                                     "matter_form": []}  # fmt: skip
    calls = {
        "bundle_form": get(browser, "/services/bundles/YJS-CANYIN"),
        "bundle_guide_anonymous": get(anonymous, "/services/bundles/YJS-CANYIN"),
        "matter_form": get(browser, "/services/matters/SC-001"),
    }
    for call in calls.values():
        call()  # warm up
    for _ in range(requests):
        for name, call in calls.items():
            reads[name].append(_timed(call))

    csrf = CSRF.search(browser.get("/services/bundles/YJS-CANYIN").text)
    if csrf is None:
        raise RuntimeError("no CSRF field on the bundle form")
    n = iter(range(1, 2 * submissions + 1))
    files = {f"material_{c}": (f"{c}.pdf", PDF, "application/pdf") for c in UPLOADS}

    def on_page() -> None:
        data = {"csrf_token": csrf.group(1), "division_code": "330100",
                "phone": "13800138000", "area": str(next(n)), "size_m2": "3.5"}  # fmt: skip
        response = browser.post("/services/bundles/YJS-CANYIN/apply", data=data, files=files)
        if response.status_code != 303:
            raise RuntimeError(response.text[:500])

    def by_api() -> None:
        ids = []
        for code in UPLOADS:
            uploaded = api.post(
                "/api/v1/services/documents",
                data={"material_code": code},
                files={"file": (f"{code}.pdf", PDF, "application/pdf")},
            )
            ids.append(uploaded.json()["id"])
        common = {"applicant_name": "杭州小明餐饮有限公司", "phone": "13800138000",
                  "address": "杭州市上城区清波街 1 号"}  # fmt: skip
        area = next(n)
        form = {
            "SC-001": {**common, "business_name": "杭州小明餐饮有限公司", "scope": "餐饮服务"},
            "SC-003": {**common, "business_name": "杭州小明餐饮有限公司", "area": area},
            "GA-004": {**common, "area": area},
            "ZF-001": {**common, "size_m2": 3.5},
        }
        response = api.post("/api/v1/services/applications", json={
            "bundle_code": "YJS-CANYIN", "division_code": "330100", "form": form,
            "document_ids": ids})  # fmt: skip
        if response.status_code != 201:
            raise RuntimeError(response.text[:500])

    writes: dict[str, list[float]] = {"apply_on_page": [], "apply_by_api": []}
    for _ in range(submissions):
        writes["apply_on_page"].append(_timed(on_page))
        writes["apply_by_api"].append(_timed(by_api))
    return {name: _summary(times) for name, times in {**reads, **writes}.items()}


def main() -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--submissions", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="govhub-bench-") as tmp:
        os.environ.update(environment(Path(tmp)))
        username = build()
        measured = measure(username, args.requests, args.submissions)
    result: dict[str, Any] = {
        "backend": "sqlite",
        "requests": args.requests,
        "submissions": args.submissions,
        "measures": measured,
        "ratios": {
            "bundle_form_vs_anonymous_guide": round(
                measured["bundle_form"]["median_ms"]
                / measured["bundle_guide_anonymous"]["median_ms"],
                2,
            ),
            "bundle_form_vs_matter_form": round(
                measured["bundle_form"]["median_ms"] / measured["matter_form"]["median_ms"], 2
            ),
            "apply_on_page_vs_api": round(
                measured["apply_on_page"]["median_ms"] / measured["apply_by_api"]["median_ms"], 2
            ),
        },
        "load_average_1m": round(os.getloadavg()[0], 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, Python {sys.version.split()[0]}",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(f"{'measure':<28}{'median ms':>11}{'p95 ms':>10}{'per s':>9}")
    for name, values in measured.items():
        print(f"{name:<28}{values['median_ms']:>11}{values['p95_ms']:>10}"
              f"{values['per_second']:>9}")  # fmt: skip
    for name, ratio in result["ratios"].items():
        print(f"{name:<40}{ratio:>8}x")
    print(f"load average (1 min): {result['load_average_1m']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
