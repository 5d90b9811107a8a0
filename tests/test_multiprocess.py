"""Two app server processes sharing PostgreSQL and Redis behave as one.

Run by `make test-services`, which starts the services; `make test` leaves
these out (marker "services").
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import PASSWORD, TOKEN_AUTH
from users.models import RefreshToken, Session, User
from users.refresh import hash_token

pytestmark = pytest.mark.services

ROOT = Path(settings.BASE_DIR)
PORTS = (8211, 8212)
REFRESH = """
mutation R($t: String) { refreshToken(refreshToken: $t) { accessToken refreshToken } }
"""
REVOKE = "mutation R($t: String) { revokeToken(refreshToken: $t) }"
ME = "{ me { username } }"


def post(port: int, query: str, variables: dict | None = None, token: str = "") -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql/", body, headers)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def code(answer: dict) -> str | None:
    errors = answer.get("errors") or [{}]
    extensions = errors[0].get("extensions", {})
    return extensions.get("reason") or extensions.get("code")


def wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        assert server.poll() is None, "an app server exited at startup"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"no app server on port {port}")


@pytest.fixture
def servers(transactional_db, tmp_path):
    """Two gunicorn processes on the test database and the shared Redis."""
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.fail("needs PostgreSQL and Redis: run `make test-services`")
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/"
        f"{db['NAME']}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
        "DJANGO_VAR_DIR": str(tmp_path),
        "DJANGO_DEBUG": "0",
    }
    started = []
    try:
        for port in PORTS:
            cmd = [
                sys.executable, "-m", "gunicorn", "config.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
                "--worker-class", "gthread", "--no-control-socket",
                "--log-level", "warning",
            ]  # fmt: skip
            server = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
            started.append(server)
            wait_for(port, server)
        yield PORTS
    finally:
        for server in started:
            os.killpg(server.pid, signal.SIGTERM)
        for server in started:
            server.wait(timeout=30)


@pytest.fixture
def bench_user(transactional_db, settings) -> User:
    # Hashed with a hasher the servers know (the suite's default is MD5).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    return User.objects.create_user("alice", "alice@example.com", PASSWORD)


def sign_in(port: int) -> dict:
    answer = post(port, TOKEN_AUTH, {"username": "alice", "password": PASSWORD})
    return answer["data"]["tokenAuth"]


def test_session_revoked_through_one_server_is_refused_by_the_other(
    servers, bench_user
):
    first, second = servers
    pair = sign_in(first)
    assert post(second, ME, token=pair["accessToken"])["data"]["me"]

    assert post(first, REVOKE, {"t": pair["refreshToken"]})["data"]["revokeToken"]

    assert code(post(second, ME, token=pair["accessToken"])) == "TOKEN_REVOKED"
    assert code(post(first, ME, token=pair["accessToken"])) == "TOKEN_REVOKED"
    assert code(post(second, REFRESH, {"t": pair["refreshToken"]})) == "TOKEN_REVOKED"


def test_failed_sign_ins_on_both_servers_add_up(servers, bench_user):
    first, second = servers
    wrong = {"username": "alice", "password": "not the password!"}
    for attempt in range(10):
        port = servers[attempt % 2]
        assert code(post(port, TOKEN_AUTH, wrong)) == "INVALID_CREDENTIALS"

    # Ten failures, five on each: the account's limit is reached for both.
    right = {"username": "alice", "password": PASSWORD}
    assert code(post(first, TOKEN_AUTH, right)) == "RATE_LIMITED"
    assert code(post(second, TOKEN_AUTH, right)) == "RATE_LIMITED"


def test_concurrent_refreshes_on_both_servers_leave_one_live_successor(
    servers, bench_user
):
    pair = sign_in(servers[0])
    barrier = threading.Barrier(8)
    answers: list = [None] * 8

    def refresh(index: int) -> None:
        barrier.wait()
        answers[index] = post(servers[index % 2], REFRESH, {"t": pair["refreshToken"]})

    workers = [threading.Thread(target=refresh, args=(i,)) for i in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert [a.get("errors") for a in answers] == [None] * 8
    successors = {a["data"]["refreshToken"]["refreshToken"] for a in answers}
    assert len(successors) == 1
    (successor,) = successors
    session = Session.objects.get()
    live = RefreshToken.objects.filter(session=session, used_at__isnull=True)
    assert list(live.values_list("token_hash", flat=True)) == [hash_token(successor)]
    assert session.revoked_at is None
