"""The queue: weights, per-viewer fairness, ageing, expiry, limits; and aggregation keys."""

from __future__ import annotations

from plugins.triage.aggregate import Aggregator, ReplyRef, question_key
from plugins.triage.normalize import normalize
from plugins.triage.queue import Ask, AskQueue, Item
from plugins.triage.settings import TriageSettings


def item(intent: str, viewer: str, at: float, *, sku: str = "A", expiry: float = 20.0, kind: str = "answer",
         text: str = "q") -> Item:
    ask = Ask(f"{viewer}-{intent}-{at}-{sku}", viewer, viewer, at, at + expiry, normalize(text))
    return Item(("answer", intent, sku, viewer, str(at)), kind, intent, "zh-CN", sku, asks=[ask])


def test_buyer_questions_outrank_details_and_chit_chat() -> None:
    queue = AskQueue(TriageSettings())
    for it in (item("chitchat", "a", 0), item("spec", "b", 0), item("price", "c", 0), item("greeting", "d", 0)):
        queue.push(it, 0)
    assert [i.intent for _, i in queue.ranked(0)] == ["price", "spec", "greeting", "chitchat"]


def test_one_viewers_questions_do_not_starve_the_others() -> None:
    queue = AskQueue(TriageSettings())
    for n in range(3):
        queue.push(item("price", "eager", 0, sku=f"P{n}"), 0)
    queue.push(item("stock", "quiet", 1), 1)
    order = [i.head.viewer for _, i in queue.ranked(1)]
    # the eager viewer's first question, then the other viewer's, then the rest of the eager one's
    assert order == ["eager", "quiet", "eager", "eager"]


def test_a_viewer_just_answered_waits_behind_someone_new() -> None:
    queue = AskQueue(TriageSettings())
    queue.served({"regular"}, 0)
    queue.push(item("price", "regular", 1), 1)
    queue.push(item("price", "newcomer", 2), 2)
    assert queue.best(2).head.viewer == "newcomer"
    # the memory of an answer fades after the fairness window
    assert queue.best(2 + TriageSettings().fairness_window_s).head.viewer == "regular"


def test_ageing_lets_a_patient_question_overtake_a_fresh_one() -> None:
    settings = TriageSettings(expiry_s={"spec": 100})
    queue = AskQueue(settings)
    queue.push(item("spec", "a", 0, expiry=100), 0)
    queue.push(item("price", "b", 5), 5)
    assert queue.best(5).intent == "price"
    later = AskQueue(settings)
    later.push(item("spec", "a", 0, expiry=100), 0)
    later.push(item("price", "b", 24), 24)  # the spec question has waited 24 s: 7 + 0.3*24 > 10
    assert later.best(24).intent == "spec"


def test_many_askers_raise_an_item() -> None:
    queue = AskQueue(TriageSettings())
    popular = item("spec", "a", 0)
    popular.asks += [Ask(f"x{n}", f"v{n}", "", 0, 20, None) for n in range(7)]
    queue.push(popular, 0)
    queue.push(item("price", "b", 0), 0)
    assert queue.best(0) is popular  # 7 + 2*log2(8) = 13 > 10


def test_expired_asks_leave_and_empty_items_vanish() -> None:
    queue = AskQueue(TriageSettings())
    shared = item("price", "a", 0)
    shared.asks.append(Ask("late", "b", "", 10, 30, None))
    queue.push(shared, 0)
    queue.push(item("chitchat", "c", 0, expiry=15), 0)
    expired = queue.expire(20)
    assert sorted(a.event_id for _, a in expired) == ["a-price-0-A", "c-chitchat-0-A"]
    assert queue.items == [shared] and [a.event_id for a in shared.asks] == ["late"]
    assert queue.next_expiry() == 30
    assert queue.best(31) is not None  # expiry happens in expire(); best() never revives asks
    queue.expire(31)
    assert not queue.items


def test_viewer_limit_and_overflow() -> None:
    queue = AskQueue(TriageSettings(max_pending=3, max_pending_per_viewer=2))
    assert queue.push(item("price", "a", 0, sku="1"), 0) == []
    assert queue.push(item("price", "a", 0, sku="2"), 0) == []
    refused = queue.push(item("price", "a", 0, sku="3"), 0)
    assert [(i.sku, why) for i, why in refused] == [("3", "viewer_limit")]
    queue.push(item("chitchat", "b", 0), 0)
    dropped = queue.push(item("stock", "c", 0), 0)
    assert [(i.intent, why) for i, why in dropped] == [("chitchat", "overflow")]


def test_thanks_never_age_above_questions() -> None:
    queue = AskQueue(TriageSettings())
    thanks = Item(("thanks", "gift", "zh-CN"), "thanks", "gift", "zh-CN", asks=[Ask("g", "v", "", 0, 90, None)])
    queue.push(thanks, 0)
    queue.push(item("chitchat", "a", 59, expiry=90), 59)
    assert queue.best(60).kind == "thanks"  # a gift beats chit-chat
    queue.push(item("spec", "b", 60), 60)
    assert queue.best(60).intent == "spec"  # ...but not a real question, however long it waited


def test_aggregation_keys() -> None:
    q = normalize
    assert question_key("price", "A", "zh-CN", q("1号多少钱"), "u1") == question_key("price", "A", "zh-CN", q("几块"), "u2")
    assert question_key("price", "A", "zh-CN", q("多少钱"), "u1") != question_key("price", "B", "zh-CN", q("多少钱"), "u1")
    assert question_key("price", "A", "zh-CN", q("多少钱"), "u1") != question_key("price", "A", "en", q("price"), "u1")
    assert question_key("shipping", "A", "zh-CN", q("包邮吗"), "u1") == question_key("shipping", None, "zh-CN", q("几天到"), "u2")
    assert question_key("spec", "A", "zh-CN", q("多大"), "u1") != question_key("spec", "A", "zh-CN", q("什么材质"), "u1")
    assert question_key("complaint", "A", "zh-CN", q("坏了"), "u1") != question_key("complaint", "A", "zh-CN", q("坏了"), "u2")


def test_a_repeat_soon_after_the_answer_joins_that_answer() -> None:
    aggregator = Aggregator(recent_s=15)
    it = item("price", "a", 0)
    aggregator.track(it)
    assert aggregator.open_item(it.key) is it
    aggregator.close(it, ReplyRef("reply-1", 0, ends_at=10))
    assert aggregator.open_item(it.key) is None
    assert aggregator.recent(it.key, 24).reply_id == "reply-1"
    assert aggregator.recent(it.key, 26) is None


def test_a_chat_answer_counts_only_for_the_platforms_it_was_posted_to() -> None:
    aggregator = Aggregator(recent_s=15)
    chat = item("price", "a", 0)
    aggregator.track(chat)
    aggregator.close(chat, ReplyRef("reply-1", 0, ends_at=10, platforms=frozenset({"douyin"})))
    assert aggregator.recent(chat.key, 12, "douyin").reply_id == "reply-1"
    assert aggregator.recent(chat.key, 12, "acme") is None and aggregator.recent(chat.key, 12, "") is None
    voice = item("price", "a", 0)  # the same question, later answered on voice
    aggregator.track(voice)
    aggregator.close(voice, ReplyRef("reply-2", 1, ends_at=11))  # heard on every platform
    assert aggregator.recent(chat.key, 12, "acme").reply_id == "reply-2"
    aggregator.prune(40)
    assert aggregator.recent(chat.key, 40, "douyin") is None
