"""Benchmark offline health-code verification on one core against a bare Ed25519 check.

    .venv/bin/python bench/health_codes.py [--tokens 20000] [--rounds 5] [--cpu 0]

Pins itself to one CPU, issues `--tokens` distinct codes (different subjects and colors) with
the platform key, then times, over the same codes in the same run:

* `bare_ed25519` — the floor: `Ed25519PublicKey.verify(signature, message)` on signature and
  message bytes split and decoded beforehand (what any Ed25519 verifier must at least do);
* `govhub_offline` — `OfflineVerifier.verify(token)`, what a checkpoint app runs: parse the
  text, decode, look the key up, verify, check version, color, expiry and issue time;
* `joserfc_jws` — the obvious alternative format: the same claims as a compact EdDSA JWS
  (JSON payload) verified with joserfc, then the expiry checked.

Each round verifies every token once; the best round counts (the others are printed). Also
reports the issue rate (signing). Prints a table and writes bench/results/health_codes.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import time
import uuid
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc import jws
from joserfc.jwk import OKPKey

from govhub.reservations.health import tokens
from govhub.reservations.health.models import HealthColor

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "health_codes.json")
TARGET = 10_000


def _pin(cpu: int) -> str:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def _rate(label: str, n: int, rounds: int, run: Callable[[], None]) -> dict[str, Any]:
    seconds = []
    for _ in range(rounds):
        began = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - began)
    rates = [n / s for s in seconds]
    best = max(rates)
    print(f"{label:<16} {best:>12,.0f} {min(rates):>12,.0f} {1e6 / best:>10.1f}")
    return {"peer": label, "per_second": round(best), "worst_round": round(min(rates)),
            "microseconds": round(1e6 / best, 2), "rounds": [round(r) for r in rates]}  # fmt: skip


def main() -> None:
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=0)
    args = parser.parse_args()
    pinned = _pin(args.cpu)
    n = args.tokens
    colors = list(HealthColor)
    now = int(time.time())
    subjects = [tokens.subject_of(uuid.UUID(int=i)) for i in range(n)]

    began = time.perf_counter()
    codes = [tokens.issue(subjects[i], colors[i % 3], now=now) for i in range(n)]
    issue_rate = n / (time.perf_counter() - began)

    verifier = tokens.OfflineVerifier.from_jwks(tokens.jwks())
    public = tokens.signing_key().public_key()
    split = [
        (base64.urlsafe_b64decode(c[c.rindex(".") + 1 :] + "=="), c[: c.rindex(".")].encode())
        for c in codes
    ]
    jwk = tokens.jwks()["keys"][0]
    private_jwk = OKPKey.import_key(tokens.signing_key())
    public_jwk = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]})
    header = {"alg": "EdDSA", "kid": jwk["kid"]}
    jws_codes = [
        jws.serialize_compact(
            header,
            json.dumps({"sub": subjects[i], "color": str(colors[i % 3]), "iat": now,
                        "exp": now + tokens.LIFETIME_SECONDS}, separators=(",", ":")),
            private_jwk,
            algorithms=["EdDSA"],
        )
        for i in range(n)
    ]  # fmt: skip
    moment = now + 1.0

    def bare() -> None:
        verify = public.verify
        for signature, message in split:
            verify(signature, message)

    def offline() -> None:
        check = verifier.verify
        for code in codes:
            check(code, now=moment)

    def joserfc_jws() -> None:
        for code in jws_codes:
            claims = json.loads(jws.deserialize_compact(code, public_jwk, ["EdDSA"]).payload)
            if claims["exp"] <= moment:
                raise AssertionError("expired")

    assert isinstance(public, Ed25519PublicKey)
    print(f"Health-code verification, {n:,} distinct codes, {args.rounds} rounds, {pinned}")
    print(f"token length {len(codes[0])} characters; JWS peer {len(jws_codes[0])} characters")
    print(f"{'peer':<16} {'best/s':>12} {'worst/s':>12} {'µs each':>10}")
    rows = [
        _rate("bare_ed25519", n, args.rounds, bare),
        _rate("govhub_offline", n, args.rounds, offline),
        _rate("joserfc_jws", n, args.rounds, joserfc_jws),
    ]
    by = {r["peer"]: r["per_second"] for r in rows}
    ratio = by["govhub_offline"] / by["bare_ed25519"]
    print(f"issue (sign)     {issue_rate:>12,.0f}")
    print(f"govhub_offline / bare_ed25519 = {ratio:.3f}; "
          f"vs joserfc {by['govhub_offline'] / by['joserfc_jws']:.2f}x; "
          f"target {TARGET:,}/s {'met' if by['govhub_offline'] >= TARGET else 'NOT met'}")  # fmt: skip
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w", encoding="utf-8") as out:
        json.dump(
            {"tokens": n, "rounds": args.rounds, "pinned": pinned, "token_chars": len(codes[0]),
             "jws_chars": len(jws_codes[0]), "issue_per_second": round(issue_rate),
             "offline_over_bare": round(ratio, 3), "target_per_second": TARGET,
             "python": platform.python_version(), "machine": platform.machine(),
             "cpu_count": os.cpu_count(), "rows": rows}, out, indent=2,
        )  # fmt: skip
        out.write("\n")


if __name__ == "__main__":
    main()
