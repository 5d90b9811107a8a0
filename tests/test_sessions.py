"""Devices: list, revoke one, revoke all, recent authentication, and every
event that must end sessions at once."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import PASSWORD
from users.models import RefreshToken, Session, User

ME = "{ me { username } }"
SESSIONS = (
    "{ sessions { id current userAgent ipAddress createdAt lastUsedAt expiresAt } }"
)
REVOKE_SESSION = "mutation R($id: ID!) { revokeSession(id: $id) }"
REVOKE_ALL = "mutation { revokeAllTokens }"
REAUTH = """
mutation Re($p: String!) { reauthenticate(password: $p) { accessToken refreshToken } }
"""
REFRESH = "mutation R($t: String) { refreshToken(refreshToken: $t) { accessToken } }"
REVOKE_TOKEN = "mutation R($t: String) { revokeToken(refreshToken: $t) }"


def reason(result) -> str | None:
    return (
        result.error["extensions"].get("reason") or result.error["extensions"]["code"]
    )


def test_sessions_lists_live_devices_newest_use_first(gql, user, sign_in):
    phone = sign_in(HTTP_USER_AGENT="phone")
    laptop = sign_in(HTTP_USER_AGENT="laptop")
    gone = sign_in(HTTP_USER_AGENT="gone")
    gql(REVOKE_TOKEN, {"t": gone["refreshToken"]})
    Session.objects.filter(user_agent="phone").update(
        last_used_at=timezone.now() + timedelta(seconds=5)
    )

    result = gql(SESSIONS, token=laptop["accessToken"])

    rows = result.data["sessions"]
    assert [(r["userAgent"], r["current"]) for r in rows] == [
        ("phone", False),
        ("laptop", True),
    ]
    assert rows[0]["ipAddress"] == "127.0.0.1"
    assert phone["accessToken"] != laptop["accessToken"]


def test_sessions_costs_one_query(gql, user, sign_in, django_assert_num_queries):
    for _ in range(3):
        tokens = sign_in()
    gql(ME, token=tokens["accessToken"])
    with django_assert_num_queries(1):
        result = gql(SESSIONS, token=tokens["accessToken"])
    assert len(result.data["sessions"]) == 3


def test_revoke_session_signs_that_device_out_at_once(gql, user, sign_in):
    phone = sign_in(HTTP_USER_AGENT="phone")
    laptop = sign_in(HTTP_USER_AGENT="laptop")
    phone_id = Session.objects.get(user_agent="phone").pk

    result = gql(REVOKE_SESSION, {"id": str(phone_id)}, token=laptop["accessToken"])

    assert result.data == {"revokeSession": True}
    assert reason(gql(ME, token=phone["accessToken"])) == "TOKEN_REVOKED"
    assert reason(gql(REFRESH, {"t": phone["refreshToken"]})) == "TOKEN_REVOKED"
    assert gql(ME, token=laptop["accessToken"]).data["me"]["username"] == "alice"


@pytest.mark.parametrize("session_id", ["other-user", "missing", "not-a-uuid"])
def test_revoke_session_of_someone_else_is_not_found(
    gql, user, other_user, sign_in, session_id
):
    sign_in("bob")
    mine = sign_in()
    ids = {
        "other-user": str(Session.objects.get(user=other_user).pk),
        "missing": "00000000-0000-4000-8000-000000000000",
        "not-a-uuid": "42",
    }

    result = gql(REVOKE_SESSION, {"id": ids[session_id]}, token=mine["accessToken"])

    assert result.error["extensions"]["code"] == "NOT_FOUND"
    assert result.error["message"] == "Not found."
    assert Session.objects.live().count() == 2


def test_revoke_own_current_session_needs_no_recent_auth(gql, user, sign_in):
    tokens = sign_in()
    current = Session.objects.get().pk
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        fresh = gql(REFRESH, {"t": tokens["refreshToken"]}).data["refreshToken"]
        result = gql(REVOKE_SESSION, {"id": str(current)}, token=fresh["accessToken"])
    assert result.data == {"revokeSession": True}


def test_revoke_other_device_with_stale_auth_needs_reauthentication(gql, user, sign_in):
    phone = sign_in(HTTP_USER_AGENT="phone")
    laptop = sign_in(HTTP_USER_AGENT="laptop")
    phone_id = str(Session.objects.get(user_agent="phone").pk)

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        access = gql(REFRESH, {"t": laptop["refreshToken"]}).data["refreshToken"]
        refused = gql(REVOKE_SESSION, {"id": phone_id}, token=access["accessToken"])
        renewed = gql(REAUTH, {"p": PASSWORD}, token=access["accessToken"])
        token = renewed.data["reauthenticate"]["accessToken"]
        allowed = gql(REVOKE_SESSION, {"id": phone_id}, token=token)

    assert refused.error["extensions"]["code"] == "REAUTHENTICATION_REQUIRED"
    assert allowed.data == {"revokeSession": True}
    assert reason(gql(ME, token=phone["accessToken"])) == "TOKEN_REVOKED"


def test_reauthenticate_with_wrong_password_changes_nothing(gql, user, tokens):
    before = Session.objects.get().auth_time

    result = gql(REAUTH, {"p": "wrong password!!"}, token=tokens["accessToken"])

    assert result.error["extensions"]["code"] == "INVALID_CREDENTIALS"
    assert Session.objects.get().auth_time == before


def test_reauthenticate_keeps_the_session_and_replaces_its_refresh_token(
    gql, user, tokens
):
    result = gql(REAUTH, {"p": PASSWORD}, token=tokens["accessToken"])

    fresh = result.data["reauthenticate"]
    assert Session.objects.count() == 1
    assert reason(gql(REFRESH, {"t": tokens["refreshToken"]})) == "TOKEN_INVALID"
    assert gql(REFRESH, {"t": fresh["refreshToken"]}).data["refreshToken"]


def test_revoke_all_tokens_signs_every_device_out(gql, user, other_user, sign_in):
    devices = [sign_in() for _ in range(3)]
    bobs = sign_in("bob")

    result = gql(REVOKE_ALL, token=devices[0]["accessToken"])

    assert result.data == {"revokeAllTokens": 3}
    for device in devices:
        assert reason(gql(ME, token=device["accessToken"])) == "TOKEN_REVOKED"
        assert reason(gql(REFRESH, {"t": device["refreshToken"]})) == "TOKEN_REVOKED"
    assert gql(ME, token=bobs["accessToken"]).data["me"]["username"] == "bob"


def test_revoke_all_tokens_with_stale_auth_needs_reauthentication(gql, user, tokens):
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        access = gql(REFRESH, {"t": tokens["refreshToken"]}).data["refreshToken"]
        result = gql(REVOKE_ALL, token=access["accessToken"])
    assert result.error["extensions"]["code"] == "REAUTHENTICATION_REQUIRED"
    assert Session.objects.live().count() == 1


def test_revoke_token_is_idempotent_and_rejects_garbage(gql, user, tokens):
    assert gql(REVOKE_TOKEN, {"t": tokens["refreshToken"]}).data == {
        "revokeToken": True
    }
    assert gql(REVOKE_TOKEN, {"t": tokens["refreshToken"]}).data == {
        "revokeToken": True
    }
    assert reason(gql(REVOKE_TOKEN, {"t": "garbage"})) == "TOKEN_INVALID"
    assert reason(gql(REVOKE_TOKEN, {})) == "TOKEN_INVALID"


def test_deactivating_a_user_ends_their_sessions_at_once(gql, user, tokens):
    user.is_active = False
    user.save()

    assert reason(gql(ME, token=tokens["accessToken"])) == "TOKEN_REVOKED"
    assert reason(gql(REFRESH, {"t": tokens["refreshToken"]})) == "TOKEN_REVOKED"


def test_deleting_a_user_ends_their_sessions_at_once(gql, user, tokens):
    user.delete()

    assert reason(gql(ME, token=tokens["accessToken"])) == "TOKEN_REVOKED"
    assert reason(gql(REFRESH, {"t": tokens["refreshToken"]})) == "TOKEN_INVALID"


def test_password_set_by_an_admin_ends_every_session(gql, user, sign_in):
    devices = [sign_in(), sign_in()]
    admin_copy = User.objects.get(pk=user.pk)
    admin_copy.set_password("set by the admin 123")
    admin_copy.save()

    for device in devices:
        assert reason(gql(ME, token=device["accessToken"])) == "TOKEN_REVOKED"
    assert set(Session.objects.values_list("revoke_reason", flat=True)) == {
        "password_changed"
    }


def test_last_login_update_does_not_end_sessions(gql, user, sign_in):
    first = sign_in()
    sign_in()
    assert gql(ME, token=first["accessToken"]).data["me"]["username"] == "alice"


def test_signing_in_past_the_cap_revokes_the_least_recently_used(
    gql, user, sign_in, settings
):
    settings.JWT = {**settings.JWT, "MAX_SESSIONS_PER_USER": 2}
    oldest = sign_in(HTTP_USER_AGENT="oldest")
    Session.objects.update(last_used_at=timezone.now() - timedelta(hours=1))
    sign_in(HTTP_USER_AGENT="middle")
    sign_in(HTTP_USER_AGENT="newest")

    live = set(Session.objects.live().values_list("user_agent", flat=True))
    assert live == {"middle", "newest"}
    assert reason(gql(ME, token=oldest["accessToken"])) == "TOKEN_REVOKED"


def test_admin_action_revokes_selected_sessions(gql, user, tokens, admin_client):
    session = Session.objects.get()
    response = admin_client.post(
        "/admin/users/session/",
        {"action": "revoke_selected", "_selected_action": [str(session.pk)]},
    )
    assert response.status_code == 302
    assert reason(gql(ME, token=tokens["accessToken"])) == "TOKEN_REVOKED"


def test_revoke_sessions_command_signs_a_user_out(gql, user, tokens, capsys):
    call_command("revoke_sessions", "ALICE")

    assert "Revoked 1 session(s) of alice." in capsys.readouterr().out
    assert reason(gql(ME, token=tokens["accessToken"])) == "TOKEN_REVOKED"


def test_prune_sessions_removes_only_old_rows(user, sign_in):
    sign_in(HTTP_USER_AGENT="live")
    sign_in(HTTP_USER_AGENT="revoked-long-ago")
    sign_in(HTTP_USER_AGENT="revoked-today")
    sign_in(HTTP_USER_AGENT="expired-long-ago")
    now = timezone.now()
    Session.objects.filter(user_agent="revoked-long-ago").update(
        revoked_at=now - timedelta(days=8)
    )
    Session.objects.filter(user_agent="revoked-today").update(revoked_at=now)
    Session.objects.filter(user_agent="expired-long-ago").update(
        idle_expires_at=now - timedelta(days=8)
    )

    call_command("prune_sessions")

    left = set(Session.objects.values_list("user_agent", flat=True))
    assert left == {"live", "revoked-today"}
    assert RefreshToken.objects.count() == 2


def test_revocation_check_falls_back_to_the_database_when_cache_fails(
    gql, user, sign_in, monkeypatch, caplog
):
    from django.core.cache.backends.base import BaseCache

    from users import sessions

    class BrokenCache(BaseCache):
        def __init__(self):
            super().__init__({})

        def get(self, *args, **kwargs):
            raise ConnectionError("cache down")

        set_many = get

    kept = sign_in()
    gone = sign_in()
    monkeypatch.setattr(sessions, "cache", BrokenCache())
    gql(REVOKE_TOKEN, {"t": gone["refreshToken"]})

    assert reason(gql(ME, token=gone["accessToken"])) == "TOKEN_REVOKED"
    assert gql(ME, token=kept["accessToken"]).data["me"]["username"] == "alice"
    assert "Revocation cache failed" in caplog.text


def test_deleting_a_session_row_stops_its_tokens_at_once(gql, user, tokens):
    Session.objects.all().delete()

    assert reason(gql(ME, token=tokens["accessToken"])) == "TOKEN_REVOKED"
    assert reason(gql(REFRESH, {"t": tokens["refreshToken"]})) == "TOKEN_INVALID"


def test_expires_in_shrinks_near_the_sessions_absolute_end(gql, user, tokens):
    session = Session.objects.get()
    session.expires_at = timezone.now() + timedelta(minutes=5)
    session.save()

    fresh = gql(
        "mutation R($t: String) { refreshToken(refreshToken: $t) { expiresIn } }",
        {"t": tokens["refreshToken"]},
    )

    assert 290 <= fresh.data["refreshToken"]["expiresIn"] <= 300
