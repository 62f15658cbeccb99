"""An independent relying party: PyJWT checks licenses with nothing but the published JWKS."""

from __future__ import annotations

from typing import Any

import jwt


def verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Verify a vc+jwt as a relying party would: EdDSA only, key by `kid`, registered claims."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "vc+jwt"
    key_set = jwt.PyJWKSet.from_dict(jwks)
    key = next(k for k in key_set.keys if k.key_id == header["kid"])
    claims: dict[str, Any] = jwt.decode(
        token,
        key=key.key,
        algorithms=["EdDSA"],
        options={"require": ["iss", "sub", "jti", "iat", "nbf"]},
    )
    return claims
