"""Assembling and verifying the embedded model's weights from their parts."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from core.llm.weights import (
    QWEN_CODER_05B,
    WeightParts,
    WeightsError,
    WeightsSpec,
    default_model_path,
    find_parts,
    prepare_weights,
    weights_status,
)


def _make_parts(tmp_path: Path, chunks: list[bytes]) -> tuple[WeightsSpec, WeightParts]:
    paths = []
    for i, chunk in enumerate(chunks, 1):
        path = tmp_path / "parts" / f"part{i:02d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(chunk)
        paths.append(path)
    whole = b"".join(chunks)
    spec = WeightsSpec(
        filename="tiny.gguf",
        parts=tuple(("unused", p.name) for p in paths),
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
    )
    return spec, WeightParts(paths=tuple(paths))


CHUNKS = [b"GGUF" + bytes(range(256)) * 9000, b"\x01" * 700_000, b"tail"]


def test_assembles_parts_in_order_and_stamps(tmp_path: Path) -> None:
    spec, parts = _make_parts(tmp_path, CHUNKS)
    target = tmp_path / "cache" / spec.filename
    phases: list[tuple[str, int]] = []
    done: list[int] = []

    def progress(label: str, total: int):  # type: ignore[no-untyped-def]
        phases.append((label, total))
        return done.append

    assert prepare_weights(target, spec, parts=parts, progress=progress) == target
    assert target.read_bytes() == b"".join(CHUNKS)
    assert phases == [("assembling model", spec.size)]
    assert sum(done) == spec.size
    assert not target.with_name(target.name + ".part").exists()
    assert weights_status(target, spec).verified


def test_prepare_is_fast_once_verified(tmp_path: Path) -> None:
    spec, parts = _make_parts(tmp_path, CHUNKS)
    target = tmp_path / spec.filename
    prepare_weights(target, spec, parts=parts)
    for part in parts.paths:
        part.unlink()  # a second prepare must not need (or read) the parts
    calls: list[str] = []

    def progress(label: str, total: int):  # type: ignore[no-untyped-def]
        calls.append(label)
        return lambda n: None

    prepare_weights(target, spec, parts=parts, progress=progress)
    assert calls == []


def test_a_checksum_mismatch_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    spec, parts = _make_parts(tmp_path, CHUNKS)
    wrong = WeightsSpec(spec.filename, spec.parts, spec.size, "0" * 64)
    target = tmp_path / wrong.filename
    with pytest.raises(WeightsError, match="refusing the model weights: the sha256"):
        prepare_weights(target, wrong, parts=parts)
    assert not target.exists()
    assert not target.with_name(target.name + ".part").exists()


def test_parts_of_the_wrong_total_size_are_refused_before_copying(tmp_path: Path) -> None:
    spec, parts = _make_parts(tmp_path, CHUNKS)
    parts.paths[1].write_bytes(b"short")
    target = tmp_path / spec.filename
    with pytest.raises(WeightsError, match="total size"):
        prepare_weights(target, spec, parts=parts)
    assert list(tmp_path.glob("tiny.gguf*")) == []


def test_an_unstamped_file_is_hashed_once_and_a_corrupt_one_rebuilt(tmp_path: Path) -> None:
    spec, parts = _make_parts(tmp_path, CHUNKS)
    target = tmp_path / spec.filename
    target.write_bytes(b"".join(CHUNKS))  # right bytes, no stamp (e.g. copied by hand)
    assert not weights_status(target, spec).verified
    labels: list[str] = []

    def progress(label: str, total: int):  # type: ignore[no-untyped-def]
        labels.append(label)
        return lambda n: None

    prepare_weights(target, spec, parts=parts, progress=progress)
    assert labels == ["verifying model"]
    assert weights_status(target, spec).verified

    corrupt = bytearray(target.read_bytes())
    corrupt[100] ^= 0xFF
    before = target.stat().st_mtime_ns
    target.write_bytes(bytes(corrupt))
    os.utime(target, ns=(before + 10**9, before + 10**9))  # same size, newer mtime: stamp is stale
    assert not weights_status(target, spec).verified
    labels.clear()
    prepare_weights(target, spec, parts=parts, progress=progress)
    assert labels == ["verifying model", "assembling model"]
    assert target.read_bytes() == b"".join(CHUNKS)


def test_status_reports_missing_and_wrong_size(tmp_path: Path) -> None:
    spec, _ = _make_parts(tmp_path, CHUNKS)
    target = tmp_path / spec.filename
    missing = weights_status(target, spec)
    assert (missing.present, missing.verified) == (False, False)
    target.write_bytes(b"GGUF")
    small = weights_status(target, spec)
    assert small.present and not small.verified and "expected" in small.detail


def test_real_parts_are_found_through_package_metadata() -> None:
    parts = find_parts(QWEN_CODER_05B)
    assert [p.name for p in parts.paths] == [f"part{i:02d}.bin" for i in range(1, 7)]
    assert parts.size == QWEN_CODER_05B.size == 491_400_064


def test_a_missing_weights_package_names_the_extra() -> None:
    spec = WeightsSpec("x.gguf", (("ratchet-no-such-weights-package", "x/part01.bin"),), 1, "0" * 64)
    with pytest.raises(WeightsError, match=r"not installed.*\[model\]"):
        find_parts(spec)


def test_model_cache_location_follows_the_environment(tmp_path: Path) -> None:
    name = QWEN_CODER_05B.filename
    assert default_model_path(environ={"RATCHET_MODEL_CACHE": str(tmp_path)}) == tmp_path / name
    xdg = default_model_path(environ={"XDG_CACHE_HOME": str(tmp_path)})
    assert xdg == tmp_path / "ratchet" / "models" / name
    assert default_model_path(environ={}) == Path.home() / ".cache" / "ratchet" / "models" / name
