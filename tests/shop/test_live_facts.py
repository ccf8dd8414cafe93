"""A shop's change reaches what the host says and what the card shows: the next answer after a price
webhook states the new price, the card is drawn again with it, and a sell-out stops "in stock" at once."""

from __future__ import annotations

import numpy as np

from hub.events import Reply
from hub.media.scene import SceneDrawer
from hub.review import ReviewContext, review_output
from hub.testing import collect, comment, feed, running_hub, wait_for
from plugins.scene_studio.compositor import Compositor
from tests.shop.test_catalog_connector import Plugin, config, post, product, ready, signed


def answer_to(events: list, user: str) -> Reply | None:
    return next((e for e in events if isinstance(e, Reply) and any(a.user.id == user for a in e.askers)), None)


async def test_a_price_change_is_in_the_next_answer_and_on_the_card(tmp_path):
    async with running_hub(plugins=[("memory", Plugin())], config=config(tmp_path)) as hub:
        shop = await ready(hub)
        drawer = SceneDrawer(None, Compositor((320, 180), 25), (320, 180), lambda: hub.catalog("main"), locale="en")
        before = drawer.scene.draw(drawer._scene(None, "P1", "", None, None, None))
        with collect(hub, types={"reply"}) as replies:
            await feed(hub, comment("how much is link 1?", user="u1", room="main"))
            first = await wait_for(lambda: answer_to(replies, "u1"), timeout=30)
            assert "10" in first.text, first.text
            headers, body = signed("product", product(1, price="7.00", at=100.0), delivery="price", at=100.0)
            assert (await post(hub, "shop", headers, body))[0] == 200
            await wait_for(lambda: hub.catalog("main").by_sku("P1").variants[0].price == 7, timeout=10)
            await feed(hub, comment("and the price of link 1 now?", user="u2", room="main"))
            second = await wait_for(lambda: answer_to(replies, "u2"), timeout=30)
        assert "7" in second.text and "10" not in second.text, second.text
        scene = drawer._scene(None, "P1", "", None, None, None)
        assert scene.product.current_price == 7
        after = drawer.scene.draw(scene)
        assert np.any(before != after)  # the card was drawn again, with the new price
        assert shop.events.latencies  # webhook → new catalog, measured


async def test_a_sell_out_stops_in_stock_lines_at_once(tmp_path):
    async with running_hub(plugins=[("memory", Plugin())], config=config(tmp_path)) as hub:
        await ready(hub)
        context = ReviewContext(channel="voice", kind="answer", locale="en", room="main", stage_sku="P2")
        assert not (await review_output(hub, "Link 2 is in stock, order now.", context)).blocked
        item = product(2, at=100.0)
        for variant in item["variants"]:
            variant["stock"] = 0
        headers, body = signed("product", item, delivery="gone", at=100.0)
        await post(hub, "shop", headers, body)
        await wait_for(lambda: hub.catalog("main").by_sku("P2").stock == 0, timeout=10)
        outcome = await review_output(hub, "Link 2 is in stock, order now.", context)
        assert outcome.blocked or not outcome.text
