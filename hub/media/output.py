"""Output backends: where a room's frames go (an RTMP ingest, a file, browsers), and their supervisor.

A backend implements ONE method, :meth:`OutputBackend._run`: consume frames until done, calling
:meth:`OutputBackend.set_live` once the far end takes them. Everything else lives here: each attempt gets
a fresh subscription to the timeline, a retryable error (the ingest refused or dropped the connection)
is retried with capped, jittered backoff while the timeline goes on without it, every state change is a
``stream_state`` event, and frames, reconnects and state are metrics.

States: ``starting`` → ``live`` ⇄ ``retrying`` → ``stopped``, or ``failed`` (an error retrying cannot
fix, e.g. a bad setting). Errors are shown through :meth:`OutputBackend.mask`, so a stream key in a URL
never reaches a log line, an event or the status API.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from hub.config import format_validation_error
from hub.connector import Backoff
from hub.errors import BackendError, ConfigError
from hub.events import HUB_PLATFORM, StreamState
from hub.media.frames import MediaFrame
from hub.secrets import MASK

if TYPE_CHECKING:
    from hub.media.timeline import RoomTimeline

log = logging.getLogger("livehub.media.output")

STARTING, LIVE, RETRYING, STOPPED, FAILED = "starting", "live", "retrying", "stopped", "failed"


def mask_url(url: str) -> str:
    """``url`` without its secrets: password and query dropped, the last path part (the stream key
    of ``rtmp://host/app/KEY``) masked. ``rtmp://h:1935/live/****``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    path = parts.path
    head, _, last = path.rpartition("/")
    if last and head:
        path = f"{head}/{MASK}"
    return urlunsplit((parts.scheme, host, path, "", ""))


def is_retryable(error: BaseException) -> bool:
    """Network and I/O trouble may pass; a wrong setting or a bug will not."""
    if isinstance(error, BackendError):
        return error.retryable
    if isinstance(error, ConfigError | NotImplementedError):
        return False
    return isinstance(error, OSError | EOFError | TimeoutError | ConnectionError)


class OutputBackend:
    """Base of every output. Subclasses set ``name`` and implement :meth:`_run`."""

    name: ClassVar[str] = ""
    backoff_base: ClassVar[float] = 1.0
    backoff_cap: ClassVar[float] = 30.0
    queue_frames: ClassVar[int] = 25
    """Frames that may wait for this output (1 s at 25 fps) before the oldest is dropped."""
    wants_video: ClassVar[bool] = True
    consumes_frames: ClassVar[bool] = True
    """False for an output that reads something else than the room's frames (a simulcast target reads
    the room's shared encoding): its ``_run`` then gets no frames and counts what it sends itself."""

    def __init__(self, settings: Any = None, hub: Any = None, *, label: str | None = None) -> None:
        self.settings = settings
        self.hub = hub
        self.label = label or self.name
        self.room = ""
        self.timeline: Any = None
        self.state = STOPPED
        self.detail = ""
        self.since = time.time()
        self.frames_sent = 0
        self.reconnects = 0
        self.attempts = 0
        self.times_live = 0
        self.task: asyncio.Task[Any] | None = None
        self._frames: Any = None  # the current attempt's subscription
        self._finishing = False

    async def _run(self, frames: AsyncIterator[MediaFrame]) -> None:
        """Send ``frames`` until they end or the far end fails; call :meth:`set_live` when it works.

        Raise OSError (or BackendError(retryable=True)) for trouble worth retrying; returning ends the
        output (state ``stopped``).
        """
        raise NotImplementedError

    def mask(self, text: str) -> str:
        """``text`` safe to show: subclasses remove their secrets (the RTMP key); the hub's redactor
        masks every configured secret as well."""
        if self.hub is not None:
            return self.hub.config.redactor.redact(text)
        return text

    def target(self) -> str:
        """Where the output sends to, safe to show (masked)."""
        return ""

    def set_live(self, detail: str = "") -> None:
        """The far end is taking frames (called by :meth:`_run`, again after each reconnect)."""
        self._set_state(LIVE, detail or self.target())

    # -- supervision ----------------------------------------------------------------------------

    def start(self, timeline: RoomTimeline, owner: Any = None) -> asyncio.Task[Any]:
        """Run this output on ``timeline`` as a task owned by ``owner`` (default: the hub)."""
        owner = owner or self.hub
        name = f"output:{timeline.room}:{self.label}"
        if owner is None:
            self.task = asyncio.get_running_loop().create_task(self.run(timeline), name=name)
        else:
            self.task = owner.create_task(self.run(timeline), name=name)
        return self.task

    async def stop(self, grace: float = 5.0) -> None:
        """Wait up to ``grace`` seconds for the task started by :meth:`start` to end (it does once the
        timeline stops: a file is then finalised), then cancel it."""
        task = self.task
        if task is None or task.done():
            return
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def finish(self, grace: float = 10.0) -> None:
        """End this output while its timeline goes on (a recording that stops with its show): its frames
        end, so :meth:`_run` returns as at the timeline's end (a file is finalised); no retry follows. Waits
        up to ``grace`` seconds, then cancels."""
        self._finishing = True
        if self._frames is not None:
            self._frames.close()
        await self.stop(grace)

    async def run(self, timeline: RoomTimeline) -> None:
        """Feed frames of ``timeline`` to :meth:`_run` until it returns or this task is cancelled."""
        self.room, self.timeline = timeline.room, timeline
        backoff = Backoff(self.backoff_base, self.backoff_cap)
        self._set_state(STARTING, self.target())
        try:
            while not self._finishing:
                subscription = timeline.frames(self.queue_frames, video=self.wants_video) \
                    if self.consumes_frames else None
                self._frames = subscription
                self.attempts += 1
                try:
                    await self._run(self._counted(subscription) if subscription is not None else _nothing())
                    self._set_state(STOPPED, "")
                    return
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    detail = self.mask(f"{type(exc).__name__}: {exc}")
                    if not is_retryable(exc):
                        self._set_state(FAILED, detail)
                        log.error("output %s of room %s failed: %s", self.label, self.room, detail)
                        return
                    if self.state == LIVE:
                        backoff.reset()
                    self.reconnects += 1
                    self._metric_reconnect()
                    self._set_state(RETRYING, detail)
                finally:
                    self._frames = None
                    if subscription is not None:
                        subscription.close()
                if not self._finishing:
                    await asyncio.sleep(backoff.next_delay())
        finally:
            if self.state not in (FAILED, STOPPED):
                self._set_state(STOPPED, "")

    async def _counted(self, frames: AsyncIterator[MediaFrame]) -> AsyncIterator[MediaFrame]:
        counter = self._frame_counter()
        async for frame in frames:
            yield frame
            self.frames_sent += 1
            if counter is not None:
                counter.inc()

    def count_frames(self, n: int = 1) -> None:
        """Count frames sent by an output that does not consume the room's frames."""
        self.frames_sent += n
        counter = self._frame_counter()
        if counter is not None:
            counter.inc(n)

    def _set_state(self, state: str, detail: str) -> None:
        if state == self.state and detail == self.detail:
            return
        old, self.state, self.detail, self.since = self.state, state, detail, time.time()
        if state == RETRYING and old != RETRYING:
            log.warning("output %s of room %s unavailable: %s", self.label, self.room, detail)
        if state == LIVE:
            self.times_live += 1
            log.info("output %s of room %s is live%s", self.label, self.room, f" ({detail})" if detail else "")
        if self.hub is None:
            return
        from prometheus_client import Gauge

        self.hub.metric(Gauge, "livehub_output_live", "1 while the output is live", ["room", "output"]) \
            .labels(self.room, self.label).set(1.0 if state == LIVE else 0.0)
        self.hub.publish_nowait(StreamState(platform=HUB_PLATFORM, room=self.room, output=self.label,
                                            state=state, detail=detail))

    def _frame_counter(self) -> Any:
        if self.hub is None:
            return None
        from prometheus_client import Counter

        return self.hub.metric(Counter, "livehub_output_frames", "Frames handed to outputs",
                               ["room", "output"]).labels(self.room, self.label)

    def _metric_reconnect(self) -> None:
        if self.hub is not None:
            from prometheus_client import Counter

            self.hub.metric(Counter, "livehub_output_reconnects", "Times an output was retried",
                            ["room", "output"]).labels(self.room, self.label).inc()

    def status(self) -> dict[str, Any]:
        return {"output": self.label, "backend": self.name, "room": self.room, "state": self.state,
                "detail": self.detail, "since": self.since, "target": self.target(),
                "frames": self.frames_sent, "reconnects": self.reconnects}


async def _nothing() -> AsyncIterator[MediaFrame]:
    return
    yield  # an async generator that yields nothing


def build_output(hub: Any, name: str, *, label: str | None = None, settings: Any = None) -> OutputBackend:
    """The output backend ``name`` built from ``[backends.output.<name>]`` (or ``settings``)."""
    entry = hub.registry.backends.get(("output", name))
    if entry is None:
        known = ", ".join(n for k, n in hub.registry.backends if k == "output") or "none"
        raise ConfigError(f"no output backend named {name!r} (known: {known})", file=hub.config.source)
    spec = entry[1]
    if settings is None:
        settings = hub.settings.backends.get(("output", name))
        if settings is None and spec.config_model is not None:
            try:
                settings = spec.config_model()
            except ValidationError as exc:  # required settings and no [backends.output.<name>] table
                raise ConfigError(format_validation_error(exc, f"backends.output.{name}"),
                                  file=hub.config.source) from None
    backend = spec.factory(settings, hub)
    if label:
        backend.label = label
    return backend


def output_from_entry(hub: Any, entry: str | dict[str, Any], *, index: int = 0,
                      where: str = "outputs") -> OutputBackend:
    """An output from a room's ``outputs`` entry: a backend name, or a table ``{type, name, <settings>}``
    whose other keys are validated by the backend's settings model (ConfigError naming ``where``); a
    table without a name is called ``<type>-<index + 1>``."""
    if isinstance(entry, str):
        return build_output(hub, entry)
    entry = dict(entry)
    kind = entry.pop("type")
    label = entry.pop("name", None) or f"{kind}-{index + 1}"
    spec_entry = hub.registry.backends.get(("output", kind))
    if spec_entry is None:
        known = ", ".join(n for k, n in hub.registry.backends if k == "output") or "none"
        raise ConfigError(f"{where}: no output backend named {kind!r} (known: {known})", file=hub.config.source)
    model = spec_entry[1].config_model
    try:
        settings = model.model_validate(entry) if model is not None else None
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, where), file=hub.config.source) from None
    return build_output(hub, kind, label=label, settings=settings)


def start_outputs(hub: Any, timeline: RoomTimeline, names: Sequence[str | dict[str, Any]], *,
                  where: str = "outputs") -> list[OutputBackend]:
    """Build and start the outputs ``names`` (backend names or target tables) on ``timeline``."""
    outputs = [output_from_entry(hub, entry, index=index, where=f"{where}[{index}]")
               for index, entry in enumerate(names)]
    for output in outputs:
        output.start(timeline)
    return outputs
