"""Fixtures for the replay tests. The real llama.cpp server (SmolLM2-135M) is helper E's session fixture
from ``tests/llm/conftest.py``; it is imported here so the ``--llm openai`` replay runs against the same
server. (TODO for the lead: hoist ``llama_server`` into ``tests/conftest.py`` so one session starts one
server even when both folders run.)"""

from __future__ import annotations

from tests.llm.conftest import llama_server  # noqa: F401  (a fixture, used by name)
