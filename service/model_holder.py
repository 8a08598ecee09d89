"""The served model: loaded once, swapped whole on reload, never half-loaded."""

from __future__ import annotations

import threading

from risk.errors import ModelError
from risk.heap import freeze_long_lived
from risk.models.triage import TriageModel
from risk.registry import Registry
from service.errors import ServiceError
from service.metrics import model_served

__all__ = ["ModelHolder"]


class ModelHolder:
    """Holds the current TriageModel; :meth:`reload` keeps the old one if loading fails.

    After a failed load, :attr:`problem` is the message key of why (the model is not in
    the registry, or its files cannot be read), for ``/readyz`` and the reload answer.
    :attr:`version` is the registry's number of the version loaded (``ref`` pinned to it
    first, so a champion moved meanwhile cannot mislabel it).
    """

    def __init__(self, uri: str | None, ref: str) -> None:
        self.uri, self.ref = uri, ref
        self._lock = threading.Lock()
        self.model: TriageModel | None = None
        self.version: str | None = None
        self.problem: str | None = None
        #: the newest reload asked for (:mod:`service.reloads`) that this process acted on
        self.reload_seen = 0

    def load(self) -> TriageModel:
        """Load ``ref`` from the registry; raise (keeping the current model) on failure."""
        registry = Registry(self.uri)
        try:
            uri = registry.locate(self.ref)
        except ModelError:
            self.problem = "model_not_registered"
            raise
        try:
            model = registry.load(uri)
        except ModelError:
            self.problem = "model_unreadable"
            raise
        with self._lock:  # one assignment: requests see the old model or the new one
            old = self.version
            self.model, self.version, self.problem = model, model.info.version, None
        model_served(old, model.info.version)
        freeze_long_lived()  # (a full collector pass stalled every request for 0.2 s)
        return model

    def current(self) -> TriageModel | None:
        """The model serving now, or None."""
        return self.model

    def serving(self) -> TriageModel:
        """The model serving now; 503 (``model_unavailable``) when none is loaded."""
        model = self.model
        if model is None:
            raise ServiceError(503, "model_unavailable")
        return model
