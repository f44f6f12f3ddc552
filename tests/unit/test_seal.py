"""The seal of protected/: any change, addition or removal is detected; re-sealing accepts it."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import SealBroken
from core.seal import check_seal, require_seal, seal_protected


@pytest.fixture
def protected(tmp_path: Path) -> Path:
    d = tmp_path / "protected"
    d.mkdir()
    (d / "policy.toml").write_text("[boundary]\n")
    (d / "constitution.md").write_text("# rules\n")
    seal_protected(d)
    return d


def test_fresh_seal_ok(protected: Path) -> None:
    assert check_seal(protected).ok
    require_seal(check_seal(protected))


@pytest.mark.parametrize("change", ["edit", "add", "remove", "symlink", "seal-missing"])
def test_any_change_breaks_the_seal(protected: Path, change: str) -> None:
    if change == "edit":
        (protected / "policy.toml").write_text("[boundary]\nmax_edits = 1000\n")
    elif change == "add":
        (protected / "extra.toml").write_text("x = 1\n")
    elif change == "remove":
        (protected / "constitution.md").unlink()
    elif change == "symlink":
        (protected / "constitution.md").unlink()
        (protected / "constitution.md").symlink_to("/etc/hostname")
    else:
        (protected / "SEAL.json").unlink()
    status = check_seal(protected)
    assert not status.ok
    with pytest.raises(SealBroken, match="refuses to run"):
        require_seal(check_seal(protected))


def test_reseal_accepts_deliberate_edit(protected: Path) -> None:
    (protected / "policy.toml").write_text("[boundary]\nmax_edits = 3\n")
    assert not check_seal(protected).ok
    seal_protected(protected)
    assert check_seal(protected).ok
