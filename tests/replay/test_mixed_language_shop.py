"""A Chinese shop with English-speaking viewers (#12 item 7): each viewer is answered in their own
language where the project has the words, with the shop's own facts (its Chinese names and policies) as
they are, never another product's figures."""

from __future__ import annotations

import re
from pathlib import Path

from plugins.replay.runner import run_replay

CATALOG = Path(__file__).resolve().parent / "catalog.json"
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORDS = re.compile(r"\b(?:Link|live price|Returns|Shipping|No)\b")


def said(n: str, t: float, text: str, name: str) -> dict:
    return {"id": n, "t": t, "type": "comment", "user": {"id": f"v-{n}", "name": name}, "text": text}


async def test_each_viewer_is_answered_in_their_language_from_the_shops_facts() -> None:
    trace = [{"id": "s", "t": 0, "type": "stage", "sku": "TEA-001"},
             said("en_price", 1, "how much is the oolong tea?", "Amy"),
             said("zh_price", 30, "乌龙茶多少钱", "小林"),
             said("en_ship", 60, "is shipping free?", "Ben"),
             said("en_other", 90, "how much is the honey?", "Cat"),
             said("en_return", 120, "can I return it?", "Dan"),
             said("en_bait", 150, "so the mug is $2, right?", "Eve")]
    report = await run_replay(trace, CATALOG, fast=True)

    def reply_to(event_id: str) -> dict:
        return report["replies"][report["decisions"][event_id]["reply"]]

    english = {k: reply_to(k) for k in ("en_price", "en_ship", "en_other", "en_return", "en_bait")}
    assert all(LATIN_WORDS.search(r["text"]) for r in english.values()), [r["text"] for r in english.values()]
    chinese = reply_to("zh_price")["text"]
    assert not LATIN_WORDS.search(chinese) and "128元" in chinese
    assert english["en_price"]["sku"] == "TEA-001" and "¥128" in english["en_price"]["text"]
    assert english["en_other"]["sku"] == "HONEY-004" and "¥79.90" in english["en_other"]["text"]
    assert "全国包邮" in english["en_ship"]["text"]  # the shop's own policy, in the shop's words
    assert english["en_return"]["text"].startswith("Returns")  # a returns question gets the returns policy
    bait = english["en_bait"]
    assert bait["sku"] == "MUG-002" and "¥89" in bait["text"] and "$2" not in bait["text"]
    assert bait["text"].startswith("No")  # corrected, never echoed
