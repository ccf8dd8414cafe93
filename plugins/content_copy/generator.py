"""The copy generator: written by the configured LLM (prompt templates ``campaign/system.j2`` and
``campaign/user.j2`` of the locale, the catalog's facts only), or rendered from ``campaign/copy.j2`` when no LLM
is configured (offline) or the LLM fails (the piece says so). For channels with a subject, a first line
``Subject: ...`` is the subject. LLM calls and tokens are counted on each piece (``data``), so a campaign's run
counts them."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.answers import AnswerRequest
from hub.outbound import VARIANT_NAMES, ContentGenerator, ContentPiece, ContentRequest
from hub.prompts import prompt_library

log = logging.getLogger("livehub.content")
SUBJECT_CHANNELS = ("email", "webhook", "crm", "bundle")


class CopySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = Field("campaign/copy.j2", description="the template (per locale) of the offline copy")
    llm: str | None = Field(None, description='the LLM backend that writes the copy; default: [backends.llm] '
                                              'default when it is an LLM; "none": always the template')


def _split(text: str) -> tuple[str, str]:
    """(subject, body) of a text whose first line may be ``Subject: ...``."""
    lines = [line.strip() for line in text.strip().splitlines()]
    subject = ""
    if lines and lines[0].lower().startswith("subject:"):
        subject = lines.pop(0)[len("subject:"):].strip()
    return subject, "\n".join(line for line in lines if line)


class CopyGenerator(ContentGenerator):
    """See the module docstring."""

    name = "copy"
    kind = "copy"
    config: CopySettings

    def __init__(self, config: CopySettings, hub: Any) -> None:
        super().__init__(config, hub)
        self._backend: Any = None
        self._backend_name: str | None = None

    def llm(self) -> Any:
        """The LLM answer backend to write with, or None (templates)."""
        if self._backend is not None or self.config.llm == "none":
            return self._backend
        from hub.answer_chain import backend_settings

        choice = self.hub.settings.backend_choice.get("llm")
        name = self.config.llm or (choice.default if choice is not None else None)
        entry = self.hub.registry.backends.get(("llm", name)) if name else None
        if entry is None or not getattr(entry[1].factory, "uses_llm", True):
            return None
        self._backend = entry[1].factory(backend_settings(self.hub, name, {"max_sentences": 12}), self.hub)
        self._backend_name = name
        return self._backend

    async def aclose(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            await backend.aclose()

    async def generate(self, request: ContentRequest) -> list[ContentPiece]:
        backend = self.llm()
        pieces = []
        for n in range(min(request.variants, len(VARIANT_NAMES))):
            piece = None
            if backend is not None:
                try:
                    piece = await self._written(backend, request, n)
                except Exception as exc:  # noqa: BLE001 - the template writes it instead, and says so
                    log.warning("content: the LLM %s failed (%s); copy from the template", self._backend_name, exc)
                    piece = self._rendered(request, n, {"fallback": f"{type(exc).__name__}: {exc}"[:300],
                                                        "llm_calls": 1})
            pieces.append(piece or self._rendered(request, n, {}))
        return pieces

    async def _written(self, backend: Any, request: ContentRequest, n: int) -> ContentPiece:
        before = dict(getattr(backend, "usage", {}) or {})
        answer = AnswerRequest(question="", intent="other", locale=request.locale, products=[request.product],
                               shop=request.shop, prompt="campaign",
                               variables={"channel": request.channel, "segment": request.segment, "variant": n,
                                          "variant_name": VARIANT_NAMES[n], "link": request.link})
        text = " ".join([sentence async for sentence in backend.answer(answer)])
        if text.lower().startswith("subject:") and "\n" not in text:  # sentences joined: the subject's end
            head, _, rest = text.partition(". ")
            text = f"{head}\n{rest}"
        subject, body = _split(text)
        if not body:
            raise ValueError("the LLM wrote nothing")
        if request.channel in SUBJECT_CHANNELS and not subject:
            subject = request.product.name
        if request.link not in body:
            body = f"{body} {request.link}"
        after = dict(getattr(backend, "usage", {}) or {})
        tokens = sum(after.get(k, 0) - before.get(k, 0) for k in ("prompt", "completion"))
        return ContentPiece(VARIANT_NAMES[n], subject if request.channel in SUBJECT_CHANNELS else "", body,
                            source=f"llm:{self._backend_name}", data={"llm_calls": 1, "llm_tokens": tokens})

    def _rendered(self, request: ContentRequest, n: int, data: dict[str, Any]) -> ContentPiece:
        library = prompt_library(self.hub)
        currency = request.shop.currency if request.shop is not None else "CNY"
        text = library.render(self.config.template, request.locale, product=request.product, shop=request.shop,
                              currency=currency, segment=request.segment, channel=request.channel, variant=n,
                              link=request.link)
        subject, body = _split(text)
        return ContentPiece(VARIANT_NAMES[n], subject, body, source=f"template:{self.config.template}", data=data)
