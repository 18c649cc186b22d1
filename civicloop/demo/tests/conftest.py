import pytest


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    """Demo accounts are hashed once per build; a fast hasher keeps the tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
