"""The copy generator: ``campaign/copy.j2`` rendered once per variant with the catalog's facts; for channels
with a subject, the first line ``Subject: ...`` is the subject."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hub.outbound import VARIANT_NAMES, ContentGenerator, ContentPiece, ContentRequest
from hub.prompts import prompt_library


class CopySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = Field("campaign/copy.j2", description="the prompt template (per locale) the copy comes from")


class CopyGenerator(ContentGenerator):
    """See the module docstring."""

    name = "copy"
    kind = "copy"
    config: CopySettings

    async def generate(self, request: ContentRequest) -> list[ContentPiece]:
        library = prompt_library(self.hub)
        currency = request.shop.currency if request.shop is not None else "CNY"
        pieces = []
        for n in range(min(request.variants, len(VARIANT_NAMES))):
            text = library.render(self.config.template, request.locale, product=request.product, shop=request.shop,
                                  currency=currency, segment=request.segment, channel=request.channel, variant=n,
                                  link=request.link)
            lines = [line.strip() for line in text.strip().splitlines()]
            subject = ""
            if lines and lines[0].startswith("Subject:"):
                subject = lines.pop(0)[len("Subject:"):].strip()
            body = "\n".join(line for line in lines if line)
            pieces.append(ContentPiece(VARIANT_NAMES[n], subject, body, source=f"template:{self.config.template}"))
        return pieces
