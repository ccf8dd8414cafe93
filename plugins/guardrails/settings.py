"""Settings of the guardrails plugin: the ``[plugins.guardrails]`` table of ``livehub.toml``.

Example::

    [plugins.guardrails]
    extra_banned = ["秒杀价 => 活动价", "国货之光"]      # list-file syntax: "=>" replacement, "!" exception
    extra_banned_files = ["wordlists/brand.txt"]     # relative to livehub.toml
    platform_lists = true                            # add prompts/<locale>/banned/platform/<platform>.txt
    allow_free_gifts = false                         # keep "免费送"/"free gift" when the catalog offers one
    max_viewer_quote_chars = 12                      # longest verbatim quote of a viewer's comment
    leak_threshold = 0.5                             # prompt-leak guard: share of n-grams from the prompt
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class GuardrailsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    extra_banned: list[str] = Field(default_factory=list, description="merchant's own banned terms")
    extra_banned_files: list[Path] = Field(default_factory=list, description="more list files (.txt)")
    platform_lists: bool = Field(True, description="also apply the room platform's own list")
    allow_free_gifts: bool = Field(False, description="allow gift promises the catalog itself makes")
    max_viewer_quote_chars: int = Field(12, ge=0, description="longest verbatim quote of a viewer")
    banned_terms: bool = Field(True, description="check banned terms (ad law, medical, abuse, spam)")
    fact_guard: bool = Field(True, description="check prices, discounts, stock and shipping claims")
    injection_guard: bool = Field(True, description="block obeyed injections, strip echoes and contacts")
    leak_guard: bool = Field(True, description="drop sentences that recite the LLM's instructions")
    leak_threshold: float = Field(0.5, gt=0, le=1, description="share of a sentence's 4-token n-grams "
                                                                "found in the instructions that makes it a leak")
