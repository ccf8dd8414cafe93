"""An English-only shop, replayed as a new merchant would run it (#12 item 7): catalog locale ``en``, USD,
its own shipping threshold and returns window, no LLM and no locale configured anywhere else."""

from __future__ import annotations

import re
from pathlib import Path

from plugins.replay.runner import run_replay

CATALOG = Path(__file__).resolve().parent / "catalog_en.json"
CJK = re.compile(r"[\u4e00-\u9fff]")


def said(n: str, t: float, text: str, name: str) -> dict:
    return {"id": n, "t": t, "type": "comment", "user": {"id": f"v-{n}", "name": name}, "text": text}


async def test_an_english_shop_answers_in_english_from_its_own_facts() -> None:
    trace = [{"id": "s", "t": 0, "type": "stage", "sku": "JKT-1"},
             {"id": "e1", "t": 0.5, "type": "enter", "user": {"id": "v1", "name": "viewer1"}},
             said("ship", 1, "is shipping free?", "Amy"),
             said("ret", 40, "can I return it if it doesn't fit?", "Ben"),
             said("late", 80, "I ordered 3 days ago and nothing arrived", "Cat"),
             said("wet", 120, "is the jacket waterproof?", "Dan"),
             said("price", 160, "how much are the water bottles?", "Eve"),
             said("gloves", 200, "how much are the gloves?", "Fay")]
    report = await run_replay(trace, CATALOG, fast=True)

    def reply_to(event_id: str) -> dict:
        return report["replies"][report["decisions"][event_id]["reply"]]

    assert all(not CJK.search(r["text"]) for r in report["replies"]), [r["text"] for r in report["replies"]]
    assert reply_to("e1")["text"].lower().startswith("welcome")
    shipping = reply_to("ship")["text"]
    assert "$50" in shipping and "$69" not in shipping  # the shop's threshold is a fact, not a price
    returns = reply_to("ret")["text"]
    assert "30-day returns" in returns and "sorry" not in returns.lower()  # the policy, not an apology
    late = reply_to("late")
    assert report["decisions"]["late"]["reason"] == "complaint" and "order number" in late["text"]
    assert "waterproof" in reply_to("wet")["text"]
    bottle = reply_to("price")
    assert bottle["sku"] == "BTL-2" and "$19" in bottle["text"]
    gloves = reply_to("gloves")
    assert gloves["sku"] is None and "Which link" in gloves["text"]  # no gloves: asked back, not the jacket
