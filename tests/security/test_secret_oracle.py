"""Issue #11 item 4: the public comment endpoint must not be an oracle for configured secrets.

Before the fix a repeated ``message_id`` skipped the rate limiter and the answer echoed the submitted
text after secret redaction, so anyone could test guesses of a secret: a guess equal to the secret came
back redacted. These tests run against a real hub with a configured secret.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.app import Hub
from tests.live_room.conftest import room_config, started_room_hub

SECRET = "sk-live-7c2f9e1a4b6d8035"
SECRET_ENV = "LIVEHUB_SECURITY_TEST_SECRET"
TOKEN_HEADER = {"Authorization": f"Bearer {SECRET}"}
VIEWER = "viewer-0123456789"


@pytest.fixture
async def secret_room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    """The live-room hub whose API token (a configured secret the redactor knows) is :data:`SECRET`."""
    monkeypatch.setenv("LIVEHUB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(SECRET_ENV, SECRET)
    async with started_room_hub(room_config(web={"enabled": True, "port": 0, "token": {"env": SECRET_ENV}})) as hub:
        yield hub



def comment(text: str, message_id: str) -> dict:
    return {"name": "guesser", "text": text, "viewer_id": VIEWER, "message_id": message_id}


async def test_the_answer_to_a_comment_never_carries_the_submitted_text(secret_room, client) -> None:
    url = f"{secret_room.web.url}/live/main/comments"
    for text in ("a wrong guess", f"guess {SECRET}"):
        async with client.post(url, json=comment(text, f"m-oracle-{len(text):04d}")) as response:
            body = await response.text()
            assert response.status in (200, 202), body
            data = await response.json()
        assert set(data) <= {"id", "duplicate", "status"}, data
        assert "guess" not in body and "***" not in body and "[redacted]" not in body.lower()
    # The two answers differ only in the id, so nothing tells whether the guess matched.


async def test_a_repeated_message_id_does_not_skip_the_rate_limit(secret_room, client) -> None:
    """The room allows 3 comments a minute per viewer; resending one id must count too."""
    url = f"{secret_room.web.url}/live/main/comments"
    statuses = []
    for i in range(8):
        async with client.post(url, json=comment(f"guess number {i}", "m-oracle-same")) as response:
            statuses.append(response.status)
    assert 429 in statuses, statuses
    assert statuses.count(429) >= 8 - 3, statuses


async def test_an_unknown_room_name_is_not_echoed(secret_room, client) -> None:
    """The 404 for an unknown room must not repeat the (redacted) room name from the path."""
    for path in (f"/live/{SECRET}/info", "/live/not-a-secret/info", f"/live/{SECRET}/comments"):
        method = client.post if path.endswith("comments") else client.get
        async with method(secret_room.web.url + path, json=comment("x", "m-oracle-404x")) as response:
            body = await response.text()
        assert response.status == 404
        assert "not-a-secret" not in body and "***" not in body and "redacted" not in body.lower(), body
