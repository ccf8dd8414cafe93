"""Issue #19: hub/media/ holds the timeline, playback, encoder and the scene interface, no product-card,
caption or theme code; the design lives in scene plugins, which the core never names."""

from __future__ import annotations

import ast
from pathlib import Path

MEDIA = Path(__file__).resolve().parents[2] / "hub" / "media"
DESIGN = {"Compositor", "Theme", "Layout", "make_layout", "draw_card", "card_text", "draw_caption", "caption_lines",
          "draw_comment", "draw_countdown", "draw_top_bar", "draw_backdrop", "Overlay", "format_price"}
MOVED = {"compositor", "card", "captions", "theme", "layout", "backdrop"}


def test_hub_media_defines_no_card_caption_or_theme_code_and_names_no_scene_plugin() -> None:
    problems = []
    for path in sorted(MEDIA.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if path.stem in MOVED:
            problems.append(f"{path.name}: a design module in the core")
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name in DESIGN:
                problems.append(f"{path.name}: defines {node.name}")
            if isinstance(node, ast.ImportFrom) and node.module and (
                    node.module.startswith("plugins") or node.module.split(".")[-1] in MOVED):
                problems.append(f"{path.name}: imports {node.module}")
            if isinstance(node, ast.Import) and any(a.name.startswith("plugins") for a in node.names):
                problems.append(f"{path.name}: imports a plugin")
            if isinstance(node, ast.Constant) and node.value in ("studio", "vertical", "scene_studio"):
                problems.append(f"{path.name}: names the scene {node.value!r}")
    assert not problems, problems
