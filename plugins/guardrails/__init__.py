"""Guardrails: banned terms, the fact guard and injection defences on everything the host says or posts.

One ``livehub_review_output`` implementation runs the guards in turn, each on the previous one's
output: obeyed injections (:mod:`.injection`, blocks), recited instructions (:mod:`.leak`, drops the
sentence), banned terms (:mod:`.terms`), facts (:mod:`.facts`), then viewer echoes and contact details
(:mod:`.injection`). A guard that blocks stops the line. Reasons are specific ("banned term '全网最低价' (ad_law) replaced
with '很实惠的价格'", "price '99元': not the price of TEA-001 (高山乌龙茶 250g); replaced with 128
(TEA-001)"); the core writes them to the audit log.
"""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl
from hub.review import ReviewContext, ReviewResult
from hub.tenants import prompt_scope
from hub.wordlists import TermMatcher

from .facts import check_facts
from .injection import find_obeyed, strip_echoes_and_contacts
from .leak import drop_leaks, instructions_for
from .products import view_of
from .settings import GuardrailsSettings
from .state import GuardrailsState, reset, state_of
from .terms import output_matcher, rewrite_banned

PLUGIN_NAME = "guardrails"
SECTION = "guardrails"

def settings_of(hub: Any) -> GuardrailsSettings:
    found = hub.plugin_config(SECTION) if hub is not None else None
    return found if isinstance(found, GuardrailsSettings) else GuardrailsSettings()


def matcher_for(hub: Any, platform: str = "", room: str | None = None) -> TermMatcher:
    """The output matcher for ``platform`` in ``room`` on ``hub`` (built at the first line a platform speaks and
    kept in the hub's :class:`~.state.GuardrailsState`, per platform and per tenant with word lists of its own;
    ``hub`` None: built-in lists only).

    A merchant list that cannot be read is reported and skipped: the shipped lists still guard the show
    (failing here would unregister the plugin and leave no guard at all).
    """
    per_hub = state_of(hub).matchers
    key = (prompt_scope(hub.config if hub is not None else None, room), platform)
    if key not in per_hub:
        def report(error: Exception) -> None:
            if hub is not None:
                hub.report_error(error, f"plugin:{PLUGIN_NAME}:wordlists")

        per_hub[key] = output_matcher(hub, settings_of(hub), platform, room, on_error=report)
    return per_hub[key]


@hookimpl
def livehub_config_models() -> dict[str, type[GuardrailsSettings]]:
    return {SECTION: GuardrailsSettings}


@hookimpl
def livehub_startup(hub: Any) -> None:
    """Read the word lists now, so a broken merchant file fails at start and not on air."""
    reset(hub)
    matcher_for(hub)


@hookimpl
def livehub_shutdown(hub: Any) -> None:
    """Let go of the hub's matchers and instructions (a restarted hub reads its lists again)."""
    hub.slots.pop(GuardrailsState)


@hookimpl
def livehub_review_output(text: str, context: ReviewContext, hub: Any) -> ReviewResult | None:
    """Obeyed injections block first; recited instructions go next (before any guard rewrites what
    they quote); then banned terms and facts; echoes and contacts are cut last, so the fact guard still
    sees every product the line names."""
    settings = settings_of(hub)
    catalog = context.catalog if context.catalog is not None else (hub.catalog(context.room or None) if hub is not None else None)
    if settings.injection_guard:
        blocked = find_obeyed(text, free_allowed=_gifts_allowed(settings, catalog))
        if blocked:
            return ReviewResult(None, blocked)
    reasons: list[str] = []
    current: str | None = text
    if settings.leak_guard:
        current, found = drop_leaks(text, _instructions(hub, context.locale, context.room), known=_known(catalog),
                                    threshold=settings.leak_threshold)
        reasons += found
    if current is not None and settings.banned_terms:
        current, found = rewrite_banned(current, matcher_for(hub, context.platform, context.room))
        reasons += found
    if current is not None and settings.fact_guard:
        current, found = check_facts(current, context, catalog, settings.allow_free_gifts)
        reasons += found
    if current is not None and settings.injection_guard:
        current, found = strip_echoes_and_contacts(current, context.viewer_texts, known=_known(catalog),
                                                   max_quote=settings.max_viewer_quote_chars)
        reasons += found
    if current is None:
        return ReviewResult(None, reasons or ["nothing left to say after review"])
    if current == text and not reasons:
        return None
    return ReviewResult(current, reasons)


def _instructions(hub: Any, locale: str, room: str | None = None) -> list[Any]:
    """The instructions to compare with: the line's locale, and English (a model may answer in it)."""
    return [instructions_for(hub, loc, room) for loc in dict.fromkeys([locale, "en"])]


def _known(catalog: Any) -> list[str]:
    """Catalog texts the host may repeat even when a viewer wrote them first."""
    if catalog is None:
        return []
    shop = catalog.shop
    return [shop.name, shop.shipping, shop.returns] + [
        t for p in catalog.products for t in [p.name, *p.aliases, *p.selling_points, p.description]]


def _gifts_allowed(settings: GuardrailsSettings, catalog: Any) -> bool:
    return settings.allow_free_gifts and catalog is not None and view_of(catalog).offers_gifts()
