"""Output review: every line the host says or posts passes every ``livehub_review_output`` hook.

:func:`review_output` runs the implementations in order (each sees the previous rewrite), stops at
the first block, fails closed when an implementation raises, and writes every rewrite and block to the
audit log with its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import Counter

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.catalog import Catalog


@dataclass(slots=True)
class ReviewContext:
    """What a reviewer may need to judge a line."""

    channel: str = "voice"  # voice | chat
    kind: str = "answer"  # answer | pitch | thanks | takeover | ...
    locale: str = "zh-CN"
    platform: str = ""
    room: str = ""
    source: str = ""  # what produced the line: backend name, "template", "operator"
    catalog: Catalog | None = None
    stage_sku: str | None = None
    skus: list[str] = field(default_factory=list)  # products the line is about, if known
    viewer_texts: list[str] = field(default_factory=list)  # what viewers wrote (never to be echoed raw)


@dataclass(slots=True)
class ReviewResult:
    """A reviewer's verdict: ``text`` None blocks the line; otherwise it replaces it."""

    text: str | None
    reasons: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return self.text is None


@dataclass(slots=True)
class ReviewOutcome:
    """The final result of all reviewers: the text to use (None: blocked) and every reason given."""

    text: str | None
    original: str
    reasons: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return self.text is None

    @property
    def changed(self) -> bool:
        return self.text != self.original


async def review_output(hub: Hub, text: str, context: ReviewContext) -> ReviewOutcome:
    """Run every reviewer over ``text``; audit rewrites and blocks. Never raises for a reviewer's bug."""
    outcome = ReviewOutcome(text=text, original=text)
    impls = list(reversed(hub.plugins.pm.hook.livehub_review_output.get_hookimpls()))
    for impl in impls:
        try:
            result = impl.function(**{k: {"text": outcome.text, "context": context, "hub": hub}[k]
                                      for k in impl.argnames})
        except Exception as exc:
            hub.report_error(exc, f"plugin:{impl.plugin_name}:review_output")
            result = ReviewResult(None, [f"reviewer {impl.plugin_name} failed: {type(exc).__name__}"])
        if result is None:
            continue
        outcome.reviewers.append(impl.plugin_name)
        outcome.reasons.extend(result.reasons)
        outcome.text = result.text
        if result.text is None:
            break
    label = "blocked" if outcome.blocked else ("rewritten" if outcome.changed else "passed")
    hub.metric(Counter, "livehub_review_outcomes", "Lines reviewed, by outcome", ["outcome"]).labels(label).inc()
    if label != "passed" and hub.storage is not None:
        await hub.storage.audit(
            actor=",".join(outcome.reviewers) or "review", action=f"output_{label}", target=context.room,
            detail={"channel": context.channel, "kind": context.kind, "source": context.source,
                    "original": text, "final": outcome.text, "reasons": outcome.reasons})
    return outcome
