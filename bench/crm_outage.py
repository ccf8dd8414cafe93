"""A CRM outage never slows the room: the room's reply latency with the CRM up, then down.

One hub with the starter catalog, the customers plugin (every question becomes a contact, a visit note and,
for purchase questions, a lead; notes and leads fall due after one second, so the CRM is written all the
time) and HubSpot's stand-in as the CRM. Questions go one at a time (distinct viewers, distinct aggregation
keys, ``bench.reply.FACT_QUESTIONS``, a repeat answered again rather than joined) straight onto the bus; a sample is the time from a question's
publication to the host's voice ``Reply`` that answers it (triage is told the host speaks instantly, as in
``bench/platform_reply.py``). First ``questions`` with the CRM up, then as many with the stand-in in an outage
(every request answered 503: the connector is ``retrying`` and the writes wait in the outbox).

``value`` = p95 with the CRM down / p95 with it up (goal ≈ 1: ≤ 1.2); both p95s, the writes sent before the
outage and waiting at its end are in the details. Benchmarks are not tests: nothing is asserted here.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import percentile
from bench.reply import FACT_QUESTIONS
from hub.app import Hub
from hub.config import load_config
from hub.events import Comment, Reply, User
from hub.plugins import BUILTIN_PLUGINS
from plugins.triage.service import service_for

STARTER = Path(__file__).resolve().parent.parent / "hub" / "starter" / "catalog.json"


async def _ask(hub: Hub, replies: list[Reply], n: int, text: str, timeout: float = 30.0) -> float:
    await asyncio.sleep(0.05)  # the same pace in both phases
    message_id = f"q{n}"
    started = time.time()
    await hub.publish(Comment(platform="douyin", room="main", text=text, user=User(f"v{n}", f"观众{n}"),
                              message_id=message_id))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for reply in replies:
            if any(asker.message_id == message_id for asker in reply.askers):
                return reply.received_ts - started
        await asyncio.sleep(0.002)
    raise TimeoutError(f"no answer to {message_id} in {timeout:g} s")


async def run(questions: int = 30) -> dict[str, Any]:
    from connectors.hubspot.standin import HubSpotStandin

    texts = [FACT_QUESTIONS[n % len(FACT_QUESTIONS)] for n in range(2 * questions + 1)]
    with tempfile.TemporaryDirectory(prefix="livehub-bench-") as tmp:
        async with HubSpotStandin(rate_max=190) as standin:
            config = {"hub": {"database_url": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"},
                      "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER)},
                                     "crm": standin.connector_config()},
                      "rooms": {"main": {"locale": "zh-CN"}},
                      # a repeated question is answered again, not joined to the last answer: every sample is a reply
                      "plugins": {"triage": {"recent_answer_s": 0.0},
                                  "customers": {"lead_after_s": 1.0, "note_after_s": 1.0,
                                                "lead_intents": ["price", "stock", "purchase"]}}}
            hub = Hub(load_config(data=config, env=False), builtins=BUILTIN_PLUGINS, autoload=False).build()
            await hub.start()
            try:
                service_for(hub).use_speech_estimator(lambda text, locale: 0.0)
                await hub.connectors["shop"].wait_ready(15)
                crm = hub.connectors["crm"]
                replies: list[Reply] = []
                hub.bus.subscribe("bench-replies", replies.append, types={"reply"})
                await _ask(hub, replies, 0, texts[0])  # the first answer of a hub warms up: not counted
                up = [await _ask(hub, replies, n, texts[n]) for n in range(1, questions + 1)]
                sent_before = crm.counts["sent"]
                standin._outage_until = time.monotonic() + 3600  # down for the rest of the run
                down = [await _ask(hub, replies, n, texts[n]) for n in range(questions + 1, 2 * questions + 1)]
                waiting = crm.counts["pending"]
                state = crm.state
            finally:
                await hub.stop()
    p95_up, p95_down = percentile(up, 95), percentile(down, 95)
    ratio = None if not p95_up or p95_down is None else round(p95_down / p95_up, 2)
    return {"value": ratio, "p95_up_ms": round((p95_up or 0) * 1000, 1), "p95_down_ms": round((p95_down or 0) * 1000, 1),
            "p50_up_ms": round((percentile(up, 50) or 0) * 1000, 1),
            "p50_down_ms": round((percentile(down, 50) or 0) * 1000, 1), "crm_writes_sent_before": sent_before,
            "crm_writes_waiting_at_end": waiting, "crm_state_at_end": state, "questions": questions}


if __name__ == "__main__":
    import json

    print(json.dumps(asyncio.run(run()), indent=2))
