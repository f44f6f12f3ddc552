"""The agent with the real embedded model: one small task, end to end (CI runs it)."""

from __future__ import annotations

import pytest

from core.agent_host import AgentHost
from core.config import load_config
from core.workspace import Workspace


@pytest.mark.slow
@pytest.mark.model
def test_embedded_model_solves_a_small_task(workspace: Workspace) -> None:
    config = load_config(workspace.root, environ={}, overrides={"llm.model": "", "model.n_threads": 2})
    with AgentHost(workspace, config, use_memory=False) as host:  # the real gateway: the embedded model
        report = host.solve(
            "Write a Python function add(a, b) that returns the sum of a and b.",
            tests="assert add(2, 3) == 5\nassert add(-1, 1) == 0\n",
        )
    assert report.attempts, report.note
    assert report.usage.calls >= 1
    assert report.passed, [a.output for a in report.attempts]
    assert "def add" in report.code
