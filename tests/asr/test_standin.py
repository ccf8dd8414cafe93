"""The ``openai-asr`` stand-in: registered like every stand-in, refuses what the real server refuses (with
OpenAI's error body), driven and read through the shared control API, and prints a config that works."""

from __future__ import annotations

import tomllib

import aiohttp
import pytest
from click.testing import CliRunner

from hub.asr import ASR_RATE, build_asr, wav_bytes
from hub.builtin.standin_cli import standin
from hub.standin_control import StandinError, create_standin
from hub.testing import running_hub
from plugins.asr_openai.backend import OpenAIAsrBackend
from plugins.asr_openai.standin import MAX_FILE, AsrStandIn
from tests.asr.audio import speech

WAV = wav_bytes(speech(0.2, ASR_RATE), ASR_RATE)


def form(**fields: str | bytes) -> aiohttp.FormData:
    data = aiohttp.FormData(default_to_multipart=True)
    for name, value in fields.items():
        if isinstance(value, bytes):
            data.add_field(name, value, filename="speech.wav", content_type="audio/wav")
        else:
            data.add_field(name, value)
    return data


async def post(server: AsrStandIn, data=None, **options) -> tuple[int, object]:
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + "/v1/audio/transcriptions", data=data, **options) as response:
        body = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, body


def test_it_is_a_registered_stand_in() -> None:
    assert isinstance(create_standin("openai-asr"), AsrStandIn)
    listed = CliRunner().invoke(standin, ["--list"])
    assert listed.exit_code == 0 and "openai-asr" in listed.output and "from asr_openai" in listed.output


@pytest.mark.parametrize(("data", "options", "message", "param"), [
    (None, {"json": {"model": "whisper-1"}}, "Could not parse multipart form: the body must be multipart", None),
    ({"model": "whisper-1"}, {}, "you must provide a file parameter", "file"),
    ({"file": WAV}, {}, "you must provide a model parameter", "model"),
    ({"file": WAV, "model": "whisper-1", "response_format": "srt"}, {}, "this stand-in answers", "response_format"),
    ({"file": b"RIFF\x00\x00\x00\x00WAVEdata", "model": "whisper-1"}, {}, "Invalid file format: no fmt", "file"),
    ({"file": WAV[:40], "model": "whisper-1"}, {}, "Invalid file format: no data chunk", "file"),
])
async def test_a_bad_request_gets_400_with_openais_error_body(server, data, options, message, param) -> None:
    status, body = await post(server, form(**data) if data else None, **options)
    assert status == 400 and message in body["error"]["message"]
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["param"] == param
    assert server.requests == []


async def test_a_truncated_multipart_body_is_refused(server) -> None:
    head = (b"--b0\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--b0\r\n"
            b"Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n" + WAV[:100])
    status, body = await post(server, head, headers={"Content-Type": "multipart/form-data; boundary=b0"})
    assert status == 400 and "no closing boundary" in body["error"]["message"]


async def test_a_file_over_openais_limit_is_refused(server) -> None:
    status, body = await post(server, form(file=b"\x00" * (MAX_FILE + 65 * 1024), model="whisper-1"))
    assert status == 413 and "Maximum content size" in body["error"]["message"]


async def test_text_answers_and_what_it_hears_is_driven_through_the_control_api(server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(server.url + "/_standin/say", json={"texts": ["包邮吗", "多少钱"]}) as response:
            assert response.status == 200 and (await response.json())["queued"] == ["包邮吗", "多少钱"]
        async with session.post(server.url + "/_standin/say", json={"text": 5}) as response:
            assert response.status == 400
    status, body = await post(server, form(file=WAV, model="m", response_format="text", language="zh"))
    assert (status, body) == (200, "包邮吗")
    control = server.control()
    [heard] = await control.sent("transcription")
    assert (heard["model"], heard["language"], heard["text"]) == ("m", "zh", "包邮吗")
    assert heard["seconds"] == pytest.approx(0.2) and heard["loudness"] > 0.1
    state = await control.state()
    assert (state["queued"], state["heard"]) == (["多少钱"], 1)
    with pytest.raises(StandinError, match="no viewers"):
        await control.post_events({"type": "comment", "text": "hi", "user": {"id": "u", "name": "U"}})


async def test_with_describe_it_says_how_much_sound_it_got_and_silence_stays_empty() -> None:
    async with AsrStandIn(describe=True, transcripts=["first"]) as server:
        answers = [(await post(server, form(file=wav, model="m")))[1]["text"]
                   for wav in (WAV, WAV, wav_bytes(speech(0.5, ASR_RATE, amplitude=0), ASR_RATE))]
    assert answers == ["first", "[0.2 s of sound]", ""]


async def test_the_printed_tables_point_a_hub_at_it(monkeypatch) -> None:
    async with AsrStandIn(api_key="sk-printed", transcripts=["对的"]) as server:
        tables = tomllib.loads(server.connector_table())
        assert tables["backends"]["asr"]["default"] == "openai-asr"
        assert tables["backends"]["asr"]["openai-asr"]["api_key"] == {"env": "LIVEHUB_ASR_STANDIN_KEY"}
        assert server.env() == {"LIVEHUB_ASR_STANDIN_KEY": "sk-printed"}
        monkeypatch.setenv("LIVEHUB_ASR_STANDIN_KEY", "sk-printed")
        async with running_hub(config=tables) as hub:
            asr = build_asr(hub)
            assert isinstance(asr, OpenAIAsrBackend)
            assert (await asr.transcribe(speech(0.4), 48_000)).text == "对的"
            await asr.aclose()
        async with running_hub(config=server.backend_config()) as hub:
            asr = build_asr(hub)
            assert (await asr.transcribe(speech(0.4), 48_000)).text == ""
            await asr.aclose()
    assert [h.language for h in server.requests] == ["zh", "zh"]
