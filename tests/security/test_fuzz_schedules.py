"""Fuzzing schedules (``parse_new_schedule`` of :mod:`hub.builtin.schedule_api`, then ``Scheduler.validate`` and
``Scheduler.make_trigger``): only :class:`ValueError` (the API's 400) escapes. See tests/security/fuzzing.py.
"""

from __future__ import annotations

import json
import math
from datetime import datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.security.fuzzing import TEXT, VALUE, fuzz

# -- schedules ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scheduler():
    """A scheduler that is never started: enough for ``validate`` and ``make_trigger`` (no database)."""
    from hub.builtin.schedule_api import livehub_register_job_types as hub_job_types
    from hub.scheduler import Scheduler
    from plugins.show_runner.jobs import JOB_TYPES

    job_types = {job.name: job for job in [*hub_job_types(), *JOB_TYPES]}
    return Scheduler(None, job_types, timezone_name="Asia/Shanghai")


CRON_TOKEN = st.sampled_from(["*", "*/5", "*/0", "0", "59", "60", "-1", "1-5", "5-1", "1,2", ",", "mon", "mon-fri",
                              "jan", "L", "last", "last fri", "1st mon", "?", "#", "2#1", "0/5", "*/99999999999",
                              "99999999999999999999", "1-99999999999", "xyz", "**", "31", "2", "1970", "9999", "7", "8",
                              "0-8", "5-9", "mon-8", "sun", "13", "1-7/2", "W", "15W", "LW", "mon#2", "6L"])
CRON = (st.lists(st.sampled_from(["*", "*", "0", "1", "*/5", "1-5", "1,2"]) | CRON_TOKEN, min_size=5,
                 max_size=6).map(" ".join)
        | st.lists(CRON_TOKEN | TEXT, max_size=7).map(" ".join) | TEXT)
ISO = st.builds(
    lambda y, mo, d, h, mi, s, frac, off: f"{y}-{mo}-{d}T{h}:{mi}:{s}{frac}{off}",
    st.sampled_from(["0001", "0000", "9999", "2030", "10000", "1970"]),
    st.sampled_from(["01", "02", "12", "13", "00"]), st.sampled_from(["01", "29", "31", "32"]),
    st.sampled_from(["00", "23", "24"]), st.sampled_from(["00", "59", "60"]), st.sampled_from(["00", "59", "61"]),
    st.sampled_from(["", ".5", ".123456", ".1234567"]),
    st.sampled_from(["", "Z", "+08:00", "-23:59", "+24:00", "+14:00", "-14:00", "+00:00:01", "+05:30:00.5"]),
) | st.sampled_from(["2030-01-31", "2030-01-31 20:00", "20300131T200000", "2030-W05-4", "now", ""]) | TEXT
INTERVAL = st.sampled_from([1, 0.001, 5e-324, 1e-300, 366 * 86400, 366 * 86400 + 1, 0, -1, math.nan, math.inf,
                            10**400, True]) | st.floats(0, 1e6) | VALUE
ARGS = st.fixed_dictionaries({}, optional={
    "message": st.sampled_from(["hi", ""]) | TEXT | VALUE,
    "show": st.sampled_from(["spring", "-bad"]) | VALUE,
    "room": st.sampled_from(["main", ""]) | VALUE,
    "duration_min": st.sampled_from([1, 0, -1, math.nan, math.inf, 10**400, 1e300]) | VALUE,
    "broadcast": st.sampled_from([1, -1, 10**400, 1.5, "7"]) | VALUE,
}) | VALUE
SCHEDULE_BODY = st.fixed_dictionaries({
    "job_type": st.sampled_from(["audit.note", "show.start", "show.stop", "nope", ""]) | VALUE,
}, optional={"args": ARGS, "at": ISO | VALUE, "cron": CRON | VALUE, "interval_s": INTERVAL, "id": TEXT | VALUE,
             "extra": VALUE})


FIELDS = ("job_type", "args", "at", "cron", "interval_s", "id", "give exactly one of", "the body must be",
          "unknown field")
