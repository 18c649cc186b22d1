"""/api/v1/me/, token auth through django-axes, and `manage.py api_token`."""

from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from civicloop.api.openapi_check import assert_matches_schema

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-word"
TOKEN_URL = "/api/v1/auth/token/"


def obtain(username: str, password: str, ip: str = "10.0.0.1"):
    return APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


# --- /me/ -------------------------------------------------------------------------------


def test_me_shows_roles_and_memberships(world, api):
    response = api(world.p.handler_a).get("/api/v1/me/")
    assert response.status_code == 200
    assert_matches_schema(response)
    body = response.json()
    assert body["username"] == "handler_a" and body["name"] == "东华经办人"
    assert body["roles"] == [{"code": "unit_handler", "label": "单位经办人"}]
    (membership,) = body["memberships"]
    assert membership["unit"] == world.unit_a.pk
    assert membership["unit_name"] == "东华街道办事处"
    assert membership["area"] is None and membership["area_name"] is None


def test_me_lists_every_role_once(world, api):
    from civicloop.accounts.models import Membership

    Membership.objects.create(user=world.p.command, role="leader", area=world.east)
    body = api(world.p.command).get("/api/v1/me/").json()
    assert [r["code"] for r in body["roles"]] == ["command", "leader"]
    assert {m["area_name"] for m in body["memberships"]} == {"示范市", "东城区"}


def test_me_for_citizen_and_anonymous(world, api):
    body = api(world.p.citizen).get("/api/v1/me/").json()
    assert body["roles"] == [{"code": "citizen", "label": "市民"}]
    response = api().get("/api/v1/me/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert_matches_schema(response)


# --- token ------------------------------------------------------------------------------


def test_token_obtained_and_used(world):
    response = obtain("command", PASSWORD)
    assert response.status_code == 200
    assert_matches_schema(response)
    token = response.json()["token"]
    assert token == Token.objects.get(user=world.p.command).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["username"] == "command"
    # Same token on the next request (programs may call this idempotently).
    assert obtain("command", PASSWORD).json()["token"] == token


def test_wrong_password_is_validation_error_without_token(world):
    response = obtain("command", "wrong")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert_matches_schema(response)
    assert not Token.objects.exists()


def test_bad_token_is_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get("/api/v1/points/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_lockout_after_repeated_failures(world, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    statuses = [obtain("command", f"wrong-{i}").status_code for i in range(5)]
    # The fifth failure reaches the limit and is answered as a lockout.
    assert statuses == [400, 400, 400, 400, 429]
    locked = obtain("command", PASSWORD)
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert locked.json()["code"] == "locked"
    assert_matches_schema(locked)
    assert not Token.objects.exists()
    assert AccessAttempt.objects.filter(username="command").exists()
    # Lockout is per username + IP: another user, or the same user elsewhere, is unaffected.
    assert obtain("leader", PASSWORD).status_code == 200
    assert obtain("command", PASSWORD, ip="10.0.0.2").status_code == 200


def test_success_resets_failure_count(world):
    for i in range(4):
        obtain("command", f"wrong-{i}")
    assert obtain("command", PASSWORD).status_code == 200
    assert obtain("command", "wrong-again").status_code == 400


def test_inactive_user_gets_no_token(world):
    world.p.command.is_active = False
    world.p.command.save(update_fields=["is_active"])
    assert obtain("command", PASSWORD).status_code == 400


def test_token_revoke(world, api):
    client = api(world.p.command)
    assert client.get("/api/v1/me/").status_code == 200
    response = client.delete("/api/v1/auth/token/revoke/")
    assert response.status_code == 204
    assert_matches_schema(response)
    assert not Token.objects.filter(user=world.p.command).exists()
    assert client.get("/api/v1/me/").status_code == 401


# --- manage.py api_token -------------------------------------------------------------------


def run_api_token(*args) -> str:
    out = StringIO()
    call_command("api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_api_token_command_creates_then_prints_same(world):
    key = run_api_token("inspector")
    assert key == Token.objects.get(user=world.p.inspector).key
    assert run_api_token("inspector") == key
    new_key = run_api_token("inspector", "--reset")
    assert new_key != key and Token.objects.get(user=world.p.inspector).key == new_key


def test_api_token_command_unknown_or_inactive_user(world):
    with pytest.raises(CommandError, match="用户不存在"):
        run_api_token("nobody")
    world.p.citizen.is_active = False
    world.p.citizen.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="用户已停用"):
        run_api_token("citizen")
    assert not Token.objects.exists()
