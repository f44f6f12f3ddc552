"""What `ratchet model status` reports: which model the gateway uses, the weights, the server."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.config import Config
from core.llm.embedded import live_record, model_settings
from core.llm.gateway import EMBEDDED
from core.llm.weights import QWEN_CODER_05B, WeightsError, find_parts, weights_status
from core.workspace import Workspace

__all__ = ["ModelStatus", "model_status"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelStatus:
    #: the model the gateway uses (`embedded/<alias>` or the `[llm] model` string)
    model: str
    fallback: str
    uses_embedded: bool
    weights_path: str
    #: the packaged weights (False: a GGUF file from `[model] path`)
    bundled: bool
    weights_present: bool
    weights_verified: bool
    weights_detail: str
    #: the weight packages are installed (always True for a custom GGUF)
    parts_installed: bool
    server_running: bool
    api_base: str = ""
    pid: int = 0
    port: int = 0
    #: 0 when the server runs in the foreground (`ratchet model serve`)
    owner_pid: int = 0


def model_status(workspace: Workspace | None, config: Config) -> ModelStatus:
    """Cheap: no hashing, no model loading (the stamp written by `prepare` says verified)."""
    settings = model_settings(config.model)
    uses_embedded = config.llm.model in ("", EMBEDDED) or config.llm.fallback == EMBEDDED
    if settings.bundled:
        weights = weights_status(settings.path, QWEN_CODER_05B)
        present, verified, detail = weights.present, weights.verified, weights.detail
        try:
            find_parts(QWEN_CODER_05B)
            parts = True
        except WeightsError as exc:
            parts, detail = False, f"{detail}; {exc}" if not verified else detail
    else:
        present = settings.path.is_file()
        verified = False
        detail = "custom GGUF file ([model] path); not checksummed" if present else "file not found"
        parts = True
    record = live_record(workspace) if workspace is not None else None
    model = f"{EMBEDDED}/{config.model.alias}" if config.llm.model in ("", EMBEDDED) else config.llm.model
    return ModelStatus(
        model=model,
        fallback=config.llm.fallback,
        uses_embedded=uses_embedded,
        weights_path=str(settings.path),
        bundled=settings.bundled,
        weights_present=present,
        weights_verified=verified,
        weights_detail=detail,
        parts_installed=parts,
        server_running=record is not None,
        api_base=record.api_base if record else "",
        pid=record.pid if record else 0,
        port=record.port if record else 0,
        owner_pid=record.owner_pid if record else 0,
    )
