"""Thank-you lines: welcomes, follows, likes, gifts and orders, batched into one short line each.

A busy room has hundreds of entries a minute; greeting each viewer by name would leave no air time for
answers. Events of one category are collected for ``thanks_window_s`` (the item waits in the queue until
then, and events arriving meanwhile join it) and said as one line: "感谢 A、B 和其他12位朋友的关注" /
"thanks A, B and 12 others for following".

Display names are viewer-chosen and untrusted. A name is said only if it passes :func:`safe_name`: no
link, contact id, ad, abuse, banned claim or instruction (a spammer named "加微信abc123" must not be
advertised by the host), at most ``name_max_chars`` characters, no emoji or control characters. Unsafe
names are still counted ("其他N位"), never spoken.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from plugins.triage.normalize import strip_emoji
from plugins.triage.queue import Ask
from plugins.triage.spam import SpamFilter

__all__ = ["safe_name", "names_phrase", "thanks_line", "THANKS_FOR_EVENT"]

THANKS_FOR_EVENT = {"enter": "enter", "follow": "follow", "like": "like", "gift": "gift", "order": "order"}
"""Platform event type → thanks category (greeting comments join ``enter``)."""

_ALLOWED_NAME = re.compile(r"[^\w\u00b7\u30fb .·-]")

_ZH = {"enter": "欢迎{names}来到直播间", "follow": "感谢{names}的关注", "like": "感谢{names}的点赞",
       "gift": "感谢{names}送的礼物", "order": "感谢{names}的下单支持"}
_EN = {"enter": "welcome {names}!", "follow": "thanks {names} for following", "like": "thanks {names} for the likes",
       "gift": "thanks {names} for the gifts", "order": "thanks {names} for your orders"}


def safe_name(name: str, spam: SpamFilter | None, max_chars: int = 8) -> str | None:
    """``name`` fit to be said aloud, cut to ``max_chars`` characters, or None if it must not be."""
    if not name:
        return None
    cleaned = unicodedata.normalize("NFKC", strip_emoji(name))
    cleaned = "".join(ch for ch in cleaned if unicodedata.category(ch)[0] != "C")
    cleaned = _ALLOWED_NAME.sub("", cleaned).strip(" .·-_")
    if not cleaned or not any(ch.isalpha() for ch in cleaned):
        return None
    if spam is not None and (spam.check_name(name) or spam.check_name(cleaned)):
        return None
    if sum(ch.isdigit() for ch in cleaned) >= 5:  # "user8841523": an id, not a name worth saying
        return None
    return cleaned[:max_chars].strip()


def names_phrase(names: Sequence[str], total: int, locale: str) -> str:
    """"A、B 和其他12位朋友" / "A, B and 12 others"; ``total`` counts every viewer, named or not."""
    zh = locale.lower().startswith("zh")
    shown = list(names)
    rest = max(0, total - len(shown))
    if not shown:
        return f"{total}位朋友" if zh else (f"{total} friends" if total > 1 else "our new friend")
    if zh:
        head = "、".join(shown)
        return f"{head}和其他{rest}位朋友" if rest else (
            "、".join(shown[:-1]) + "和" + shown[-1] if len(shown) > 1 else shown[0])
    if rest:
        return f"{', '.join(shown)} and {rest} other{'s' if rest > 1 else ''}"
    return ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]


def thanks_line(category: str, asks: Sequence[Ask], locale: str, *, spam: SpamFilter | None,
                max_names: int = 2, name_max_chars: int = 8) -> str:
    """The thank-you line for a batch of one category (one viewer counted once)."""
    viewers: dict[str, Ask] = {}
    for ask in asks:
        viewers.setdefault(ask.viewer, ask)
    if category == "gift":  # the biggest givers are named first
        order = sorted(viewers.values(), key=lambda a: -_gift_weight(a.detail))
    else:
        order = list(viewers.values())
    names: list[str] = []
    for ask in order:
        if len(names) >= max_names:
            break
        name = safe_name(ask.name, spam, name_max_chars)
        if name and name not in names:
            names.append(name)
    templates = _ZH if locale.lower().startswith("zh") else _EN
    return templates.get(category, templates["enter"]).format(names=names_phrase(names, len(viewers), locale))


def _gift_weight(detail: str) -> float:
    try:
        return float(detail or 0)
    except ValueError:
        return 0.0
