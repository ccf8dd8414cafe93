"""``[backends.asr]``: built like every backend kind, a broken section refused at start with the key and the
reason, no backend (None) when none is configured or flagged default."""

from __future__ import annotations

import pytest

from hub.asr import AsrBackend, Transcript, build_asr
from hub.errors import BackendError, ConfigError
from hub.hookspecs import hookimpl
from hub.specs import BackendSpec
from hub.testing import running_hub
from plugins.asr_openai.backend import OpenAIAsrBackend
from tests.asr.audio import speech

OPENAI = {"base_url": "http://127.0.0.1:9/v1"}


class Flagged(AsrBackend):
    name = "flagged"

    async def _transcribe(self, wav: bytes, language: str | None) -> Transcript:
        return Transcript("flagged")


def broken_factory(settings, hub):
    raise RuntimeError("the model file is missing")


class TestBackends:
    """A plugin with a default ASR backend and one that cannot be built."""

    @hookimpl
    def livehub_register_backends(self) -> list[BackendSpec]:
        return [BackendSpec(kind="asr", name="flagged", factory=Flagged, default=True),
                BackendSpec(kind="asr", name="broken", factory=broken_factory)]


async def test_the_configured_backend_is_built_with_its_section() -> None:
    config = {"hub": {"locale": "en-US"},
              "backends": {"asr": {"default": "openai-asr", "openai-asr": {**OPENAI, "model": "small"}}}}
    async with running_hub(config=config) as hub:
        asr = build_asr(hub)
        assert isinstance(asr, OpenAIAsrBackend)
        assert (asr.settings.model, asr.settings.timeout, asr.language, asr.hub) == ("small", 20, "en", hub)


async def test_no_asr_configured_and_none_flagged_is_none() -> None:
    async with running_hub() as hub:
        assert build_asr(hub) is None
    async with running_hub(config={"backends": {"asr": {"openai-asr": OPENAI}}}) as hub:
        assert build_asr(hub) is None  # settings alone choose nothing


async def test_a_flagged_default_is_used_unless_the_config_chooses() -> None:
    plugins = [("asr-test-backends", TestBackends())]
    async with running_hub(plugins=plugins) as hub:
        assert isinstance(build_asr(hub), Flagged)
    config = {"backends": {"asr": {"default": "openai-asr", "openai-asr": OPENAI}}}
    async with running_hub(plugins=plugins, config=config) as hub:
        assert isinstance(build_asr(hub), OpenAIAsrBackend)


async def test_a_backend_that_cannot_be_built_is_a_backend_error() -> None:
    config = {"backends": {"asr": {"default": "broken"}}}
    async with running_hub(plugins=[("asr-test-backends", TestBackends())], config=config) as hub:
        with pytest.raises(BackendError, match="'broken' cannot be built: the model file is missing"):
            build_asr(hub)


async def test_the_default_must_name_a_registered_backend() -> None:
    with pytest.raises(ConfigError, match=r"backends\.asr: unknown asr backend 'whisper-local' "
                                          r"\(known: openai-asr\)"):
        async with running_hub(config={"backends": {"asr": {"default": "whisper-local"}}}):
            pass


@pytest.mark.parametrize(("section", "key", "reason"), [
    ({}, "base_url", "Field required"),
    ({"base_url": "ftp://x"}, "base_url", "must be an http:// or https:// URL, not 'ftp://x'"),
    ({**OPENAI, "api_key": "sk-plain"}, "api_key", 'secrets must be a reference, {env = "NAME"} or {file = "path"}'),
    ({**OPENAI, "api_key": {"env": "LIVEHUB_TEST_ASR_UNSET"}}, "api_key",
     "environment variable LIVEHUB_TEST_ASR_UNSET is not set"),
    ({**OPENAI, "timeout": 0}, "timeout", "greater than 0"),
    ({**OPENAI, "model": ""}, "model", "at least 1 character"),
    ({**OPENAI, "modle": "small"}, "modle", "unknown key"),
])
async def test_a_broken_section_is_refused_with_the_key_and_the_reason(section, key, reason, monkeypatch) -> None:
    monkeypatch.delenv("LIVEHUB_TEST_ASR_UNSET", raising=False)
    with pytest.raises(ConfigError) as caught:
        async with running_hub(config={"backends": {"asr": {"default": "openai-asr", "openai-asr": section}}}):
            pass
    assert f"backends.asr.openai-asr.{key}: " in str(caught.value) and reason in str(caught.value)


async def test_a_key_from_the_environment_is_sent_as_a_bearer_token(keyed_server, monkeypatch) -> None:
    monkeypatch.setenv("LIVEHUB_TEST_ASR_KEY", "sk-right")
    keyed_server.say("好的")
    section = {"base_url": keyed_server.url, "api_key": {"env": "LIVEHUB_TEST_ASR_KEY"}}
    async with running_hub(config={"backends": {"asr": {"default": "openai-asr", "openai-asr": section}}}) as hub:
        asr = build_asr(hub)
        assert (await asr.transcribe(speech(0.3), 48_000)).text == "好的"
        await asr.aclose()
