"""Signing keys: asymmetric algorithms, algorithm confusion and rotation."""

from functools import cache

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests.tokenkit import OTHER_SECRET, SECRET, hs256, me_reason, split, verify_code
from users.keys import key_ring


@pytest.fixture(autouse=True)
def _hs256_secret(settings):
    settings.JWT = {**settings.JWT, "ALGORITHM": "HS256", "SIGNING_KEY": SECRET}


# Asymmetric algorithms and key rotation.


@cache
def private_pem(algorithm: str, index: int = 0) -> str:
    """Return a PEM private key for the algorithm (``index`` picks another)."""
    if algorithm == "RS256":
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    elif algorithm == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(private: str) -> str:
    key = serialization.load_pem_private_key(private.encode(), None)
    return (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )


def configure(settings, algorithm: str, signing: str, verifying=()) -> None:
    settings.JWT = {
        **settings.JWT,
        "ALGORITHM": algorithm,
        "SIGNING_KEY": signing,
        "VERIFYING_KEYS": list(verifying),
    }


ASYMMETRIC = ["RS256", "ES256", "EdDSA"]


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_asymmetric_algorithm_signs_and_verifies(
    gql, user, sign_in, settings, algorithm
):
    configure(settings, algorithm, private_pem(algorithm))
    token = sign_in()["accessToken"]

    header, _ = split(token)
    assert header["alg"] == algorithm
    assert header["typ"] == "at+jwt"
    assert me_reason(gql, token) is None
    assert verify_code(gql, token) is None
    # An outside party holding only the public key can check the signature.
    claims = jwt.decode(
        token,
        public_pem(private_pem(algorithm)),
        algorithms=[algorithm],
        options={"verify_aud": False},
    )
    assert claims["sub"] == str(user.pk)


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_asymmetric_token_signed_by_another_key_is_invalid(
    gql, user, sign_in, settings, algorithm
):
    configure(settings, algorithm, private_pem(algorithm))
    header, claims = split(sign_in()["accessToken"])
    # Same kid and claims, signed by a key the server does not hold.
    forged = jwt.encode(claims, private_pem(algorithm, 1), algorithm, headers=header)
    assert me_reason(gql, forged) == "TOKEN_INVALID"


@pytest.mark.parametrize("header_alg", ["HS256", "RS256"])
def test_hs256_signed_with_rsa_public_key_is_invalid(
    gql, user, sign_in, settings, header_alg
):
    # Algorithm confusion: the public key used as an HMAC secret.
    private = private_pem("RS256")
    configure(settings, "RS256", private)
    header, claims = split(sign_in()["accessToken"])
    assert header["kid"] == key_ring().signing_kid

    pem = public_pem(private).encode()
    for secret in (pem, pem.strip()):
        forged = hs256({**header, "alg": header_alg}, claims, secret)
        assert me_reason(gql, forged) == "TOKEN_INVALID"
        assert verify_code(gql, forged) == "TOKEN_INVALID"


def test_hs256_token_is_invalid_once_server_moves_to_rs256(
    gql, user, sign_in, settings
):
    token = sign_in()["accessToken"]
    configure(settings, "RS256", private_pem("RS256"), [])
    assert me_reason(gql, token) == "TOKEN_INVALID"


@pytest.fixture(params=["HS256", *ASYMMETRIC])
def rotation(request) -> tuple[str, str, str, str]:
    """Return (algorithm, old signing key, new signing key, old verifying key)."""
    algorithm = request.param
    if algorithm == "HS256":
        return algorithm, SECRET, OTHER_SECRET, SECRET
    old, new = private_pem(algorithm), private_pem(algorithm, 1)
    return algorithm, old, new, public_pem(old)


def test_token_of_old_key_verifies_while_listed_and_fails_once_removed(
    gql, user, sign_in, settings, rotation
):
    algorithm, old, new, old_verifying = rotation
    configure(settings, algorithm, old)
    token = sign_in()["accessToken"]

    configure(settings, algorithm, new, [old_verifying])
    assert me_reason(gql, token) is None
    assert verify_code(gql, token) is None
    fresh = sign_in()["accessToken"]
    assert split(fresh)[0]["kid"] != split(token)[0]["kid"]
    assert me_reason(gql, fresh) is None

    configure(settings, algorithm, new)
    assert me_reason(gql, token) == "TOKEN_INVALID"
    assert verify_code(gql, token) == "TOKEN_INVALID"
    assert me_reason(gql, fresh) is None
