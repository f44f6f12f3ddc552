"""The audit log detects any edit, deletion, reordering or truncation; keys are redacted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.audit import AuditLog


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    audit = AuditLog(tmp_path / "audit.jsonl")
    for i in range(5):
        audit.append("event", {"i": i})
    return audit


def lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines()


def test_intact_chain_verifies(log: AuditLog) -> None:
    report = log.verify()
    assert report.ok and report.entries == 5


def test_edit_detected(log: AuditLog) -> None:
    rows = lines(log)
    entry = json.loads(rows[2])
    entry["data"]["i"] = 99
    rows[2] = json.dumps(entry, sort_keys=True)
    log.path.write_text("\n".join(rows) + "\n")
    report = log.verify()
    assert not report.ok and any("edited" in p for p in report.problems)


def test_deletion_detected(log: AuditLog) -> None:
    rows = lines(log)
    del rows[1]
    log.path.write_text("\n".join(rows) + "\n")
    assert not log.verify().ok


def test_reordering_detected(log: AuditLog) -> None:
    rows = lines(log)
    rows[1], rows[2] = rows[2], rows[1]
    log.path.write_text("\n".join(rows) + "\n")
    assert not log.verify().ok


def test_truncation_detected_by_head(log: AuditLog) -> None:
    rows = lines(log)
    log.path.write_text("\n".join(rows[:-1]) + "\n")
    report = log.verify()
    assert not report.ok and any("truncated" in p for p in report.problems)


def test_rewritten_chain_detected_by_commit_anchor(log: AuditLog, tmp_path: Path) -> None:
    """Someone who rebuilds the whole chain still cannot match the hashes named in commits."""
    anchor = {3: log.entries()[2].hash[:16]}
    assert log.verify(anchor).ok
    forged = AuditLog(tmp_path / "forged.jsonl")
    for i in range(5):
        forged.append("event", {"i": i + 100})
    forged.path.replace(log.path)
    forged.head_path.replace(log.head_path)
    report = log.verify(anchor)
    assert not report.ok and any("named by a checkpoint" in p for p in report.problems)


def test_keys_redacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "tok-value-123456")
    audit = AuditLog(tmp_path / "a.jsonl")
    audit.append("x", {"msg": "key sk-abcdefghijklmnopqrstu and tok-value-123456"})
    text = audit.path.read_text()
    assert "sk-abcdefghijklmnopqrstu" not in text and "tok-value-123456" not in text
    assert "[REDACTED]" in text
    assert audit.verify().ok
