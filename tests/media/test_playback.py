"""The sample-accurate core of the timeline: audio slices, gapless joins, mouth, captions, card, cuts."""

from __future__ import annotations

import numpy as np
import pytest

from hub.media.frames import SAMPLE_RATE, TimingEvent, Utterance
from hub.media.playback import Line, Playback, plain_text

from .helpers import ToneVoice, tone

FPS = 25
SPF = SAMPLE_RATE // FPS


def ramp_mouth(utterance: Utterance, fps: int) -> list[float]:
    """A recognisable mouth track: frame k of the utterance opens k / 100."""
    frames = int(np.ceil(utterance.duration * fps))
    return [k / 100 for k in range(frames)]


def play_all(playback: Playback, start: int = 0, limit: int = 10_000) -> list:
    states, index = [], start
    while not playback.idle and index < start + limit:
        states.append(playback.step(index))
        index += 1
    return states


def test_every_frame_carries_exactly_its_slice_and_sentences_join_without_a_gap() -> None:
    voice = ToneVoice(seconds_per_char=0.0517)
    first, second = voice.utterance("一二三四五六七"), voice.utterance("八九十一二")
    assert first.audio.size % SPF and second.audio.size % SPF  # both end in the middle of a frame
    playback = Playback(FPS, ramp_mouth)
    line = Line("x")
    playback.add(line, first)
    playback.add(line, second)
    playback.end_line(line)
    states = play_all(playback)
    assert all(s.audio.size == SPF and s.audio.dtype == np.int16 for s in states)
    heard = np.concatenate([s.audio for s in states])
    expected = np.concatenate([first.audio, second.audio])
    assert np.array_equal(heard[:expected.size], expected)  # sample for sample, no gap at the join
    assert not heard[expected.size:].any()  # only the last frame is padded, with silence
    assert len(states) == -(-expected.size // SPF)
    assert line.state == "spoken" and line.first_frame == 0 and line.last_frame == len(states) - 1


def test_mouth_caption_and_progress_follow_the_sentence_being_heard() -> None:
    voice = ToneVoice()
    first, second = voice.utterance("欢迎来到直播间。"), voice.utterance("今天有好物。")
    playback = Playback(FPS, ramp_mouth)
    line = Line("x")
    playback.add(line, first)
    playback.add(line, second)
    states = play_all(playback)
    first_frames = first.audio.size // SPF
    assert [s.mouth for s in states[:5]] == [0.0, 0.01, 0.02, 0.03, 0.04]
    assert {s.caption for s in states[:first_frames]} == {"欢迎来到直播间。"}
    assert states[-1].caption == "今天有好物。"
    assert states[first_frames + 2].mouth == pytest.approx(0.02)  # the second sentence's own track
    progress = [s.caption_progress for s in states[:first_frames]]
    assert progress == sorted(progress) and progress[0] < 0.3 and progress[-1] == pytest.approx(1.0)
    assert all(s.speaking for s in states)


def test_silence_idles_and_the_caption_is_taken_down_after_a_hold() -> None:
    playback = Playback(FPS, ramp_mouth)
    line = Line("x", comment=("阿明", "多少钱"))
    playback.add(line, Utterance(text="好的", audio=tone(0.2)))
    playback.end_line(line)
    states = [playback.step(i) for i in range(FPS * 10)]
    spoken = [s for s in states if s.speaking]
    assert len(spoken) == 5 and spoken[0].comment == ("阿明", "多少钱")
    assert states[10].caption == "好的"  # held for a moment after the speech
    assert states[-1].caption == "" and states[-1].comment is None
    assert all(s.mouth == 0.0 and not s.audio.any() for s in states[5:])
    assert any(s.blink > 0.5 for s in states)  # the host blinks while idle
    breaths = [s.breath for s in states]
    assert max(breaths) > 0.9 and min(breaths) < -0.9


def test_a_pinned_comment_shows_except_while_a_line_answers_another() -> None:
    playback = Playback(FPS, ramp_mouth)
    playback.pinned = ("小红", "有优惠吗")
    assert playback.step(0).comment == ("小红", "有优惠吗")
    line = Line("x", comment=("阿明", "多少钱"))
    playback.add(line, Utterance(text="好的", audio=tone(0.2)))
    assert playback.step(1).comment == ("阿明", "多少钱")
    assert [playback.step(i).comment for i in range(2, 60)][-1] == ("小红", "有优惠吗")


def test_the_card_switches_when_the_line_starts_and_at_a_mark() -> None:
    playback = Playback(FPS, ramp_mouth)
    playback.set_product("A")
    line = Line("x", sku="B")
    marked = Utterance(text="看这款", audio=tone(1.0),
                       timing=[TimingEvent("mark", 0.5, 0.5, "sku:C")])
    playback.add(line, marked)
    states = play_all(playback)
    assert [s.sku for s in states[:12]] == ["B"] * 12
    assert states[12].sku == "C" and states[-1].sku == "C"  # 0.5 s = frame 12.5: switched in frame 12


def test_cut_drops_buffered_audio_and_can_keep_lines_not_heard_yet() -> None:
    playback = Playback(FPS, ramp_mouth)
    heard, waiting = Line("heard"), Line("waiting")
    playback.add(heard, Utterance(text="一", audio=tone(1.0)))
    playback.add(waiting, Utterance(text="二", audio=tone(1.0)))
    for index in range(5):
        playback.step(index)
    kept = playback.cut(keep_unheard=True)
    assert kept == [waiting] and waiting.state == "queued"
    after = playback.step(5)
    assert heard.state == "cut" and heard.last_frame == 4 and after.finished == [heard]
    assert not after.audio.any() and not after.speaking
    playback.add(waiting, Utterance(text="二", audio=tone(1.0)))
    assert playback.cut() == [] and waiting.state == "cut"


def test_a_line_with_nothing_buffered_ends_at_once() -> None:
    playback = Playback(FPS, ramp_mouth)
    line = Line("x")
    playback.end_line(line, "failed")
    assert playback.step(0).finished == [line] and line.state == "failed"


def test_plain_text_strips_marks_and_tags() -> None:
    assert plain_text("看{{mark:sku:A1}}这款 <break/> 好物") == "看这款 好物"
