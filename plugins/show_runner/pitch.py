"""What a show says besides answers: pitch rounds, promotion countdown lines and idle fillers.

The words come from the merchant's scripted ``lines`` or from prompt templates (``prompts/<locale>/show/``:
``pitch.j2``, ``promotion.j2``, ``idle.j2``, ``sold_out.j2``, ``sales_moment.j2``; a merchant overrides any of them in
``[hub] prompts_dir``) filled with the catalog's product, so every figure is the catalog's. A generated pitch has
``variants`` versions, rotated round after round; a round is never word for word the one before it (when the template
gives the same text for the next variant, the one after is tried). Idle fillers rotate the same way. Every line is
reviewed by the caller before it is said.
"""

from __future__ import annotations

import logging
from typing import Any

import jinja2

from hub.prompts import prompt_library
from hub.sentences import SentenceSplitter
from plugins.show_runner.rundown import Segment

log = logging.getLogger("livehub.show")


def sentences_of(text: str) -> list[str]:
    """``text`` cut into speakable sentences."""
    splitter = SentenceSplitter()
    return [s for s in [*splitter.feed(text), *splitter.flush()] if s.strip()]


class PitchWriter:
    """Writes the lines of one show in ``locale`` (see the module docstring)."""

    def __init__(self, hub: Any, locale: str, room: str | None = None) -> None:
        self.hub = hub
        self.locale = locale
        self.room = room  # the room whose shop the products come from
        self.library = prompt_library(hub, room)  # its tenant's prompts first (hub/tenants.py)
        self._last_round: dict[str, str] = {}
        self._idle_turn = 0
        self._last_idle = ""
        self._warned: set[str] = set()

    def product(self, sku: str | None) -> Any:
        """The catalog's product ``sku`` (None if unknown or the catalog is not loaded yet)."""
        catalog = self.hub.catalog(self.room)
        return catalog.by_sku(sku) if catalog is not None and sku else None

    def _variables(self, product: Any) -> dict[str, Any]:
        catalog = self.hub.catalog(self.room)
        shop = catalog.shop if catalog is not None else None
        return {"product": product, "shop": shop, "currency": shop.currency if shop is not None else "CNY"}

    def _render(self, template: str, **variables: Any) -> str:
        try:
            return self.library.render(template, self.locale, **variables)
        except jinja2.TemplateError as exc:
            if template not in self._warned:
                self._warned.add(template)
                log.error("show template %s (%s) failed: %s", template, self.locale, exc)
            return ""

    def pitch_round(self, sku: str, round_index: int, segment: Segment | None = None) -> list[str]:
        """The sentences of round ``round_index`` about ``sku``: the segment's scripted lines, or a
        generated variant. Empty when the product is not in the catalog (yet)."""
        if segment is not None and segment.sku == sku and segment.lines:
            return [s for line in segment.lines for s in sentences_of(line)]
        product = self.product(sku)
        if product is None:
            if sku not in self._warned and self.hub.catalog(self.room) is not None:  # loaded, and not in it
                self._warned.add(sku)
                log.warning("show: no product %r in the catalog (yet); nothing to pitch", sku)
            return []
        variants = segment.variants if segment is not None else 3
        text = ""
        for attempt in range(variants):
            text = self._render("show/pitch.j2", variant=(round_index + attempt) % variants,
                                **self._variables(product))
            if text != self._last_round.get(sku):
                break
        self._last_round[sku] = text
        return sentences_of(text)

    def countdown(self, sku: str, phase: str, seconds: int) -> str:
        """A countdown line: ``phase`` "start", "remind" or "end", ``seconds`` left."""
        product = self.product(sku)
        if product is None:
            return ""
        return self._render("show/promotion.j2", phase=phase, seconds=seconds, **self._variables(product))

    def sold_out(self, sku: str) -> str:
        """The line that says ``sku`` just sold out."""
        product = self.product(sku)
        if product is None:
            return ""
        return self._render("show/sold_out.j2", **self._variables(product)).strip()

    def sales_moment(self, units: int, sku: str | None, window_s: float) -> str:
        """The line that says ``units`` sold in the last ``window_s`` seconds (``sku`` sold most)."""
        product = self.product(sku)
        return self._render("show/sales_moment.j2", units=units, minutes=max(1, round(window_s / 60)),
                            **self._variables(product)).strip()

    def idle(self, sku: str | None) -> str:
        """The next idle filler (never the one said just before, when there are two or more)."""
        text = self._render("show/idle.j2", **self._variables(self.product(sku)))
        fillers = [line.strip() for line in text.splitlines() if line.strip()]
        if not fillers:
            return ""
        for _ in range(len(fillers)):
            line = fillers[self._idle_turn % len(fillers)]
            self._idle_turn += 1
            if line != self._last_idle or len(fillers) == 1:
                break
        self._last_idle = line
        return line
