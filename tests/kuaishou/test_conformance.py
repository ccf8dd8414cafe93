"""The decoders against recorded interactive-live answers in ../shared/protocol-samples/kuaishou, when there
are any: every ``*.json`` poll answer there decodes, and each of its items is a hub event, a counted cmd
without one, or an item error, never anything else. Skipped where that folder is absent (it is, so far:
no public recording of this feed was found; see docs/platforms/kuaishou.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.kuaishou.client import RESULT_OK, decode_poll
from connectors.kuaishou.mapping import ItemError, interactive_event, item_cmd

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "protocol-samples" / "kuaishou"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/protocol-samples/kuaishou is absent")


def answers() -> list[Path]:
    found = []
    for path in sorted(SAMPLES.rglob("*.json")):
        value = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(value, dict) and "result" in value:
            found.append(path)
    return found


def test_recorded_poll_answers_decode() -> None:
    paths = answers()
    if not paths:
        pytest.skip("no recorded poll answers in ../shared/protocol-samples/kuaishou")
    for path in paths:
        answer = decode_poll(path.read_bytes())
        if answer.result != RESULT_OK:
            continue
        for item in answer.items:
            try:
                event = interactive_event(item)
            except ItemError as exc:
                pytest.fail(f"{path.name}: an item the connector cannot read: {exc}")
            if event is None:
                assert item_cmd(item) not in (2, 3, 7, 10), f"{path.name}: a mapped cmd gave no event"
            else:
                assert event.user is not None and event.message_id
