"""The schedule API, ``livehub schedule`` and the ``audit.note`` job, on a real hub over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner

from hub import testing
from hub.app import Hub
from hub.builtin.schedule_api import schedule as schedule_command
from hub.config import load_config

TOKEN = "tk-sched-4b1d9e-api-test"
TOKEN_ENV = "LIVEHUB_SCHEDULE_TEST_TOKEN"
BUILTINS = ("hub.builtin.token_auth", "hub.builtin.schedule_api")
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def make_hub(db_url: str, *, scheduler: bool = True) -> Hub:
    config = load_config(data={
        "hub": {"database_url": db_url, "shutdown_timeout": 5},
        "web": {"host": "127.0.0.1", "port": 0, "token": {"env": TOKEN_ENV}},
        "scheduler": {"enabled": scheduler},
    }, env=False)
    return Hub(config, builtins=BUILTINS, autoload=False)


@contextlib.asynccontextmanager
async def running(db_url: str, **options: Any) -> AsyncIterator[Hub]:
    hub = make_hub(db_url, **options)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


@pytest.fixture(autouse=True)
def token_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        yield session


async def notes(hub: Hub) -> list[str]:
    return [e["detail"]["message"] for e in await hub.storage.recent_audit()
            if (e["actor"], e["action"]) == ("scheduler", "note")]


async def test_a_note_scheduled_over_http_survives_a_restart_and_is_written_once(db_url, http):
    due = datetime.now(UTC) + timedelta(seconds=2)
    async with running(db_url) as hub:
        async with http.post(f"{hub.web.url}/api/v1/schedules", headers=AUTH, json={
                "job_type": "audit.note", "args": {"message": "重启以后"}, "at": due.isoformat()}) as resp:
            assert resp.status == 201
            created = await resp.json()
        assert created["job_type"] == "audit.note" and created["args"] == {"message": "重启以后"}
        assert datetime.fromisoformat(created["next_fire_time"]) == due
    await asyncio.sleep((due - datetime.now(UTC)).total_seconds() + 0.5)  # the hub is down at fire time
    async with running(db_url) as hub:
        await testing.wait_for(lambda: notes(hub), timeout=15)
        await asyncio.sleep(1.5)  # would a second fire come?
        assert await notes(hub) == ["重启以后"]
        async with http.get(f"{hub.web.url}/api/v1/schedules", headers=AUTH) as resp:
            assert resp.status == 200 and await resp.json() == []


async def test_list_add_and_remove_over_http(sqlite_url, http):
    async with running(sqlite_url) as hub:
        base = f"{hub.web.url}/api/v1/schedules"
        body = {"job_type": "audit.note", "args": {"message": "hourly"}, "interval_s": 3600, "id": "hourly"}
        async with http.post(base, headers=AUTH, json=body) as resp:
            assert resp.status == 201
            assert (await resp.json())["trigger"] == "every 3600 s"
        async with http.post(base, headers=AUTH, json={**body, "interval_s": None, "cron": "0 9 * * *",
                                                      "id": "daily"}) as resp:
            assert resp.status == 201
        async with http.get(base, headers=AUTH) as resp:
            listed = await resp.json()
        # soonest first (which of the two that is depends on the time of day the test runs)
        assert sorted(s["id"] for s in listed) == ["daily", "hourly"]
        assert [s["next_fire_time"] for s in listed] == sorted(s["next_fire_time"] for s in listed)
        assert {s["id"]: s["trigger"] for s in listed}["daily"] == "cron 0 9 * * * (UTC)"
        async with http.delete(f"{base}/hourly", headers=AUTH) as resp:
            assert resp.status == 204
        async with http.delete(f"{base}/hourly", headers=AUTH) as resp:
            assert resp.status == 404
            assert (await resp.json())["error"] == "no schedule with id 'hourly'"
        assert [s["id"] for s in await hub.scheduler.list()] == ["daily"]


@pytest.mark.parametrize(("body", "message"), [
    ({"job_type": "nope", "interval_s": 5}, "job_type: unknown job type 'nope' (known: audit.note)"),
    ({"job_type": "audit.note", "args": {}, "interval_s": 5}, "args.message: Field required"),
    ({"job_type": "audit.note", "args": {"message": ""}, "interval_s": 5}, "args.message: String should"),
    ({"job_type": "audit.note", "args": {"message": "x"}, "at": "tomorrow"}, "at: not an ISO 8601"),
    ({"job_type": "audit.note", "args": {"message": "x"}}, "give exactly one of at, cron or interval_s"),
    ({"job_type": "audit.note", "args": {"message": "x"}, "cron": "bad"}, "cron: expected 5 fields"),
    ({"job_type": "audit.note", "args": {"message": "x"}, "interval_s": "5"}, "interval_s: must be a number"),
    ({"job_type": "audit.note", "args": {"message": "x"}, "every": 5}, "unknown field(s) every"),
    ({"args": {"message": "x"}, "interval_s": 5}, "job_type: required"),
    (["audit.note"], "the body must be a JSON object"),
])
async def test_bad_requests_get_400_with_the_reason(sqlite_url, http, body, message):
    async with running(sqlite_url) as hub:
        async with http.post(f"{hub.web.url}/api/v1/schedules", headers=AUTH, json=body) as resp:
            assert resp.status == 400
            assert message in (await resp.json())["error"]
        assert await hub.scheduler.list() == []


async def test_the_api_needs_the_token_and_valid_json(sqlite_url, http):
    async with running(sqlite_url) as hub:
        base = f"{hub.web.url}/api/v1/schedules"
        async with http.get(base) as resp:
            assert resp.status == 401
        async with http.post(base, json={"job_type": "audit.note", "args": {"message": "x"},
                                         "interval_s": 5}) as resp:
            assert resp.status == 401
        async with http.post(base, headers={**AUTH, "Content-Type": "application/json"}, data=b"{not json") as resp:
            assert resp.status == 400 and (await resp.json())["error"].startswith("the body is not acceptable JSON")
        assert await hub.scheduler.list() == []


async def test_a_disabled_scheduler_answers_503(sqlite_url, http):
    async with running(sqlite_url, scheduler=False) as hub:
        async with http.get(f"{hub.web.url}/api/v1/schedules", headers=AUTH) as resp:
            assert resp.status == 503
            assert "scheduler is disabled" in (await resp.json())["error"]


async def test_the_schedule_commands_talk_to_a_running_hub(sqlite_url):
    runner = CliRunner()

    async def livehub_schedule(*args: str, token: str | None = TOKEN) -> Any:
        env = {"LIVEHUB_API_TOKEN": token} if token else {"LIVEHUB_API_TOKEN": ""}
        return await asyncio.to_thread(runner.invoke, schedule_command, [*args, "--url", hub.web.url], env=env)

    async with running(sqlite_url) as hub:
        added = await livehub_schedule("add", "audit.note", "--args", '{"message": "from the cli"}',
                                       "--every", "600", "--id", "cli-note")
        assert added.exit_code == 0, added.output
        assert added.output.startswith("cli-note  audit.note  next ")
        listed = await livehub_schedule("list")
        assert listed.exit_code == 0 and "cli-note" in listed.output and "from the cli" in listed.output
        bad = await livehub_schedule("add", "audit.note", "--args", "{}", "--every", "5")
        assert bad.exit_code == 1 and "args.message: Field required" in bad.output
        refused = await livehub_schedule("list", token=None)
        assert refused.exit_code == 1 and "401" in refused.output
        removed = await livehub_schedule("remove", "cli-note")
        assert removed.exit_code == 0 and removed.output.strip() == "removed cli-note"
        missing = await livehub_schedule("remove", "cli-note")
        assert missing.exit_code == 1 and "no schedule with id 'cli-note'" in missing.output
        empty = await livehub_schedule("list")
        assert empty.output.strip() == "no schedules"
    unreachable = await livehub_schedule("list")
    assert unreachable.exit_code == 1 and "cannot reach the hub" in unreachable.output
