"""What the room timeline says: the sentences of a line, the comment it answers, the voice it needs."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any, Protocol

from hub.media.frames import Utterance
from hub.media.playback import Line
from hub.sentences import SentenceSplitter


class VoiceChainLike(Protocol):
    """What the timeline needs of a voice chain; a chain that also has ``speak`` (yielding
    :class:`~hub.media.speech_stream.SpeechStream` objects) puts each sentence on air with its first piece."""

    def stream(self, sentences: AsyncIterable[str] | Iterable[str],
               locale: str | None = None) -> AsyncIterator[Utterance]: ...


def comment_pair(comment: Any) -> tuple[str, str] | None:
    """``(author, text)`` of a Comment event, a pair or a plain text."""
    if comment is None:
        return None
    if isinstance(comment, tuple):
        return (str(comment[0]), str(comment[1]))
    if isinstance(comment, str):
        return ("", comment)
    user = getattr(comment, "user", None)
    return (getattr(user, "name", "") or "", str(getattr(comment, "text", "")))


def split_sentences(text: str) -> list[str]:
    splitter = SentenceSplitter()
    return [s for s in [*splitter.feed(text), *splitter.flush()] if s.strip()]


async def line_sentences(line: Line) -> AsyncIterator[str]:
    """The sentences to say for ``line``: its text's, or those its feed receives while it is written."""
    if line.feed is None:
        for sentence in split_sentences(line.text):
            yield sentence
        return
    async for part in line.feed.sentences():
        for sentence in split_sentences(part):
            yield sentence
