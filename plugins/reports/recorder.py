"""The room's decisions, kept: every decision of the rooms' answering (with the question's intent, product and
asker when the event was a question) goes to ``room_decisions``, written in batches by one owned task, so the
post-show report can say what was asked, answered and dropped, and why."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any

from hub.decisions import Decision, Question
from hub.interfaces import AnswerQueue
from hub.storage.tables import room_decisions

log = logging.getLogger("livehub.reports")

FLUSH_S = 0.5
NOT_KEPT = {"stage", "stats"}  # decisions on the hub's own events, not viewers'
MAX_PENDING = 200_000


class DecisionRecorder:
    """Listens to the answering's questions and decisions; flushes them to the database twice a second."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self._questions: OrderedDict[str, Question] = OrderedDict()
        self._rows: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self.written = 0

    def start(self) -> None:
        queue = self.hub.slots.get(AnswerQueue)
        if queue is None or self.hub.storage is None:
            return
        queue.on_question.append(self._question)
        queue.on_decision.append(self._decision)
        self._task = self.hub.create_task(self._flush_loop(), name="reports:decisions")

    async def stop(self) -> None:
        queue = self.hub.slots.get(AnswerQueue)
        if queue is not None:
            for listeners, listener in ((queue.on_question, self._question), (queue.on_decision, self._decision)):
                if listener in listeners:
                    listeners.remove(listener)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
            await self.flush()

    def _question(self, _room: str, question: Question) -> None:
        self._questions[question.event_id] = question
        while len(self._questions) > 50_000:
            self._questions.popitem(last=False)

    def _decision(self, room: str, decision: Decision) -> None:
        if decision.reason in NOT_KEPT or len(self._rows) >= MAX_PENDING:
            return
        q = self._questions.pop(decision.event_id, None)
        user = q.user.id if q is not None else ""
        asker = (user if user.startswith(f"{q.platform}:") else f"{q.platform}:{user}") if q is not None else None
        self._rows.append({"room": room, "event_id": decision.event_id, "outcome": decision.outcome,
                           "reason": decision.reason[:200], "intent": q.intent if q else None,
                           "sku": q.sku if q else None, "asker": asker, "ts": time.time()})

    async def flush(self) -> None:
        rows, self._rows = self._rows, []
        if not rows:
            return
        try:
            async with self.hub.storage.engine.begin() as conn:
                await conn.execute(room_decisions.insert(), rows)
            self.written += len(rows)
        except Exception as exc:  # noqa: BLE001 - the database is away: the next flush tries them again
            log.warning("reports: %d room decisions not stored yet: %s", len(rows), exc)
            self._rows = rows + self._rows

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_S)
            await self.flush()
