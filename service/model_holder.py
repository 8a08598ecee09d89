"""The served model: loaded once, swapped whole on reload, never half-loaded."""

from __future__ import annotations

import threading
from typing import Any

from risk.errors import ModelError
from risk.heap import freeze_long_lived
from risk.registry import Registry
from service.errors import ServiceError

__all__ = ["ModelHolder"]


class ModelHolder:
    """Holds the current TriageModel; :meth:`reload` keeps the old one if loading fails.

    After a failed load, :attr:`problem` is the message key of why (the model is not in
    the registry, or its files cannot be read), for ``/readyz`` and the reload answer.
    """

    def __init__(self, uri: str | None, ref: str) -> None:
        self.uri, self.ref = uri, ref
        self._lock = threading.Lock()
        self.model: Any = None
        self.version: str | None = None
        self.problem: str | None = None
        #: the newest reload asked for (:mod:`service.reloads`) that this process acted on
        self.reload_seen = 0

    def load(self) -> Any:
        """Load ``ref`` from the registry; raise (keeping the current model) on failure."""
        registry = Registry(self.uri)
        try:
            if self.ref.startswith((f"models:/{registry.name}/", f"models:/{registry.name}@")):
                registry.version_of(self.ref)
        except ModelError:
            self.problem = "model_not_registered"
            raise
        try:
            model = registry.load(self.ref)
        except ModelError:
            self.problem = "model_unreadable"
            raise
        version = str(model.info.version)
        with self._lock:  # one assignment: requests see the old model or the new one
            self.model, self.version, self.problem = model, version, None
        freeze_long_lived()  # (a full collector pass stalled every request for 0.2 s)
        return model

    def current(self) -> Any:
        """The model serving now, or None."""
        return self.model

    def serving(self) -> Any:
        """The model serving now; 503 (``model_unavailable``) when none is loaded."""
        model = self.model
        if model is None:
            raise ServiceError(503, "model_unavailable")
        return model
