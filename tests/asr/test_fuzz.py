"""Fuzzing the parsers of outside input (#11 item 9): the stand-in's multipart and WAV parsers (what a client
sends) and the client's answer parsers (what a server sends). Each returns a usable result or raises its
own error; nothing else escapes, and well-formed input round-trips exactly."""

from __future__ import annotations

import json
import math
import struct

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from plugins.asr_openai.client import TranscriptionError, TranscriptionResult, error_message, parse_result
from plugins.asr_openai.forms import FormError, Part, WavError, parse_multipart, parse_wav
from tests.security.fuzzing import BYTES, TEXT, VALUE, dumps, encode, fuzz

BOUNDARY = "----LiveHubBoundary7MA4YWxk"
NAMES = st.text(st.characters(blacklist_characters='"\\\r\n', blacklist_categories=("Cs", "Cc")),
                min_size=1, max_size=12)
CONTENT_TYPES = (st.sampled_from([f"multipart/form-data; boundary={BOUNDARY}", f'multipart/form-data; boundary="{BOUNDARY}"',
                                  "multipart/form-data", "multipart/form-data; boundary=", "application/json", "",
                                  "multipart/form-data; boundary=" + "x" * 80])
                 | TEXT.map(lambda t: "multipart/form-data; boundary=" + t.replace("\r", "").replace("\n", "")))


def encode_form(fields: dict[str, Part]) -> bytes:
    """A multipart/form-data body as clients write it (boundary :data:`BOUNDARY`)."""
    out = b""
    for part in fields.values():
        disposition = f'form-data; name="{part.name}"'
        if part.filename is not None:
            disposition += f'; filename="{part.filename}"'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if part.content_type is not None:
            out += f"Content-Type: {part.content_type}\r\n".encode()
        out += b"\r\n" + part.data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


PARTS = st.builds(Part, NAMES, BYTES.filter(lambda b: BOUNDARY.encode() not in b),
                  st.none() | NAMES, st.none() | st.sampled_from(["audio/wav", "text/plain"]))
FORMS = st.lists(PARTS, min_size=1, max_size=4, unique_by=lambda p: p.name).map(lambda ps: {p.name: p for p in ps})


@fuzz(400)
@given(body=BYTES | FORMS.map(encode_form), content_type=CONTENT_TYPES)
def test_fuzz_multipart_takes_anything_and_refuses_cleanly(body: bytes, content_type: str) -> None:
    try:
        fields = parse_multipart(body, content_type)
    except FormError as exc:
        assert str(exc)
        return
    assert all(isinstance(name, str) and isinstance(part.data, bytes) for name, part in fields.items())


@fuzz(300)
@given(fields=FORMS, cut=st.integers(min_value=0))
def test_fuzz_well_formed_forms_round_trip_and_truncated_ones_are_refused(fields: dict[str, Part], cut: int) -> None:
    body = encode_form(fields)
    assert parse_multipart(body, f"multipart/form-data; boundary={BOUNDARY}") == fields
    cut %= len(body) - len(f"--{BOUNDARY}--\r\n") + 2  # anywhere before the closing boundary's "--"
    try:
        partial = parse_multipart(body[:cut], f"multipart/form-data; boundary={BOUNDARY}")
    except FormError:
        return
    raise AssertionError(f"a body cut at {cut} was taken: {partial}")


def wav(tag: int, channels: int, rate: int, bits: int, data: bytes, *, extra: bytes = b"") -> bytes:
    fmt = struct.pack("<HHIIHH", tag, channels, rate, (rate * channels * bits // 8) & 0xFFFFFFFF, channels * bits // 8, bits)
    chunks = extra + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


@fuzz(400)
@given(data=BYTES | BYTES.map(lambda b: b"RIFF" + struct.pack("<I", len(b)) + b"WAVE" + b)
       | BYTES.map(lambda b: b"RIFF\x00\x00\x00\x00WAVEfmt " + b))
def test_fuzz_wav_header_takes_anything_and_refuses_cleanly(data: bytes) -> None:
    try:
        rate, samples = parse_wav(data)
    except WavError as exc:
        assert str(exc)
        return
    assert 8_000 <= rate <= 192_000 and samples.dtype == np.int16 and samples.ndim == 1


@fuzz(300)
@given(tag=st.sampled_from([1, 1, 3, 6, 0xFFFE, 0]), channels=st.integers(0, 10),
       rate=st.sampled_from([0, 7_999, 8_000, 16_000, 48_000, 192_000, 2**32 - 1]), bits=st.sampled_from([8, 16, 16, 24, 32]),
       samples=st.lists(st.integers(-32768, 32767), max_size=64), extra=st.sampled_from([b"", b"LIST\x03\x00\x00\x00abc\x00"]),
       cut=st.none() | st.integers(min_value=0))
def test_fuzz_wav_headers_are_read_exactly(tag, channels, rate, bits, samples, extra, cut) -> None:
    data = np.array(samples, dtype="<i2").tobytes()
    whole = wav(tag, channels, rate, bits, data, extra=extra)
    body = whole if cut is None else whole[:cut % (len(whole) + 1)]
    good = tag == 1 and bits == 16 and 1 <= channels <= 8 and 8_000 <= rate <= 192_000
    try:
        found_rate, found = parse_wav(body)
    except WavError:
        assert not good or cut is not None
        return
    assert good
    frames = np.array(samples[:len(samples) - len(samples) % channels], dtype=np.int16).reshape(-1, channels)[:, 0]
    assert found_rate == rate and list(found) == list(frames[:found.size])
    assert cut is not None or found.size == frames.size


@fuzz(400)
@given(body=BYTES | VALUE.map(lambda v: encode(dumps(v, ascii_only=False)))
       | st.fixed_dictionaries({"text": VALUE}, optional={"language": VALUE, "duration": VALUE})
       .map(lambda d: encode(dumps(d))))
def test_fuzz_the_answer_parsers_take_anything_and_refuse_cleanly(body: bytes) -> None:
    try:
        result = parse_result(body)
    except TranscriptionError as exc:
        assert str(exc) and not exc.retryable
    else:
        assert isinstance(result, TranscriptionResult) and isinstance(result.text, str)
        assert result.language is None or isinstance(result.language, str)
        assert result.duration is None or isinstance(result.duration, float)
    message = error_message(body)
    assert isinstance(message, str) and message


@fuzz(100)
@given(text=TEXT, language=st.none() | TEXT, duration=st.none() | st.floats(allow_nan=False))
def test_fuzz_well_formed_answers_are_read_exactly(text: str, language, duration) -> None:
    body = encode(json.dumps({"text": text, "language": language, "duration": duration}, ensure_ascii=False))
    try:
        result = parse_result(body)
    except TranscriptionError:  # a lone surrogate written raw is not UTF-8: refused, as a server's bad answer
        assert any(0xD800 <= ord(c) <= 0xDFFF for c in text + (language or ""))
        return
    usable = duration is not None and math.isfinite(duration) and duration >= 0
    assert (result.text, result.language, result.duration) == (text, language or None, duration if usable else None)
