"""Prompt templates and data files per locale, found along a search path with locale fallback.

The search path is the room's tenant's ``prompts_dir`` first (hub/tenants.py), then the merchant's ``[hub]
prompts_dir``, then the folders plugins return from
``livehub_register_prompt_dirs``, then the built-in ``prompts/`` package; each folder is laid out as
``<locale>/<name>``. A file found for the asked locale beats one for a fallback locale, wherever it is:
a merchant who only wrote English templates must not turn a Chinese show English. Within one locale the
earlier folder wins, so a merchant overrides a built-in template by writing one of the same name.

Templates are Jinja2 with ``StrictUndefined`` (a misspelt variable is an error, not a silent blank) and
no autoescaping (the output is speech and chat, not HTML). Viewer text is untrusted: templates quote it
with the ``untrusted`` filter, never inline it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

import prompts as builtin_prompts

if TYPE_CHECKING:
    from hub.app import Hub

BUILTIN_DIR = Path(builtin_prompts.__file__).parent
FALLBACK_LOCALE = "en"

_SYMBOLS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}
_ZH_UNITS = {"CNY": "元", "RMB": "元", "USD": "美元", "EUR": "欧元", "GBP": "英镑", "JPY": "日元", "HKD": "港币"}


def locale_chain(locale: str) -> list[str]:
    """Locales to try for ``locale``, most specific first: ``zh-CN`` → ``zh-CN, zh, en``."""
    chain = [locale]
    if "-" in locale:
        chain.append(locale.split("-", 1)[0])
    if FALLBACK_LOCALE not in chain:
        chain.append(FALLBACK_LOCALE)
    return chain


def format_price(amount: Decimal | int | str, currency: str = "CNY", locale: str = "zh-CN") -> str:
    """How a price is said and written: ``128元`` / ``128.50元`` in Chinese, ``¥128`` / ``$12.50`` in
    English. Whole amounts drop their cents (they read better aloud); others keep exactly two places."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    number = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    code = currency.upper()
    if locale.lower().startswith("zh"):
        number = number.replace(",", "")
        return f"{number}{_ZH_UNITS.get(code, ' ' + code)}"
    symbol = _SYMBOLS.get(code)
    return f"{symbol}{number}" if symbol else f"{number} {code}"


def join_names(names: Iterable[str], locale: str = "zh-CN", limit: int = 3) -> str:
    """``A、B和C`` / ``A, B and 12 others``: at most ``limit`` names, the rest counted."""
    people = [n.strip() for n in names if n and n.strip()]
    shown, rest = people[:limit], len(people) - limit
    zh = locale.lower().startswith("zh")
    if rest > 0:
        head = ("、" if zh else ", ").join(shown)
        return f"{head}等{len(people)}位朋友" if zh else f"{head} and {rest} others"
    if len(shown) <= 1:
        return shown[0] if shown else ""
    return ("、".join(shown[:-1]) + "和" + shown[-1]) if zh else (", ".join(shown[:-1]) + " and " + shown[-1])


