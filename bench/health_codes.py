"""Benchmark offline health-code verification on one core against a bare Ed25519 check.

    .venv/bin/python bench/health_codes.py [--tokens 20000] [--rounds 5] [--cpu 0]

Pins itself to one CPU, issues `--tokens` distinct codes (different subjects and colors) with
the platform key, then times, over the same codes in the same run:

* `bare_ed25519` — the floor: `Ed25519PublicKey.verify(signature, message)` on signature and
  message bytes split and decoded beforehand (what any Ed25519 verifier must at least do);
* `govhub_offline` — `OfflineVerifier.verify(token)` on codes it has not seen, what a
  checkpoint app runs for each new code: match the text, decode, look the key up, verify,
  check version, color, expiry and issue time;
* `govhub_rescan` — the same verifier on codes it has just checked: a scanner decodes one
  QR code in frame after frame, and only the first read costs a signature check;
* `joserfc_jws` — the obvious alternative format: the same claims as a compact EdDSA JWS
  (JSON payload) verified with joserfc, then the expiry checked;
* `bare_ecdsa_p256`, `bare_rsa2048` — bare verifies of other signature schemes on the same
  messages, for what a change of algorithm would buy (not what GovHub runs).

Rates count CPU seconds of this process (`time.process_time`): on a shared machine the wall
clock also counts other programs' time on the core. Wall rates are reported beside them.
Each round verifies every code once with each peer in turn; the best round counts. Also
reports the issue (sign) rate. Prints a table and writes bench/results/health_codes.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
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


def _rates(peers: list[tuple[str, int, Callable[[], None]]], rounds: int) -> list[dict[str, Any]]:
    """Time every peer once per round, peers interleaved so that load drifts hit all alike."""
    cpu: dict[str, list[float]] = {label: [] for label, _, _ in peers}
    wall: dict[str, list[float]] = {label: [] for label, _, _ in peers}
    for _ in range(rounds):
        for label, n, run in peers:
            began_wall, began_cpu = time.perf_counter(), time.process_time()
            run()
            cpu[label].append(n / max(time.process_time() - began_cpu, 1e-9))
            wall[label].append(n / (time.perf_counter() - began_wall))
    rows = []
    for label, _, _ in peers:
        best = max(cpu[label])
        print(f"{label:<16} {best:>12,.0f} {min(cpu[label]):>12,.0f} {1e6 / best:>9.1f}"
              f" {max(wall[label]):>12,.0f}")  # fmt: skip
        rows.append({"peer": label, "per_cpu_second": round(best),
                     "worst_round": round(min(cpu[label])), "microseconds": round(1e6 / best, 2),
                     "per_wall_second": round(max(wall[label])),
                     "rounds": [round(r) for r in cpu[label]]})  # fmt: skip
    return rows


def main() -> None:  # noqa: PLR0915 - one linear script: set up, run the peers, write
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # joserfc warns that RFC 9864 deprecates the name "EdDSA"
    pinned = _pin(args.cpu)
    n = args.tokens
    colors = list(HealthColor)
    now = int(time.time())
    subjects = [tokens.subject_of(uuid.UUID(int=i)) for i in range(n)]

    began = time.process_time()
    codes = [tokens.issue(subjects[i], colors[i % 3], now=now) for i in range(n)]
    issue_rate = n / (time.process_time() - began)

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
    p256 = ec.generate_private_key(ec.SECP256R1())
    # Signing with RSA costs milliseconds: sign 1,000 messages and verify them in turn.
    p256_signed = [(p256.sign(m, ec.ECDSA(hashes.SHA256())), m) for _, m in split[:1000]]
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_signed = [
        (rsa_key.sign(m, padding.PKCS1v15(), hashes.SHA256()), m) for _, m in split[:1000]
    ]
    moment = now + 1.0
    fresh: list[tokens.OfflineVerifier] = []

    def bare() -> None:
        verify = public.verify
        for signature, message in split:
            verify(signature, message)

    def offline() -> None:
        verifier = tokens.OfflineVerifier.from_jwks(tokens.jwks())  # nothing remembered yet
        fresh.append(verifier)
        check = verifier.verify
        for code in codes:
            check(code, now=moment)

    def rescan() -> None:
        check = fresh[-1].verify
        for code in codes[-4096:] * (n // 4096 + 1):
            check(code, now=moment)

    def joserfc_jws() -> None:
        for code in jws_codes:
            claims = json.loads(jws.deserialize_compact(code, public_jwk, ["EdDSA"]).payload)
            if claims["exp"] <= moment:
                raise AssertionError("expired")

    def bare_p256() -> None:
        verify, scheme = p256.public_key().verify, ec.ECDSA(hashes.SHA256())
        for i in range(n):
            signature, message = p256_signed[i % 1000]
            verify(signature, message, scheme)

    def bare_rsa() -> None:
        verify, pad, digest = rsa_key.public_key().verify, padding.PKCS1v15(), hashes.SHA256()
        for i in range(n):
            signature, message = rsa_signed[i % 1000]
            verify(signature, message, pad, digest)

    print(f"Health-code verification, {n:,} distinct codes, {args.rounds} rounds, {pinned}")
    print(f"token length {len(codes[0])} characters; JWS peer {len(jws_codes[0])} characters")
    print(f"{'peer':<16} {'best/CPU s':>12} {'worst/CPU s':>12} {'µs each':>9} {'best/wall s':>12}")
    rows = _rates(
        [
            ("bare_ed25519", n, bare),
            ("govhub_offline", n, offline),
            ("govhub_rescan", (n // 4096 + 1) * 4096, rescan),
            ("joserfc_jws", n, joserfc_jws),
            ("bare_ecdsa_p256", n, bare_p256),
            ("bare_rsa2048", n, bare_rsa),
        ],
        args.rounds,
    )
    by = {r["peer"]: r["per_cpu_second"] for r in rows}
    ratio = by["govhub_offline"] / by["bare_ed25519"]
    print(f"issue (sign)     {issue_rate:>12,.0f}")
    print(f"govhub_offline / bare_ed25519 = {ratio:.3f}; "
          f"{by['govhub_offline'] / by['joserfc_jws']:.2f}x joserfc; target {TARGET:,}/s: "
          f"new codes {'met' if by['govhub_offline'] >= TARGET else 'not met'}, "
          f"rescans {'met' if by['govhub_rescan'] >= TARGET else 'not met'}")  # fmt: skip
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w", encoding="utf-8") as out:
        json.dump(
            {"tokens": n, "rounds": args.rounds, "pinned": pinned, "token_chars": len(codes[0]),
             "jws_chars": len(jws_codes[0]), "issue_per_cpu_second": round(issue_rate),
             "offline_over_bare": round(ratio, 3), "target_per_second": TARGET,
             "python": platform.python_version(), "machine": platform.machine(),
             "cpu_count": os.cpu_count(), "load_average": list(os.getloadavg()),
             "rows": rows}, out, indent=2,
        )  # fmt: skip
        out.write("\n")


if __name__ == "__main__":
    main()