"""How every refusal of a schedule request starts: the field it is about (the API answers it as a 400)."""


def schedule_from_body(scheduler, body: object) -> None:
    """What ``POST /api/v1/schedules`` does before touching the store: parse the body, validate the args,
    build the trigger and ask it for its first fire time. Raises ValueError naming the field on bad input."""
    from hub.builtin.schedule_api import parse_new_schedule

    request = parse_new_schedule(body)
    clean = scheduler.validate(request["job_type"], request["args"])
    json.dumps(clean, allow_nan=False)  # stored as JSON
    trigger, description = scheduler.make_trigger(at=request["at"], cron=request["cron"],
                                                  interval_s=request["interval_s"])
    assert isinstance(description, str)
    first = trigger.next()  # a schedule that was accepted fires at least once
    assert isinstance(first, datetime), f"accepted, but never fires: {description}"


def assert_refused_or_usable(scheduler, body: object) -> None:
    try:
        schedule_from_body(scheduler, body)
    except ValueError as exc:
        assert str(exc).startswith(FIELDS), f"the refusal names no field: {exc}"


@fuzz(400)
@given(body=SCHEDULE_BODY | VALUE)
def test_almost_valid_schedule_requests(scheduler, body: object) -> None:
    assert_refused_or_usable(scheduler, body)


@fuzz(300)
@given(at=ISO)
def test_iso_times(scheduler, at: str) -> None:
    assert_refused_or_usable(scheduler, {"job_type": "audit.note", "args": {"message": "hi"}, "at": at})




@fuzz(300)
@given(cron=CRON)
@example(cron="* * * * 8")  # the bugs found so far, always tried first
@example(cron="0 0 31 2 *")
def test_cron_strings(scheduler, cron: str) -> None:
    assert_refused_or_usable(scheduler, {"job_type": "audit.note", "args": {"message": "hi"}, "cron": cron})


@fuzz(300)
@given(interval=INTERVAL)
@example(interval=5e-324)
def test_intervals(scheduler, interval: object) -> None:
    assert_refused_or_usable(scheduler, {"job_type": "audit.note", "args": {"message": "hi"}, "interval_s": interval})


@pytest.mark.parametrize("body", [
    {"cron": "* * * * 8"},  # a day of week above 7: IndexError inside APScheduler, once a 500
    {"cron": "* 5-9 5-9 5-9 5-9"},
    {"cron": "0 0 31 2 *"},  # never fires (February 31st): once accepted as if it had fired already
    {"interval_s": 5e-324},  # passed "> 0", then an error naming no field
    {"cron": "*/5 * * * *"},
    {"interval_s": 0.5},
    {"at": "2030-01-31T20:00:00+08:00"},
])
def test_schedule_known_bugs(scheduler, body: dict) -> None:
    """The inputs the fuzzing above found (each failed before hub/scheduler.py was fixed), and good ones."""
    assert_refused_or_usable(scheduler, {"job_type": "audit.note", "args": {"message": "hi"}, **body})


def test_a_schedule_id_cannot_end_in_a_newline() -> None:
    from hub.scheduler import SCHEDULE_ID

    assert SCHEDULE_ID.fullmatch("nightly") and not SCHEDULE_ID.fullmatch("nightly\n")


async def test_a_deeply_nested_schedule_request_is_a_400(scheduler) -> None:
    from types import SimpleNamespace

    from hub.builtin.schedule_api import add_schedule
    from hub.web.common import HUB_KEY

    body = "[" * 100_000 + "]" * 100_000

    async def read() -> bytes:
        return body.encode()

    async def text() -> str:
        return body

    async def read_json() -> object:  # what aiohttp's Request.json() does with the text
        return json.loads(body)

    # a stand-in for the aiohttp request, whichever way the handler reads the body
    request = SimpleNamespace(app={HUB_KEY: SimpleNamespace(scheduler=scheduler)}, json=read_json, read=read,
                              text=text, can_read_body=True, body_exists=True, content_type="application/json",
                              headers={"Content-Type": "application/json"}, match_info={})
    response = await add_schedule(request)
    assert response.status == 400
