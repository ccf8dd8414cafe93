"""The stand-in's parsers of outside input: a ``multipart/form-data`` body (RFC 7578) and a WAV file's
header (RIFF/WAVE, PCM). Both take any bytes and either answer or raise their ValueError subclass with
a reason fit for a 400 answer; they are fuzzed (``tests/asr``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from email.message import Message
from email.utils import collapse_rfc2231_value

import numpy as np

MAX_CHANNELS = 8


class FormError(ValueError):
    """Not a multipart/form-data body this server can read."""


class WavError(ValueError):
    """Not a 16-bit PCM WAV file."""


@dataclass(slots=True)
class Part:
    """One form field: its ``data``, and for a file its ``filename`` and ``content_type``."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    def text(self) -> str:
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            raise FormError(f"field {self.name!r} is not UTF-8 text") from None


def _param(header: str, value: str, name: str) -> str | None:
    message = Message()
    message[header] = value
    found = message.get_param(name, header=header)
    if found is None or isinstance(found, str):
        return found
    return str(collapse_rfc2231_value(found))


def parse_multipart(body: bytes, content_type: str) -> dict[str, Part]:
    """The fields of a ``multipart/form-data`` ``body`` (the last of a repeated name wins)."""
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        raise FormError(f"the body must be multipart/form-data, not {content_type.split(';')[0] or 'nothing'}")
    boundary = _param("content-type", content_type, "boundary")
    if not boundary or len(boundary) > 70 or not boundary.isascii():
        raise FormError("the Content-Type has no valid boundary")
    delimiter = b"--" + boundary.encode("ascii")
    start = body.find(delimiter)
    if start < 0 or (start > 0 and body[start - 2:start] != b"\r\n"):
        raise FormError("the body has no part (the boundary is not in it)")
    fields: dict[str, Part] = {}
    position = start + len(delimiter)
    while True:
        if body[position:position + 2] == b"--":
            return fields
        line_end = body.find(b"\r\n", position)
        if line_end < 0 or body[position:line_end].strip(b" \t"):
            raise FormError("a boundary line is malformed")
        end = body.find(b"\r\n" + delimiter, line_end)
        if end < 0:
            raise FormError("the body ends inside a part (no closing boundary)")
        part = _parse_part(body[line_end + 2:end])
        fields[part.name] = part
        position = end + 2 + len(delimiter)


def _parse_part(raw: bytes) -> Part:
    if raw.startswith(b"\r\n"):
        head, data = b"", raw[2:]
    else:
        split = raw.find(b"\r\n\r\n")
        if split < 0:
            raise FormError("a part has no blank line after its headers")
        head, data = raw[:split], raw[split + 4:]
    try:
        lines = head.decode("utf-8").split("\r\n") if head else []
    except UnicodeDecodeError:
        raise FormError("a part's headers are not UTF-8") from None
    headers: dict[str, str] = {}
    for line in lines:
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise FormError(f"a part has a malformed header line: {line[:60]!r}")
        headers[key.strip().lower()] = value.strip()
    disposition = headers.get("content-disposition", "")
    if disposition.split(";")[0].strip().lower() != "form-data":
        raise FormError("a part has no Content-Disposition: form-data")
    name = _param("content-disposition", disposition, "name")
    if not name:
        raise FormError("a part has no name")
    return Part(name, data, _param("content-disposition", disposition, "filename"), headers.get("content-type"))


def parse_wav(data: bytes) -> tuple[int, np.ndarray]:
    """``(sample rate, samples of the first channel as int16)`` of a 16-bit PCM WAV; WavError otherwise.

    A ``data`` chunk longer than the file (streaming writers leave its size unset) is read to the end."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError("not a WAV file (no RIFF/WAVE header)")
    fmt: tuple[int, ...] | None = None
    position = 12
    while position + 8 <= len(data):
        chunk, size = data[position:position + 4], int.from_bytes(data[position + 4:position + 8], "little")
        body = data[position + 8:position + 8 + size]
        if chunk == b"fmt ":
            if len(body) < 16:
                raise WavError("the fmt chunk is too short")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the sub-format says
                tag = int.from_bytes(body[24:26], "little")
            fmt = (tag, channels, rate, bits)
        elif chunk == b"data":
            if fmt is None:
                raise WavError("the data chunk comes before the fmt chunk")
            return _samples(body, *fmt)
        position += 8 + size + (size & 1)
    raise WavError("no fmt chunk" if fmt is None else "no data chunk")


def _samples(pcm: bytes, tag: int, channels: int, rate: int, bits: int) -> tuple[int, np.ndarray]:
    if tag != 1:
        raise WavError(f"not PCM (format tag {tag})")
    if bits != 16 or not 1 <= channels <= MAX_CHANNELS or not 8_000 <= rate <= 192_000:
        raise WavError(f"unsupported PCM: {bits}-bit, {channels} channel(s), {rate} Hz "
                       "(16-bit, 1-8 channels, 8-192 kHz)")
    frame = 2 * channels
    samples = np.frombuffer(pcm[:len(pcm) - len(pcm) % frame], dtype="<i2")
    return rate, samples.reshape(-1, channels)[:, 0].astype(np.int16)
