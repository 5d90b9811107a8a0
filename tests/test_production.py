"""Production settings: deploy checks pass, unsafe settings refuse to start,
plain HTTP is refused and every response carries the security headers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from config.startup import refuse_unsafe_settings

ROOT = Path(django_settings.BASE_DIR)


def production_env(tmp_path, **overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "JWT_"))
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="k" * 20 + "Zq8_vT3-mW0pLx7YbN2cRj5sHd9fKa4uGe6",
        JWT_SIGNING_KEY="s" * 10 + "Hw2_pQ9-zX4cVb7NmL1kJg5fDs8aYt3rEu6",
        DJANGO_ALLOWED_HOSTS="api.example.com",
        EMAIL_HOST="smtp.example.com",
        SITE_URL="https://app.example.com",
        DJANGO_VAR_DIR=str(tmp_path),
    )
    env.update(overrides)
    return env


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = manage(
        production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"JWT_SIGNING_KEY": "short"}, "users.E001"),
        ({"DJANGO_DEBUG": "1"}, "users.E005"),
        (
            {"JWT_REFRESH_TOKEN_COOKIE": "1", "JWT_REFRESH_COOKIE_SECURE": "0"},
            "users.E003",
        ),
    ],
)
def test_unsafe_production_settings_refuse_to_start(tmp_path, overrides, expected):
    result = manage(production_env(tmp_path, **overrides), "check")
    assert result.returncode != 0
    assert expected in result.stderr


def test_production_needs_secrets_from_the_environment(tmp_path):
    env = production_env(tmp_path)
    del env["JWT_SIGNING_KEY"]
    result = manage(env, "check")
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must be set" in result.stderr


def test_wildcard_cors_with_credentials_refuses_to_start(settings):
    settings.CORS_ALLOW_ALL_ORIGINS = True
    settings.CORS_ALLOW_CREDENTIALS = True
    with pytest.raises(ImproperlyConfigured, match=r"users\.E004"):
        refuse_unsafe_settings()


def test_signing_key_equal_to_secret_key_refuses_to_start(settings):
    settings.DEVELOPMENT = False
    settings.DEBUG = False
    settings.JWT = {**settings.JWT, "SIGNING_KEY": settings.SECRET_KEY}
    with pytest.raises(ImproperlyConfigured, match=r"users\.E002"):
        refuse_unsafe_settings()


@pytest.mark.django_db
def test_plain_http_is_refused_not_redirected(client, settings):
    settings.REQUIRE_HTTPS = True
    response = client.post(
        "/graphql/", {"query": "{ __typename }"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "HTTPS_REQUIRED"
    assert "Location" not in response


@pytest.mark.django_db
def test_https_responses_carry_security_headers(client, settings):
    settings.REQUIRE_HTTPS = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.post(
        "/graphql/",
        {"query": "{ __typename }"},
        content_type="application/json",
        secure=True,
    )

    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_graphiql_page_gets_a_policy_that_lets_it_load(client):
    response = client.get("/graphql/", HTTP_ACCEPT="text/html")
    policy = response["Content-Security-Policy"]
    assert "https://unpkg.com" in policy
    assert "frame-ancestors 'none'" in policy


def test_production_ignores_secrets_left_in_the_var_folder(tmp_path):
    (tmp_path / "jwt_signing_key").write_text("x" * 64)
    env = production_env(tmp_path)
    del env["JWT_SIGNING_KEY"]

    result = manage(env, "check")

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must be set" in result.stderr


def test_a_short_signing_key_refuses_to_start_in_development_too(tmp_path):
    env = production_env(tmp_path, DJANGO_ENV="development", JWT_SIGNING_KEY="short")
    result = manage(env, "check")
    assert result.returncode != 0
    assert "users.E001" in result.stderr


def test_an_unknown_django_env_refuses_to_start(tmp_path):
    result = manage(production_env(tmp_path, DJANGO_ENV="prod"), "check")
    assert result.returncode != 0
    assert "DJANGO_ENV must be 'development' or 'production'" in result.stderr


def test_a_bad_trusted_proxy_entry_refuses_to_start(tmp_path):
    result = manage(
        production_env(tmp_path, TRUSTED_PROXIES="10.0.0.0/8,nope"), "check"
    )
    assert result.returncode != 0
    assert "users.E007" in result.stderr


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"JWT_ACCESS_TOKEN_LIFETIME": "0"}, "users.E008"),
        ({"JWT_LEEWAY": "-1"}, "users.E008"),
    ],
)
def test_impossible_lifetimes_refuse_to_start(tmp_path, overrides, expected):
    result = manage(
        production_env(tmp_path, DJANGO_ENV="development", **overrides), "check"
    )
    assert result.returncode != 0
    assert expected in result.stderr


def test_empty_token_settings_fall_back_to_their_defaults(tmp_path):
    env = production_env(
        tmp_path,
        DJANGO_ENV="development",
        JWT_ACCESS_TOKEN_LIFETIME="",
        JWT_ISSUER="",
        JWT_ALGORITHM="",
    )
    script = (
        "from users.conf import jwt_settings as s; "
        "print(s.ACCESS_TOKEN_LIFETIME, s.ISSUER, s.ALGORITHM)"
    )
    result = manage(env, "shell", "-c", script)
    assert result.stdout.strip().splitlines()[-1].split() == [
        "900",
        "graphql-auth",
        "HS256",
    ]
