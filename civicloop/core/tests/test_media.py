"""Private media (problem photos…) is never served by plain URL; public prefixes are."""

import pytest


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "problems").mkdir()
    (tmp_path / "problems" / "secret.jpg").write_bytes(b"private")
    (tmp_path / "check_items").mkdir()
    (tmp_path / "check_items" / "example.jpg").write_bytes(b"public")
    return tmp_path


def test_private_media_is_not_served(client, media):
    assert client.get("/media/problems/secret.jpg").status_code == 404


def test_public_media_prefix_is_served(client, media):
    response = client.get("/media/check_items/example.jpg")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"public"


@pytest.mark.parametrize(
    "path",
    [
        "/media/check_items/../problems/secret.jpg",
        "/media/check_items/%2e%2e/problems/secret.jpg",
        "/media/check_items/..%2fproblems/secret.jpg",
        "/media/check_items%2f..%2fproblems/secret.jpg",
    ],
)
def test_traversal_out_of_public_prefix_is_refused(client, media, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"private" not in b"".join(getattr(response, "streaming_content", [response.content]))
