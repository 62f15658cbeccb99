"""Benchmark e-license issuance and verification on one core, against independent verifiers.

    .venv/bin/python bench/licenses.py [--holders 200] [--issue 1000] [--verify 20000]

Pinned to one CPU. Issues `--issue` licenses through `govhub.licenses.service.issue`, one
transaction each (sign with the department's Ed25519 key, allocate a status-list index, insert,
ledger), then verifies the issued tokens round-robin `--verify` times with:

- `service.verify`: the platform's full check (form, EdDSA signature against the published key
  set, VC structure, validity period, issuer, revocation bit in the cached status list);
- `credentials.check_token`: the offline check a relying party runs with only the public key
  (signature, structure, validity; no status list);
- `pyjwt`: PyJWT's `jwt.decode` with the key from the JWKS (signature and registered claims
  only), the independent peer;
- `ed25519 floor`: `cryptography`'s bare Ed25519 verification of one token's signing input,
  the cost no verifier avoids (the other rows are read against it);
- `status list`: building and signing a department's BitstringStatusListCredential.

Measured on a fresh SQLite file; on PostgreSQL too when GOVHUB_BENCH_DATABASE_URL names a
server (a scratch schema, created and dropped). Prints a table; writes
bench/results/licenses.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc.jwk import OKPKey
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from govhub.core.db import make_engine, utcnow
from govhub.identity.codes import DivisionLevel
from govhub.identity.models import Account, AccountKind, Department, DepartmentType, Division
from govhub.licenses import credentials, keys, service, statuslist
from govhub.licenses.models import HolderKind
from govhub.licenses.schemas import LicenseTypeCreate
from scratch import scratch

RESULTS = Path(__file__).parent / "results" / "licenses.json"


def prepare(factory: sessionmaker[Session], holders: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Create a market-regulation bureau, `holders` enterprises and the business-license type."""
    with factory() as session:
        session.add(Division(code="330000", name="浙江省", level=DivisionLevel.PROVINCE))
        session.add(
            Division(code="330100", name="杭州市", level=DivisionLevel.CITY, parent_code="330000")
        )
        session.flush()
        department = Department(
            code="BENCH-SCJG",
            name="杭州市市场监督管理局",
            type=DepartmentType.MARKET_REGULATION,
            division_code="330100",
        )
        session.add(department)
        ids = [uuid.uuid4() for _ in range(holders)]
        session.flush()
        session.execute(
            insert(Account),
            [
                {
                    "id": i,
                    "kind": AccountKind.ENTERPRISE,
                    "username": f"bench-ent-{n}",
                    "display_name": f"杭州某某餐饮有限公司{n}",
                    "password_hash": "-",
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                }
                for n, i in enumerate(ids)
            ],
        )
        service.define_type(
            session,
            data=LicenseTypeCreate(
                code="BUSINESS_LICENSE",
                name="营业执照",
                department_type=DepartmentType.MARKET_REGULATION,
                holder_kind=HolderKind.ENTERPRISE,
                validity_days=3650,
            ),
        )
        session.commit()
        return department.id, ids


def rate(count: int, work: Callable[[int], Any]) -> dict[str, float]:
    """Run `work(i)` for i in range(count); return seconds and operations per second."""
    started = time.perf_counter()
    for i in range(count):
        work(i)
    seconds = time.perf_counter() - started
    return {"operations": count, "seconds": round(seconds, 3), "per_s": round(count / seconds)}


def run(url: str, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Issue and verify licenses on the database at `url`; return the figures per operation."""
    engine = make_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    department_id, holders = prepare(factory, args.holders)
    tokens: list[str] = []

    def issue_one(i: int) -> None:
        with factory() as session:
            row = service.issue(
                session,
                license_type="BUSINESS_LICENSE",
                holder=service.HolderRef(HolderKind.ENTERPRISE, holders[i % len(holders)]),
                claims={"businessScope": "餐饮服务；食品销售", "registeredCapital": "100万元"},
                issuer_department_id=department_id,
            )
            session.commit()
            tokens.append(row.token)

    figures = {"issue (one transaction each)": rate(args.issue, issue_one)}
    with factory() as session:
        jwks = keys.jwks(session)
        published = {k["kid"]: OKPKey.import_key(k) for k in jwks["keys"]}
        pyjwt_keys = {k.key_id: k.key for k in jwt.PyJWKSet.from_dict(jwks).keys}
        n = len(tokens)
        service.verify(session, tokens[0])  # warm the key and status caches
        figures["service.verify (full)"] = rate(
            args.verify, lambda i: service.verify(session, tokens[i % n])
        )
        figures["check_token (offline)"] = rate(
            args.verify, lambda i: credentials.check_token(tokens[i % n], published.get)
        )
        figures["pyjwt decode (peer)"] = rate(
            args.verify,
            lambda i: jwt.decode(
                tokens[i % n],
                key=pyjwt_keys[jwt.get_unverified_header(tokens[i % n])["kid"]],
                algorithms=["EdDSA"],
            ),
        )
        signing_input, _, signature = tokens[0].rpartition(".")
        raw_key = Ed25519PublicKey.from_public_bytes(
            base64.urlsafe_b64decode(str(jwks["keys"][0]["x"]) + "==")
        )
        raw_signature = base64.urlsafe_b64decode(signature + "==")
        figures["ed25519 verify (floor)"] = rate(
            args.verify, lambda i: raw_key.verify(raw_signature, signing_input.encode())
        )
        figures["status list credential"] = rate(
            200, lambda i: statuslist.status_list_credential(session, department_id)
        )
    engine.dispose()
    return figures


def main() -> None:
    """Run the benchmark and write its results."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--holders", type=int, default=200)
    parser.add_argument("--issue", type=int, default=1000)
    parser.add_argument("--verify", type=int, default=20_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    servers: list[str | None] = [None]
    if os.environ.get("GOVHUB_BENCH_DATABASE_URL"):
        servers.append(os.environ["GOVHUB_BENCH_DATABASE_URL"])
    rows: list[dict[str, Any]] = []
    for server in servers:
        with (
            tempfile.TemporaryDirectory() as tmp,
            scratch(server, Path(tmp), "licenses") as (backend, url),
        ):
            for operation, figures in run(url, args).items():
                rows.append({"backend": backend, "operation": operation, **figures})
    print(f"{'backend':<11} {'operation':<30} {'count':>7} {'seconds':>8} {'per s':>8}")
    for row in rows:
        print(
            f"{row['backend']:<11} {row['operation']:<30} {row['operations']:>7} "
            f"{row['seconds']:>8} {row['per_s']:>8}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "e-licenses (issuance and verification, one core)",
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"python": platform.python_version(), "cpus": 1},
                "parameters": vars(args),
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
