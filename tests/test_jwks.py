"""GET /.well-known/jwks.json publishes public keys and nothing secret."""

import json

import pytest
from django.core.management import call_command

from users.keys import key_ring


@pytest.fixture
def es256(settings, tmp_path):
    call_command("generate_signing_key", algorithm="ES256", out_dir=str(tmp_path))
    settings.JWT = {
        **settings.JWT,
        "ALGORITHM": "ES256",
        "SIGNING_KEY": (tmp_path / "private.pem").read_text(),
    }
    return tmp_path


def test_jwks_lists_the_public_key_without_private_members(client, es256):
    response = client.get("/.well-known/jwks.json")

    keys = response.json()["keys"]
    assert response.status_code == 200
    assert [k["kid"] for k in keys] == [key_ring().signing_kid]
    assert keys[0]["kty"] == "EC"
    assert keys[0]["alg"] == "ES256"
    assert "d" not in keys[0]
    assert "PRIVATE" not in json.dumps(keys)


def test_jwks_is_empty_for_hmac_keys(client, settings):
    response = client.get("/.well-known/jwks.json")

    assert response.json() == {"keys": []}
    assert settings.JWT["SIGNING_KEY"] not in response.content.decode()


def test_jwks_lists_old_keys_kept_for_verification(client, es256, tmp_path, settings):
    old_dir = tmp_path / "old"
    call_command("generate_signing_key", algorithm="ES256", out_dir=str(old_dir))
    settings.JWT = {
        **settings.JWT,
        "VERIFYING_KEYS": [(old_dir / "public.pem").read_text()],
    }

    keys = client.get("/.well-known/jwks.json").json()["keys"]

    assert len(keys) == 2
    assert keys[0]["kid"] == key_ring().signing_kid


def test_generate_signing_key_prints_a_256_bit_secret(capsys):
    call_command("generate_signing_key")
    secret = capsys.readouterr().out.strip()
    assert len(secret) >= 43
