"""Signing keys: one key signs, every configured key verifies.

Keys come from ``jwt_settings``: ``SIGNING_KEY`` (an HMAC secret for HS256,
a PEM private key for RS256, ES256 and EdDSA) and ``VERIFYING_KEYS`` (older
secrets or PEM public keys kept during a rotation). Each key is named by a
``kid`` derived from the key itself, so tokens pick a configured key and
never bring their own.
"""

import base64
import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.exceptions import ImproperlyConfigured
from jwt.algorithms import get_default_algorithms

from users.conf import jwt_settings

HMAC_ALGORITHMS = {"HS256", "HS384", "HS512"}
MIN_RSA_BITS = 3072
# The key class each asymmetric algorithm must be given; a key of another
# type is a configuration error, never a silent fallback.
PRIVATE_KEY_TYPES: dict[str, type] = {
    "RS256": rsa.RSAPrivateKey,
    "ES256": ec.EllipticCurvePrivateKey,
    "EdDSA": ed25519.Ed25519PrivateKey,
}
PUBLIC_KEY_TYPES: dict[str, type] = {
    "RS256": rsa.RSAPublicKey,
    "ES256": ec.EllipticCurvePublicKey,
    "EdDSA": ed25519.Ed25519PublicKey,
}
SUPPORTED_ALGORITHMS = HMAC_ALGORITHMS | set(PRIVATE_KEY_TYPES)


@dataclass(frozen=True)
class KeyRing:
    algorithm: str
    signing_kid: str
    signing_key: Any
    verifying: dict[str, Any] = field(default_factory=dict)
    public_jwks: tuple[dict, ...] = ()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _thumbprint(jwk: dict) -> str:
    """Return the RFC 7638 thumbprint of a public JWK."""
    required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}
    names = required.get(jwk["kty"], ("crv", "kty", "x"))
    canonical = json.dumps({k: jwk[k] for k in names}, separators=(",", ":"))
    return _b64(hashlib.sha256(canonical.encode()).digest())


def _hmac_key(secret: str) -> tuple[str, bytes]:
    key = secret.encode()
    if len(key) < jwt_settings.MIN_HMAC_KEY_BYTES:
        raise ImproperlyConfigured(
            "JWT_SIGNING_KEY (and each of JWT_VERIFYING_KEYS) must be at least "
            f"{jwt_settings.MIN_HMAC_KEY_BYTES} bytes for HMAC algorithms."
        )
    if b"-----BEGIN" in key:
        raise ImproperlyConfigured(
            "JWT_SIGNING_KEY holds a PEM key but JWT_ALGORITHM is an HMAC one."
        )
    kid = "hs-" + hashlib.sha256(b"kid:" + key).hexdigest()[:16]
    return kid, key


def _public_jwk(algorithm: str, public_key: Any) -> dict:
    jwk = json.loads(get_default_algorithms()[algorithm].to_jwk(public_key))
    jwk.update(kid=_thumbprint(jwk), alg=algorithm, use="sig")
    return jwk


def _check_asymmetric(algorithm: str, key: Any, types: dict[str, type]) -> None:
    if not isinstance(key, types[algorithm]):
        raise ImproperlyConfigured(f"JWT_SIGNING_KEY is not a key for {algorithm}.")
    if algorithm == "RS256" and key.key_size < MIN_RSA_BITS:
        raise ImproperlyConfigured(
            f"RSA keys for RS256 must have at least {MIN_RSA_BITS} bits."
        )
    if algorithm == "ES256" and key.curve.name != "secp256r1":
        raise ImproperlyConfigured("ES256 needs a key on the P-256 curve.")


def _load_public(algorithm: str, pem: str) -> Any:
    data = pem.encode()
    try:
        key = serialization.load_pem_private_key(data, password=None)
        key = key.public_key()
    except (ValueError, TypeError):
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError:
            raise ImproperlyConfigured("A JWT_VERIFYING_KEYS entry is no PEM key.")
    _check_asymmetric(algorithm, key, PUBLIC_KEY_TYPES)
    return key


@lru_cache(maxsize=8)
def _build(algorithm: str, signing: str, verifying: tuple[str, ...]) -> KeyRing:
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise ImproperlyConfigured(
            f"JWT_ALGORITHM must be one of {sorted(SUPPORTED_ALGORITHMS)}."
        )
    if not signing:
        raise ImproperlyConfigured("JWT_SIGNING_KEY is not set.")
    if algorithm in HMAC_ALGORITHMS:
        kid, key = _hmac_key(signing)
        others = dict(_hmac_key(secret) for secret in verifying)
        return KeyRing(algorithm, kid, key, {kid: key, **others})

    try:
        private = serialization.load_pem_private_key(signing.encode(), None)
    except (ValueError, TypeError):
        raise ImproperlyConfigured("JWT_SIGNING_KEY is not a PEM private key.")
    _check_asymmetric(algorithm, private, PRIVATE_KEY_TYPES)
    publics = [private.public_key()]
    publics += [_load_public(algorithm, pem) for pem in verifying]
    jwks = tuple(_public_jwk(algorithm, key) for key in publics)
    verifying_keys = {jwk["kid"]: key for jwk, key in zip(jwks, publics, strict=True)}
    return KeyRing(algorithm, jwks[0]["kid"], private, verifying_keys, jwks)


def key_ring() -> KeyRing:
    """Return the keys for the current settings (built once per settings)."""
    return _build(
        jwt_settings.ALGORITHM,
        jwt_settings.SIGNING_KEY,
        tuple(jwt_settings.VERIFYING_KEYS),
    )
