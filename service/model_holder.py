"""The served model: loaded once, swapped whole on reload, never half-loaded."""

from __future__ import annotations

import threading
from typing import Any

from risk.registry import Registry

__all__ = ["ModelHolder"]


class ModelHolder:
    """Holds the current TriageModel; :meth:`reload` keeps the old one if loading fails."""

    def __init__(self, uri: str | None, ref: str) -> None:
        self.uri, self.ref = uri, ref
        self._lock = threading.Lock()
        self.model: Any = None
        self.version: str | None = None

    def load(self) -> Any:
        """Load ``ref`` from the registry; raise (keeping the current model) on failure."""
        registry = Registry(self.uri)
        model = registry.load(self.ref)
        version = str(model.info.version)
        with self._lock:  # one assignment: requests see the old model or the new one
            self.model, self.version = model, version
        return model

    def current(self) -> Any:
        return self.model
