"""A disk cache of synthesised utterances: scripted pitches repeat all day, so each is synthesised once.

One ``.npz`` file per utterance (the 48 kHz PCM plus a JSON description of text, voice and timing), named
by a SHA-256 key over everything that changes the audio: backend, its version, the settings that shape
the sound, voice and text. Files are written atomically (temp file + rename), so a crash never leaves a
torn entry, and two processes sharing the folder at worst synthesise the same line twice. Reading an
entry refreshes its modification time; when the folder grows past ``max_bytes`` the least recently used
entries are deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from hub.media.frames import TimingEvent, Utterance

log = logging.getLogger("livehub.voice")

CACHE_ENV = "LIVEHUB_CACHE_DIR"
DEFAULT_CACHE_DIR = Path(".cache") / "livehub"
PRUNE_EVERY = 64
"""Check the folder's size after this many writes (listing it is not free)."""


def default_cache_dir() -> Path:
    """``$LIVEHUB_CACHE_DIR/voice`` if set, else ``.cache/livehub/voice`` under the working directory."""
    base = os.environ.get(CACHE_ENV)
    return (Path(base) if base else DEFAULT_CACHE_DIR) / "voice"


def cache_key(*parts: str) -> str:
    """A stable file-name-safe key over ``parts`` (order matters)."""
    return hashlib.sha256(json.dumps(list(parts), ensure_ascii=False).encode("utf-8")).hexdigest()


class VoiceCache:
    """Utterances on disk under ``root``, keyed by :func:`cache_key`. Blocking: call from a thread."""

    def __init__(self, root: str | Path, *, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._writes = 0

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> Utterance | None:
        """The cached utterance, or None (a missing or unreadable entry is a miss, never an error)."""
        path = self.path(key)
        try:
            with np.load(path, allow_pickle=False) as data:
                audio = data["audio"].astype(np.int16)
                meta = json.loads(str(data["meta"]))
            os.utime(path)
        except FileNotFoundError:
            return None
        except Exception as exc:  # a torn or foreign file: drop it and synthesise again
            log.warning("voice cache entry %s unreadable (%s): ignoring it", path, exc)
            path.unlink(missing_ok=True)
            return None
        timing = [TimingEvent(e["kind"], e["start"], e["end"], e["value"]) for e in meta["timing"]]
        return Utterance(text=meta["text"], audio=audio, timing=timing, voice=meta["voice"])

    def put(self, key: str, utterance: Utterance) -> None:
        """Store ``utterance`` under ``key`` atomically."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"text": utterance.text, "voice": utterance.voice,
                "timing": [{"kind": e.kind, "start": e.start, "end": e.end, "value": e.value}
                           for e in utterance.timing]}
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, audio=np.asarray(utterance.audio, dtype=np.int16),
                         meta=np.array(json.dumps(meta, ensure_ascii=False)))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._writes += 1
        if self._writes % PRUNE_EVERY == 0:
            self.prune()

    def prune(self) -> int:
        """Delete least recently used entries until the folder is under 90 % of ``max_bytes``."""
        entries = []
        for file in self.root.glob("*/*.npz"):
            try:
                st = file.stat()
            except FileNotFoundError:
                continue
            entries.append((st.st_mtime, st.st_size, file))
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return 0
        removed = 0
        for _, size, file in sorted(entries):
            if total <= self.max_bytes * 0.9:
                break
            file.unlink(missing_ok=True)
            total -= size
            removed += 1
        return removed
