"""docs/hooks.md documents every hook of hub/hookspecs.py with every argument."""

import re
from pathlib import Path

from hub import hookspecs

DOC = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"


def sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### (livehub_\w+)\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_hook_has_a_section_with_its_arguments():
    documented = sections()
    missing = [name for name in hookspecs.hook_names() if name not in documented]
    assert not missing, f"hooks missing from docs/hooks.md (run scripts/gen_hooks_doc.py): {missing}"
    for name in hookspecs.hook_names():
        for arg in hookspecs.hook_signature(name)["args"]:
            assert f"`{arg}`" in documented[name], f"{name}: argument {arg!r} not documented"


def test_no_stale_hooks_in_doc():
    stale = set(sections()) - set(hookspecs.hook_names())
    assert not stale, f"docs/hooks.md documents hooks that no longer exist: {stale}"


def test_every_hook_is_prefixed_typed_and_documented():
    for name in hookspecs.hook_names():
        func = getattr(hookspecs, name)
        assert name.startswith("livehub_")
        assert func.__doc__ and len(func.__doc__.strip()) > 40, f"{name} needs a reference docstring"
        assert "return" in func.__annotations__, f"{name} needs a return annotation"


def test_doc_matches_generator_output():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", DOC.parents[1] / "scripts" / "gen_hooks_doc.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert DOC.read_text(encoding="utf-8") == gen.render(), "docs/hooks.md is stale: run scripts/gen_hooks_doc.py"
