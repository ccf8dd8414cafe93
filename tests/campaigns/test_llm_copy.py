"""Copy written by the configured LLM (an OpenAI-compatible stand-in speaking the real SSE framing): its calls
and tokens are counted per run, and what it writes is reviewed like the host's lines — the stand-in's price
is not the catalog's, so the fact guard corrects it; an LLM that fails leaves the copy to the template."""

from __future__ import annotations

from typing import Any

from hub.testing import running_hub, wait_for
from tests.campaigns.test_campaigns import call, write_catalog
from tests.llm.standin import USAGE, StandInServer


def config(tmp_path: Any, url: str, model: str) -> dict[str, Any]:
    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / f'{model}.db'}", "locale": "en"},
            "web": {"enabled": True, "port": 0},
            "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}},
            "backends": {"llm": {"default": "openai", "openai": {"model": model, "base_url": url,
                                                                  "first_sentence_timeout_s": 2}}}}


async def test_llm_copy_is_counted_and_reviewed_and_a_failing_llm_leaves_it_to_the_template(tmp_path,
                                                                                           monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-standin")
    standin = StandInServer()
    url = await standin.start()
    try:
        async with running_hub(config=config(tmp_path, url, "ok")) as hub:
            await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
            await call(hub, "PUT", "/campaigns/llm", {"products": ["TEA-001"], "channels": ["email", "post"]})
            run = (await call(hub, "POST", "/campaigns/llm/run"))[1]
            counts = run["counts"]
            assert counts["generated"] == 4 and counts["llm_calls"] == 4, counts
            assert counts["llm_tokens"] == 4 * (USAGE["prompt_tokens"] + USAGE["completion_tokens"])
            items = (await call(hub, "GET", f"/campaign-items?run={run['id']}"))[1]["items"]
            assert all(i["content"]["source"] == "llm:openai" for i in items)
            for item in items:  # "Link 1 is ¥128 today": the fact guard puts in the catalog's 168
                assert "¥168" in item["content"]["body"] and "128" not in item["content"]["body"]
                assert "'¥128': not the price of TEA-001" in item["reasons"][0]
                assert item["channel"] == "post" or item["content"]["subject"] == "Longjing tea"
            system = standin.requests[-1]["messages"][0]["content"]
            assert "{link}" in system and "Longjing" in standin.requests[-1]["messages"][1]["content"]
        async with running_hub(config=config(tmp_path, url, "500")) as hub:
            await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
            await call(hub, "PUT", "/campaigns/llm", {"products": ["CUP-002"], "channels": ["post"], "variants": 1})
            run = (await call(hub, "POST", "/campaigns/llm/run"))[1]
            assert run["status"] == "done" and run["counts"]["awaiting_approval"] == 1
            (item,) = (await call(hub, "GET", f"/campaign-items?run={run['id']}"))[1]["items"]
            assert item["content"]["source"].startswith("template:") and item["content"]["fallback"]
    finally:
        await standin.stop()
