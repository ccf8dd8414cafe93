"""What the guardrails keep per hub: the word-list matchers and the rendered instructions, built once.

Kept in ``hub.slots`` under :class:`GuardrailsState`, so they live exactly as long as the hub (a new hub,
or a restart, reads its word lists and prompts again). Without a hub (``hub`` None: unit tests, offline
tools) one module-wide state holds what the built-in lists and prompts give, which never change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.wordlists import TermMatcher

    from .leak import Instructions


@dataclass
class GuardrailsState:
    """Caches of one hub, per prompt scope (hub/tenants.py ``prompt_scope``: "" the hub's, or a tenant's with
    prompts of its own): output matchers per platform ('' = no platform) and instructions per locale."""

    matchers: dict[tuple[str, str], TermMatcher] = field(default_factory=dict)
    instructions: dict[tuple[str, str], Instructions] = field(default_factory=dict)


_BUILTIN = GuardrailsState()  # hub None: built-in lists, default settings and the built-in prompts only


def state_of(hub: Any) -> GuardrailsState:
    """The guardrails' state on ``hub`` (made on first use); the built-in state when ``hub`` is None."""
    if hub is None:
        return _BUILTIN
    return hub.slots.setdefault(GuardrailsState, GuardrailsState)


def reset(hub: Any) -> GuardrailsState:
    """A fresh state on ``hub`` (at startup: the word lists and prompts are read again)."""
    return hub.slots.set(GuardrailsState, GuardrailsState())
