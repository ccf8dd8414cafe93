"""libespeak-ng through ctypes: synchronous synthesis returning PCM plus word, phoneme, mark and sentence
events with their audio positions. Knows nothing of the hub.

Why a library binding and not the ``espeak-ng`` command: the command gives no timing (``--pho`` needs
mbrola voices), and lip-sync needs phoneme times. The library's synth callback delivers them.

The library keeps global state and is not thread-safe, so there is ONE :class:`Espeak` per library per
process (:meth:`Espeak.shared`) and every call into the library runs on that object's single worker
thread; two backends (two rooms with different rates) share it and are serialised, never interleaved.
Voice and parameters are set before every synthesis for the same reason. Some state still carries over
inside the library: a sentence's length depends a little on what was synthesised before it ("Fourth one"
is 3 % longer right after a Mandarin sentence than after "Second sentence"), so the same request gives
the same voice and words, and lengths a few per cent apart, not the same samples.
"""

from __future__ import annotations

import ctypes
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

LIBRARY = "libespeak-ng.so.1"
APT_PACKAGE = "espeak-ng"

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_PHONEME_EVENTS = 0x0001
INITIALIZE_PHONEME_IPA = 0x0002
CHARS_UTF8 = 1
SSML = 0x10
POS_CHARACTER = 1
PARAM_RATE, PARAM_VOLUME, PARAM_PITCH = 1, 2, 3
EE_NOT_FOUND = 2

EVENT_WORD, EVENT_SENTENCE, EVENT_MARK, EVENT_END, EVENT_PHONEME = 1, 2, 3, 5, 7
EVENT_KINDS = {EVENT_WORD: "word", EVENT_SENTENCE: "sentence", EVENT_MARK: "mark", EVENT_END: "end",
               EVENT_PHONEME: "phoneme"}


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                  ctypes.POINTER(_Event))


class EspeakError(RuntimeError):
    """The library refused a call (unknown voice, bad input)."""


class EspeakMissing(OSError):
    """libespeak-ng or its data is not installed."""


@dataclass(slots=True)
class EspeakEvent:
    """One library event. ``text_position`` is 1-based, in characters of the input given to the library."""

    kind: str  # word | sentence | mark | end | phoneme
    seconds: float
    text_position: int
    length: int
    value: str  # phoneme (IPA), mark name; empty for the others


@dataclass(slots=True)
class EspeakSpeech:
    pcm: np.ndarray  # mono int16
    sample_rate: int
    events: list[EspeakEvent] = field(default_factory=list)


class _Job:
    def __init__(self, cancel: threading.Event | None) -> None:
        self.chunks: list[bytes] = []
        self.events: list[EspeakEvent] = []
        self.cancel = cancel


class Espeak:
    """The process's libespeak-ng, driven from one dedicated thread."""

    _instances: dict[str, Espeak] = {}
    _instances_lock = threading.Lock()

    @classmethod
    def shared(cls, library: str = LIBRARY) -> Espeak:
        """The one instance for ``library``; created (and the library initialised) on first use."""
        with cls._instances_lock:
            if library not in cls._instances:
                cls._instances[library] = cls(library)
            return cls._instances[library]

    def __init__(self, library: str = LIBRARY) -> None:
        try:
            self._lib = ctypes.CDLL(library)
        except OSError as exc:
            raise EspeakMissing(f"{library} could not be loaded ({exc}). Install the system package: "
                                f"apt-get install {APT_PACKAGE}") from None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="espeak")
        self._job: _Job | None = None
        self._callback = _SynthCallback(self._on_synth)  # referenced for the library's lifetime
        self.sample_rate = 0
        self.version = ""
        self._executor.submit(self._initialise).result()

    def _initialise(self) -> None:
        lib = self._lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
        lib.espeak_Info.restype = ctypes.c_char_p
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None,
                                     INITIALIZE_PHONEME_EVENTS | INITIALIZE_PHONEME_IPA)
        if rate <= 0:
            raise EspeakMissing(f"espeak-ng data not found (espeak_Initialize returned {rate}). Install the "
                                f"system package: apt-get install {APT_PACKAGE}")
        self.sample_rate = rate
        self.version = (lib.espeak_Info(None) or b"").decode("ascii", "replace")
        lib.espeak_SetSynthCallback(self._callback)

    def submit(self, text: str, *, voice: str, rate: int = 175, pitch: int = 50, volume: int = 100,
               ssml: bool = False, cancel: threading.Event | None = None) -> Future[EspeakSpeech]:
        """Queue a synthesis on the library's thread. Setting ``cancel`` stops it at the next audio chunk."""
        return self._executor.submit(self._synthesize, text, voice, rate, pitch, volume, ssml, cancel)

    def synthesize(self, text: str, **options: object) -> EspeakSpeech:
        """Blocking form of :meth:`submit`."""
        return self.submit(text, **options).result()  # type: ignore[arg-type]

    def _synthesize(self, text: str, voice: str, rate: int, pitch: int, volume: int, ssml: bool,
                    cancel: threading.Event | None) -> EspeakSpeech:
        lib = self._lib
        status = lib.espeak_SetVoiceByName(voice.encode("utf-8"))
        if status != 0:
            raise EspeakError(f"espeak-ng voice {voice!r} " +
                              ("not found" if status == EE_NOT_FOUND else f"failed (status {status})"))
        for parameter, value in ((PARAM_RATE, rate), (PARAM_PITCH, pitch), (PARAM_VOLUME, volume)):
            lib.espeak_SetParameter(parameter, int(value), 0)
        data = text.encode("utf-8") + b"\0"
        buffer = ctypes.create_string_buffer(data, len(data))
        self._job = job = _Job(cancel)
        try:
            flags = CHARS_UTF8 | (SSML if ssml else 0)
            status = lib.espeak_Synth(buffer, len(data), 0, POS_CHARACTER, 0, flags, None, None)
            lib.espeak_Synchronize()
        finally:
            self._job = None
        if cancel is not None and cancel.is_set():
            raise EspeakError("synthesis cancelled")
        if status != 0:
            raise EspeakError(f"espeak_Synth failed (status {status})")
        pcm = np.frombuffer(b"".join(job.chunks), dtype=np.int16).copy()
        return EspeakSpeech(pcm=pcm, sample_rate=self.sample_rate, events=job.events)

    def _on_synth(self, wav: ctypes._Pointer, count: int, events: ctypes._Pointer) -> int:
        """Called by the library on the worker thread with a PCM chunk and its events; 1 aborts."""
        job = self._job
        if job is None:
            return 1
        if count > 0 and wav:
            job.chunks.append(ctypes.string_at(wav, count * 2))
        index = 0
        while events[index].type != 0:
            event = events[index]
            kind = EVENT_KINDS.get(event.type)
            if kind is not None:
                if kind == "mark":
                    value = (event.id.name or b"").decode("utf-8", "replace")
                elif kind == "phoneme":
                    value = bytes(event.id.string).decode("utf-8", "ignore")
                else:
                    value = ""
                job.events.append(EspeakEvent(kind, event.audio_position / 1000.0, event.text_position,
                                              event.length, value))
            index += 1
        return 1 if job.cancel is not None and job.cancel.is_set() else 0
