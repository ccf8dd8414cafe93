"""The offline demo in a real browser: the viewer page plays the host and answers a price question; the
console's takeover is spoken next; switching the product and pausing are audited.

One ``livehub demo --catalog`` process serves the whole module (tests run in file order and leave the
show running). Every wait is bounded and polls a condition.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.testing import wait_for

from .conftest import LINK1_PRICE, TEST_CATALOG, new_page

pytestmark = pytest.mark.slow

QUESTION = "1号链接多少钱"
TAKEOVER = "各位朋友，主播插播一句：今天下单的都送小样哦。"
URGENT_S = 0.3

FRAMES = "() => window.livehub.video.getVideoPlaybackQuality().totalVideoFrames"
AUDIO = """async () => {
  const track = window.livehub.video.srcObject && window.livehub.video.srcObject.getAudioTracks()[0];
  let inbound = null;
  (await window.livehub.pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "audio") inbound = r; });
  return { state: track ? track.readyState : null, enabled: track ? track.enabled : null,
           packets: inbound ? inbound.packetsReceived : 0, energy: inbound ? inbound.totalAudioEnergy : 0 };
}"""


def audit_entry(demo: Any, action: str, **detail: Any) -> dict | None:
    for entry in demo.get("/api/v1/audit?limit=100")["entries"]:
        if entry["action"] == action and all((entry["detail"] or {}).get(k) == v for k, v in detail.items()):
            return entry
    return None


async def open_viewer(browser: Any, demo: Any, **options: Any) -> Any:
    page = await new_page(browser, **options)
    await page.goto(demo.url + "/")
    await page.wait_for_function("window.livehub && window.livehub.state === 'connected'", timeout=30_000)
    return page


async def test_the_viewer_page_plays_the_host_with_sound(demo, browser) -> None:
    page = await open_viewer(browser, demo)
    await page.wait_for_function(f"({FRAMES})() > 25", timeout=30_000)
    before = await page.evaluate(FRAMES)
    await page.wait_for_function(f"({FRAMES})() > {before + 25}", timeout=30_000)  # frames keep coming
    size = await page.evaluate("[window.livehub.video.videoWidth, window.livehub.video.videoHeight]")
    assert size[0] >= 320 and size[1] >= 180
    await page.wait_for_function(f"({AUDIO})().then((a) => a.energy > 0)", timeout=30_000, polling=250)
    audio = await page.evaluate(AUDIO)
    assert audio["state"] == "live" and audio["enabled"] and audio["packets"] > 25
    assert await page.evaluate("document.querySelector('[data-testid=stage-video]') === window.livehub.video")
    assert await page.evaluate("window.livehub.video.paused") is False


async def test_a_price_question_gets_link_ones_catalog_price_in_the_chat(demo, browser) -> None:
    page = await open_viewer(browser, demo)
    await page.fill("[data-testid=comment-input]", QUESTION)
    await page.click("[data-testid=send-button]")
    viewer = page.locator("[data-testid=chat-log] [data-testid=chat-message][data-author=viewer]",
                          has_text=QUESTION)
    await viewer.first.wait_for(timeout=10_000)
    answer = page.locator("[data-testid=chat-log] [data-testid=chat-message][data-author=host]",
                          has_text=LINK1_PRICE)
    await answer.first.wait_for(timeout=30_000)
    text = await answer.first.inner_text()
    assert "1号链接" in text and TEST_CATALOG["products"][0]["name"] in text
    assert await answer.first.get_attribute("data-kind") == "answer"


async def test_a_console_takeover_is_spoken_next_and_audited(demo, browser) -> None:
    viewer = await open_viewer(browser, demo)
    page = await new_page(browser)
    await page.goto(demo.url + "/console")
    await page.wait_for_function("document.getElementById('show-pill').textContent === 'ON AIR'", timeout=20_000)
    await viewer.wait_for_function("window.livehub.captions.some((c) => c.text)", timeout=30_000)  # pitching
    await page.fill("[data-testid=takeover-input]", TAKEOVER)
    await page.click("[data-testid=takeover-send]")
    entry = await wait_for(lambda: audit_entry(demo, "takeover", text=TAKEOVER), timeout=10, interval=0.1)
    assert entry["actor"] == "operator" and entry["detail"]["said"] == TAKEOVER
    await viewer.wait_for_function(f"window.livehub.captions.some((c) => c.text === {TAKEOVER!r})",
                                   timeout=15_000)
    # Captions carry the hub's clock (time.time(), like the audit entry). From the moment the takeover
    # was accepted, the first sentence heard must be the takeover; a sentence starting within the
    # 300 ms an urgent line may take to cut in is tolerated.
    accepted = entry["ts"]
    captions = await viewer.evaluate("window.livehub.captions")
    heard = [(c["ts"] - accepted, c["text"]) for c in captions if c["ts"] > accepted and c["text"]]
    first = next((text for delay, text in heard if delay > URGENT_S or text == TAKEOVER), None)
    assert first == TAKEOVER, f"heard after the takeover was accepted (s, sentence): {heard}"
    takeover = viewer.locator("[data-testid=chat-message][data-author=host][data-kind=takeover]", has_text=TAKEOVER)
    await takeover.first.wait_for(timeout=10_000)
    await page.locator("[data-testid=audit-entry][data-action=takeover]").first.wait_for(timeout=10_000)


async def test_switching_the_product_and_pausing_from_the_console_are_audited(demo, browser) -> None:
    viewer = await open_viewer(browser, demo)
    page = await new_page(browser)
    await page.goto(demo.url + "/console")
    await page.wait_for_function("document.getElementById('show-pill').textContent === 'ON AIR'", timeout=20_000)
    await page.wait_for_function("document.querySelectorAll('[data-testid=stage-select] option').length > 3",
                                 timeout=10_000)
    mug = TEST_CATALOG["products"][1]["sku"]
    await page.select_option("[data-testid=stage-select]", mug)
    await wait_for(lambda: demo.get("/api/v1/rooms/main/state")["stage_sku"] == mug, timeout=10, interval=0.1)
    assert await wait_for(lambda: audit_entry(demo, "stage", sku=mug), timeout=5, interval=0.1)
    await viewer.locator(f".product.on-stage[data-sku='{mug}']").wait_for(timeout=10_000)

    await page.wait_for_function("!document.querySelector('[data-testid=pause-button]').disabled", timeout=10_000)
    await page.click("[data-testid=pause-button]")
    await wait_for(lambda: demo.get("/api/v1/rooms/main/state")["paused"], timeout=10, interval=0.1)
    assert await wait_for(lambda: audit_entry(demo, "pause"), timeout=5, interval=0.1)
    await page.wait_for_function("document.getElementById('show-pill').textContent === 'PAUSED'", timeout=10_000)

    await page.click("[data-testid=resume-button]")
    await wait_for(lambda: not demo.get("/api/v1/rooms/main/state")["paused"], timeout=10, interval=0.1)
    assert await wait_for(lambda: audit_entry(demo, "resume"), timeout=5, interval=0.1)
    for action in ("stage", "pause", "resume"):
        await page.locator(f"[data-testid=audit-entry][data-action={action}]").first.wait_for(timeout=10_000)


async def test_an_order_shows_in_the_console_s_sales_panel(demo, browser) -> None:
    import aiohttp

    page = await new_page(browser)
    await page.goto(demo.url + "/console")
    order = {"type": "order", "platform": "douyin", "room": "main", "message_id": "e2e-order-1",
             "user": {"id": "buyer-1", "name": "小红"}, "order_id": "e2e-1",
             "sku": TEST_CATALOG["products"][0]["sku"], "qty": 2, "amount": "336.00", "currency": "CNY"}
    async with aiohttp.ClientSession() as http, http.post(demo.url + "/api/v1/events", json=order) as response:
        assert response.status == 202, await response.text()
    await page.locator("[data-testid=sales-line]", has_text="小红").first.wait_for(timeout=10_000)
    assert await page.text_content("[data-testid=sales-gmv]") == "CNY 336.00"
    assert await page.text_content("[data-testid=sales-units]") == "2"


BLOCK_AUTOPLAY = """(() => {
  // Like a browser that holds sound back until the viewer touches the page.
  addEventListener("pointerdown", () => { window.touched = true; }, true);
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    if (!this.muted && !window.touched) return Promise.reject(new DOMException("no gesture", "NotAllowedError"));
    return play.call(this);
  };
})()"""


async def test_a_browser_that_blocks_sound_gets_a_tap_for_sound_button(demo, browser) -> None:
    page = await new_page(browser)
    await page.add_init_script(BLOCK_AUTOPLAY)
    await page.goto(demo.url + "/")
    await page.wait_for_function("window.livehub && window.livehub.state === 'connected'", timeout=30_000)
    await page.locator("#unmute").wait_for(state="visible", timeout=10_000)
    assert await page.evaluate("window.livehub.video.muted")
    await page.wait_for_function(f"({FRAMES})() > 10", timeout=30_000)  # the picture plays meanwhile
    await page.click("#unmute")
    await page.locator("#unmute").wait_for(state="hidden", timeout=10_000)
    assert await page.evaluate("!window.livehub.video.muted && !window.livehub.video.paused")
