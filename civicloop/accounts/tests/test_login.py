import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

PASSWORD = "pass-1234-word"


@pytest.mark.django_db
def test_login_page_is_chinese(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "用户名" in body and "密码" in body and "登录" in body


@pytest.mark.django_db
def test_login_and_logout(client, world):
    response = client.post(reverse("accounts:login"), {"username": "command", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_wrong_password_gives_chinese_error(client, world):
    response = client.post(reverse("accounts:login"), {"username": "command", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


@pytest.mark.django_db
def test_lockout_after_repeated_failures(client, world):
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "command", "password": "nope"})
    # Locked now: even the right password is refused, with the Chinese lockout page.
    response = client.post(url, {"username": "command", "password": PASSWORD})
    assert response.status_code == 429
    assert "账号已临时锁定" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_other_users_are_not_locked_by_someone_elses_failures(client, world):
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "command", "password": "nope"})
    response = client.post(url, {"username": "leader", "password": PASSWORD})
    assert response.status_code == 302


def _settings_import(env: dict) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env=full_env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )


def test_secret_key_required_when_debug_off():
    result = _settings_import({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_settings_load_with_secret_key_and_debug_off():
    result = _settings_import({"DEBUG": "0", "SECRET_KEY": "x" * 50})
    assert result.returncode == 0, result.stderr


def test_core_settings():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.AUTH_USER_MODEL == "accounts.User"