def quote_untrusted(text: Any, limit: int = 300) -> str:
    """Viewer text as a JSON string literal: quoted, escaped, no angle brackets, at most ``limit`` chars.

    A prompt shows it as data; the quoting keeps a comment from closing the quote or forging a marker.
    """
    clipped = str(text)[:limit]
    return json.dumps(clipped, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def clause(text: Any) -> str:
    """``text`` without its closing punctuation, for a template that adds its own."""
    return str(text).strip().rstrip("。．.!！?？；;，,、 ")


@jinja2.pass_context
def _price_filter(context: jinja2.runtime.Context, amount: Any, currency: str | None = None) -> str:
    return format_price(amount, currency or context.get("currency") or "CNY", context.get("locale") or "zh-CN")


@jinja2.pass_context
def _names_filter(context: jinja2.runtime.Context, names: Iterable[str], limit: int = 3) -> str:
    return join_names(names, context.get("locale") or "zh-CN", limit)


class PromptLibrary:
    """Templates and data files along ``search_path`` (earlier folders override later ones)."""

    def __init__(self, search_path: Sequence[Path]) -> None:
        self.search_path = [Path(p) for p in search_path]
        self._envs: dict[str, jinja2.Environment] = {}

    def _dirs(self, locale: str) -> list[Path]:
        return [folder / loc for loc in locale_chain(locale) for folder in self.search_path]

    def path(self, name: str, locale: str) -> Path | None:
        """The file ``name`` for ``locale`` (with fallback), or None when no folder has it."""
        for folder in self._dirs(locale):
            candidate = folder / name
            if candidate.is_file():
                return candidate
        return None

    def paths(self, name: str, locale: str) -> list[Path]:
        """Every file ``name`` for exactly ``locale``, in search order (for lists a merchant extends)."""
        return [f / locale / name for f in self.search_path if (f / locale / name).is_file()]

    def glob(self, pattern: str, locale: str) -> list[Path]:
        """Files matching ``pattern`` (e.g. ``banned/*.txt``) for exactly ``locale``, every folder, in
        search order; the same relative name in two folders is listed once per folder."""
        found: list[Path] = []
        for folder in self.search_path:
            base = folder / locale
            if base.is_dir():
                found.extend(sorted(p for p in base.glob(pattern) if p.is_file()))
        return found

    def has(self, name: str, locale: str) -> bool:
        return self.path(name, locale) is not None

    def environment(self, locale: str) -> jinja2.Environment:
        """The Jinja2 environment for ``locale``: its loader looks up the locale chain in order."""
        env = self._envs.get(locale)
        if env is None:
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader([str(d) for d in self._dirs(locale)], encoding="utf-8"),
                undefined=jinja2.StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
                keep_trailing_newline=False, auto_reload=True)
            env.filters.update(price=_price_filter, names=_names_filter, untrusted=quote_untrusted,
                               clause=clause)
            env.globals["locale"] = locale
            self._envs[locale] = env
        return env

    def render(self, name: str, locale: str, **variables: Any) -> str:
        """Render template ``name`` for ``locale``; surrounding whitespace is stripped.

        Raises ``jinja2.TemplateNotFound`` when no folder has it for the locale or its fallbacks, and
        ``jinja2.UndefinedError`` when the template uses a variable that was not passed.
        """
        template = self.environment(locale).get_template(name)
        return template.render(locale=locale, **variables).strip()


def search_path_for(hub: Hub, room: str | None = None) -> list[Path]:
    """The hub's prompt search path: ``room``'s tenant's ``prompts_dir`` (hub/tenants.py), ``[hub]
    prompts_dir``, plugins' folders, the built-in folder."""
    from hub.registry import call_each
    from hub.tenants import tenant_prompts_dir

    folders: list[Path] = []
    tenant_dir = tenant_prompts_dir(hub.config, room)
    if tenant_dir is not None:
        folders.append(tenant_dir)
    user_dir = hub.config.hub.prompts_dir
    if user_dir is not None:
        base = hub.config.path.parent if hub.config.path else Path.cwd()
        folders.append(user_dir if user_dir.is_absolute() else base / user_dir)
    for _plugin, dirs in call_each(hub.plugins, "livehub_register_prompt_dirs"):
        folders.extend(Path(d) for d in dirs)
    folders.append(BUILTIN_DIR)
    return folders


class TenantLibraries(dict):  # type: ignore[type-arg]
    """The prompt libraries of tenants with a ``prompts_dir`` of their own, by tenant (``hub.slots``)."""


def prompt_library(hub: Hub, room: str | None = None) -> PromptLibrary:
    """The :class:`PromptLibrary` for ``room`` (its tenant's own when it has a ``prompts_dir``, else the
    hub's), kept in ``hub.slots`` and built on first use (after plugins are loaded)."""
    from hub.tenants import tenant_of_room, tenant_prompts_dir

    if room and tenant_prompts_dir(hub.config, room) is not None:
        per_tenant = hub.slots.setdefault(TenantLibraries, TenantLibraries)
        tenant = tenant_of_room(hub.config, room)
        if tenant not in per_tenant:
            per_tenant[tenant] = PromptLibrary(search_path_for(hub, room))
        return per_tenant[tenant]  # type: ignore[no-any-return]
    return hub.slots.setdefault(PromptLibrary, lambda: PromptLibrary(search_path_for(hub)))
