"""Shared interfaces: what one plugin offers others, so that no plugin imports another's modules.

A provider implements an interface (explicitly subclassing it is the clearest way), declares it in
``livehub_plugin_dependencies`` (``provides=("AnswerQueue",)``), puts its object in the hub's slots at
startup and takes it out at shutdown::

    hub.slots.provide(AnswerQueue, service)        # livehub_startup
    hub.slots.discard(AnswerQueue, service)        # livehub_shutdown

A consumer declares it (``requires=`` when it cannot work without it, ``after=`` when it can) and finds it
in the slots: ``hub.slots.require(AnswerQueue)`` raises :class:`hub.slots.MissingSlot` naming the plugin
that provides it (``provided_by``); ``hub.slots.get(AnswerQueue)`` returns None.

Rooms are named by their hub room name (``hub.rooms[name]``). The records listeners receive are
:mod:`hub.decisions`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from hub.answer_chain import AnswerChain
    from hub.clock import Clock
    from hub.decisions import Decision, Question, ReplyRecord
    from hub.events import Event

__all__ = ["AnswerQueue", "EventStore", "ShowControl", "SpeechEstimator"]

SpeechEstimator = Callable[[str, str], float]
"""``estimator(text, locale)`` → seconds the configured voice takes to say ``text``."""


class AnswerQueue(Protocol):
    """The rooms' answering: the queue of viewer questions and thank-yous each room's voice works off.

    Per room (by name; a room that has seen no event yet has an empty queue and zero counters):

    * :meth:`queue_view` — the pending items, in the order the voice would take them: ``{id, kind,
      intent, sku, text, author, askers, waiting_s, approved}`` (``text``: the first viewer's comment, for
      the operator's eyes only); :meth:`queue_item` one of them;
    * :meth:`approve` (say it next, on the voice) and :meth:`skip` (drop it, decided ``dropped``,
      ``operator_skip``): False when no such item is pending;
    * :meth:`counters` — ``{comments, answered, aggregated, dropped, blocked}`` so far;
    * :meth:`stage_sku` — the product the answers currently take as "this one";
    * :meth:`voice_waiting` — an answer is being written for the voice or is ready for it (a show's
      pitch waits meanwhile, so answers go between its sentences).

    For every room: :meth:`use_speech_estimator` paces the voice on real durations; ``on_decision`` and
    ``on_reply`` listeners (``listener(room, record)``, added before the first event) see every
    :class:`~hub.decisions.Decision` and :class:`~hub.decisions.ReplyRecord`, ``on_question`` listeners every
    :class:`~hub.decisions.Question` (a viewer's question with its intent and product). A rehearsal (``livehub
    replay``) swaps the clock and the answer chain before the first event, and waits for :attr:`idle`.
    """

    provided_by: ClassVar[str] = "triage"

    on_decision: list[Callable[[str, Decision], None]]
    on_reply: list[Callable[[str, ReplyRecord], None]]
    on_question: list[Callable[[str, Question], None]]
    speech_estimator: SpeechEstimator | None

    # -- a room's queue, for the operator and the show ------------------------------------------

    def queue_view(self, room: str) -> list[dict[str, Any]]: ...

    def queue_item(self, room: str, item_id: str) -> dict[str, Any] | None: ...

    def approve(self, room: str, item_id: str) -> bool: ...

    def skip(self, room: str, item_id: str) -> bool: ...

    def counters(self, room: str) -> dict[str, int]: ...

    def stage_sku(self, room: str) -> str | None: ...

    def voice_waiting(self, room: str) -> bool: ...

    # -- every room ------------------------------------------------------------------------------

    def use_speech_estimator(self, estimator: SpeechEstimator | None) -> None: ...

    def use_clock(self, clock: Clock) -> None: ...

    def use_chain(self, chain: AnswerChain) -> None: ...

    @property
    def idle(self) -> bool:
        """Nothing queued, written or being said in any room, and no event waiting to be taken."""
        ...

    @property
    def waiting_events(self) -> int:
        """Events delivered but not taken in yet (a simulated clock must not run ahead of them)."""
        ...

    @property
    def llm_calls(self) -> int: ...

    @property
    def llm_calls_by_intent(self) -> dict[str, int]: ...


class EventStore(Protocol):
    """Where accepted events are stored: lets a publisher acknowledge only what is stored.

    :meth:`stored` returns once every event published on the bus before the call is written to the
    database (committed: it survives ``kill -9`` of the hub) or refused by it. It returns those of
    ``events`` the database refused (normally none: the event API refuses what the database would).
    Raises :class:`TimeoutError` after ``timeout`` seconds (the database is down; the events stay queued
    and are written once it is back) and :class:`hub.bus.BusClosed` when the hub stopped first.
    Waiters are answered a batch at a time (group commit), so many concurrent publishers cost one commit.
    """

    provided_by: ClassVar[str] = "recorder"

    async def stored(self, events: Sequence[Event] = (), timeout: float | None = None) -> list[Event]: ...


class ShowControl(Protocol):
    """Shows on rooms: define a show from its rundown, put a room on air, start and stop shows.

    :meth:`parse_show` validates a rundown given as data (the TOML/JSON shape of ``docs/live-room.md``)
    and raises :class:`ValueError` listing every problem; :meth:`define_show` saves it (True when new).
    :meth:`open_room` puts a room on air (media and voice) without a show; :meth:`start_show` starts a
    defined show (by name or parsed) on a room, opening it if needed; :meth:`show_on` names the show
    running on a room (None when none); :meth:`rundown` reads a defined show (its ``segments`` each have a
    ``sku`` and ``minutes``; a LookupError-like error with status 404 when there is none).
    """

    provided_by: ClassVar[str] = "show_runner"

    def parse_show(self, data: Mapping[str, Any], source: str = "api") -> Any: ...

    async def rundown(self, show: Any) -> Any: ...

    async def define_show(self, show: Any) -> bool: ...

    async def open_room(self, room: str) -> Any: ...

    def show_on(self, room: str) -> str | None: ...

    async def start_show(self, room: str | None, show: Any, *, duration_min: float | None = None,
                         actor: str = "operator") -> Any: ...

    async def stop_show(self, room: str, *, actor: str = "operator", reason: str = "stopped") -> bool: ...
