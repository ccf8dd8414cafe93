"""Write docs/hooks.md from hub/hookspecs.py (the docstrings are the reference).

Run `python scripts/gen_hooks_doc.py` after changing a hook; tests/core/test_hooks_doc.py fails when the
document misses a hook or an argument.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub import hookspecs  # noqa: E402

KINDS = {
    "livehub_config_models": "registration", "livehub_startup": "lifecycle", "livehub_shutdown": "lifecycle",
    "livehub_room_acquired": "lifecycle", "livehub_room_released": "lifecycle",
    "livehub_on_event": "event",
}


def kind_of(name: str) -> str:
    if hookspecs.hook_signature(name)["firstresult"]:
        return "decision (firstresult)"
    return KINDS.get(name, "registration" if name.startswith("livehub_register_") else "other")


def render() -> str:
    out = ["# Hook reference", "",
           "Generated from `hub/hookspecs.py` by `python scripts/gen_hooks_doc.py`; a test checks that every",
           "hook and argument is documented here. Implement hooks with `from hub import hookimpl`.", "",
           inspect.getdoc(hookspecs).split("\n\n", 1)[1].strip(), "", "## Hooks", ""]
    out.append("| hook | kind | arguments |")
    out.append("|---|---|---|")
    for name in hookspecs.hook_names():
        args = ", ".join(f"`{a}`" for a in hookspecs.hook_signature(name)["args"]) or "—"
        out.append(f"| [`{name}`](#{name}) | {kind_of(name)} | {args} |")
    out.append("")
    for name in hookspecs.hook_names():
        func = getattr(hookspecs, name)
        sig = str(inspect.signature(func)).replace("'", "")
        out += [f"### {name}", "", "```python", f"def {name}{sig}", "```", "",
                f"*Kind:* {kind_of(name)}.", ""]
        args = hookspecs.hook_signature(name)["args"]
        if args:
            out.append("*Arguments:* " + ", ".join(f"`{a}`" for a in args) + ".")
            out.append("")
        out += [inspect.getdoc(func) or "", ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    target = ROOT / "docs" / "hooks.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")
