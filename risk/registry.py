"""The MLflow tracking store and model registry: where models are logged, found, promoted.

Which store is used is decided by :func:`risk.store.resolve`: an explicit URI, else
``RISK_MLFLOW_URI``, else MLflow's ``MLFLOW_TRACKING_URI``, else SQLite in
``mlruns/`` under ``RISK_HOME`` (the checkout of a development install by default).
Promotion moves the ``@champion`` alias only through :func:`promote`'s gate.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from risk.errors import ModelError
from risk.i18n import both
from risk.store import Store, resolve

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

    from risk.compare import Shortfall
    from risk.dataset import Ledger
    from risk.models.triage import TriageModel

__all__ = [
    "CHAMPION",
    "MODEL_NAME",
    "GateResult",
    "Registry",
    "gate",
    "shortfall",
]

MODEL_NAME = "risk-triage"
CHAMPION = "champion"
NAN = float("nan")


def _gate_file(path: Path | None = None) -> dict[str, Any]:
    from importlib import resources

    text = (
        Path(path).read_text("utf-8")
        if path is not None
        else resources.files("risk").joinpath("config", "gate.yaml").read_text("utf-8")
    )
    return dict(yaml.safe_load(text))


def fairness_minimums(path: Path | None = None) -> tuple[int, int]:
    """Units and red units a subgroup needs before the gate judges its gap."""
    data = _gate_file(path)
    return int(data.get("fairness_min_units", 500)), int(data.get("fairness_min_red", 20))


def gate_settings(path: Path | None = None) -> dict[str, Any]:
    """The gate file's other sections (``monitoring`` bands, bootstrap size, ...)."""
    return {k: v for k, v in _gate_file(path).items() if k != "metrics"}


def load_gate(path: Path | None = None) -> dict[str, tuple[str, float]]:
    """The gate's rules, metric → (which direction is better, tolerance), from YAML.
    ``zero`` is better for a signed figure whose ideal is 0 (calibration in the large)."""
    data = _gate_file(path)
    rules = {}
    for metric, rule in (data.get("metrics") or {}).items():
        if rule.get("better") not in ("higher", "lower", "zero"):
            raise ModelError(f"gate {metric}: 'better' must be higher, lower or zero")
        rules[metric] = (str(rule["better"]), float(rule["tolerance"]))
    return rules


#: Gate metrics (logged on the test period) and how much worse a candidate may be.
GATE: dict[str, tuple[str, float]] = load_gate()


@dataclass(frozen=True)
class GateResult:
    passed: bool
    checks: list[dict[str, Any]]

    def summary(self) -> str:
        lines = []
        for c in self.checks:
            mark = "ok " if c["ok"] else "NO "
            if not c.get("measured", True):
                lines.append(
                    f"证据不足 / insufficient evidence {c['metric']}: not measurable on these "
                    "units (too few units or events of its class); not judged, not passed"
                )
                continue
            low, high = c.get("shortfall_low", NAN), c.get("shortfall_high", NAN)
            interval = f"; worse by {low:+.4f} to {high:+.4f} (95%)" if math.isfinite(low) else ""
            noise = "; " + " / ".join(both("gate_within_noise")) if c.get("within_noise") else ""
            lines.append(
                f"{mark}{c['metric']}: candidate {c['candidate']:.4f}, champion "
                f"{c['champion']:.4f} ({c['direction']} is better, tolerance "
                f"{c['tolerance']}{interval}{noise})"
            )
        return "\n".join(lines)


def gate(
    candidate: dict[str, float],
    champion: dict[str, float],
    rules: dict[str, tuple[str, float]] | None = None,
    shortfalls: dict[str, Shortfall] | None = None,
) -> GateResult:
    """Whether ``candidate`` is no worse than ``champion`` on every gate metric.

    A figure fails when the candidate is worse by more than its tolerance and, where
    ``shortfalls`` gives the paired bootstrap's 95% interval of how much worse it is
    (:func:`risk.compare.shortfalls`, both models on the same held-out units), that
    interval lies above zero: worse beyond what drawing other units would change. A
    shortfall inside the interval's noise passes and says so ("within noise").
    A metric the candidate lacks fails; one the champion lacks passes (nothing to compare).
    A figure undefined for both on the same units (NaN: e.g. no red unit to rank, no
    subgroup large enough), or resting on fewer held-out events of its class than
    gate.yaml's ``min_events``, is not judged: the check says "insufficient evidence", and
    it does not stop the promotion unless gate.yaml says ``insufficient_evidence: refuse``.
    """
    settings = gate_settings()
    refuse_unmeasured = settings.get("insufficient_evidence", "report") == "refuse"
    min_events = int(settings.get("min_events", 0))
    checks = []
    for metric, (direction, tolerance) in (rules or GATE).items():
        new, old = _defined(candidate.get(metric)), _defined(champion.get(metric))
        events = _events(metric, candidate)
        unmeasured = metric in candidate and metric in champion and new is None and old is None
        unmeasured = unmeasured or (events is not None and events < min_events)
        if unmeasured:
            ok = not refuse_unmeasured
        elif old is None:
            ok = new is not None
        elif new is None:
            ok = False
        else:
            ok = shortfall(direction, new, old) <= tolerance
        interval = (shortfalls or {}).get(metric)
        low, high = (interval.low, interval.high) if interval is not None else (NAN, NAN)
        # worse beyond the tolerance, but the paired interval reaches "no worse at all"
        noise = not ok and new is not None and old is not None
        noise = noise and math.isfinite(low) and low <= 0
        checks.append(
            {
                "metric": metric,
                "candidate": NAN if new is None else new,
                "champion": NAN if old is None else old,
                "direction": direction,
                "tolerance": tolerance,
                "shortfall_low": low,
                "shortfall_high": high,
                "ok": ok or noise,
                "within_noise": noise,
                "measured": not unmeasured,
            }
        )
    return GateResult(all(c["ok"] for c in checks), checks)


def shortfall(direction: str, candidate: float, champion: float) -> float:
    """How much worse the candidate is (negative: better)."""
    if direction == "higher":
        return champion - candidate
    if direction == "zero":
        return abs(candidate) - abs(champion)
    return candidate - champion


def _events(metric: str, figures: dict[str, float]) -> float | None:
    """The held-out events a decision's red or yellow-or-red figure rests on (None when
    the figures do not say, or the metric is a fairness gap, judged per subgroup)."""
    parts = metric.split("_")
    if len(parts) < 3 or "fairness" in parts:
        return None
    head = "_".join(parts[:2])  # test_intake, test_screening
    red = figures.get(f"{head}_n_label_red")
    if metric.endswith("yellow_or_red"):
        yellow = figures.get(f"{head}_n_label_yellow")
        return None if red is None or yellow is None else red + yellow
    return red if metric.endswith("_red") or "red_" in metric else None


def _defined(value: float | None) -> float | None:
    return None if value is None or value != value else float(value)


class Registry:
    """A thin, typed face on MLflow's client for the one model this product registers."""

    def __init__(self, uri: str | Store | None = None, name: str = MODEL_NAME) -> None:
        import mlflow
        from mlflow import MlflowClient

        self.store = uri if isinstance(uri, Store) else resolve(uri)
        self.uri = self.store.uri
        self.name = name
        mlflow.set_tracking_uri(self.uri)
        mlflow.set_registry_uri(self.uri)
        self.client = MlflowClient(self.uri, self.uri)

    def experiment(self, name: str) -> str:
        """The id of experiment ``name``, created (artifacts beside the store) if absent."""
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return str(found.experiment_id)
        location = None
        if self.uri.startswith("sqlite:///"):
            store = Path(self.uri.removeprefix("sqlite:///"))
            location = (store.parent / "artifacts").resolve().as_uri()
        return str(self.client.create_experiment(name, artifact_location=location))

    def version_of(self, ref: str) -> ModelVersion:
        """A model version by number, ``@alias`` or ``models:/name@alias`` URI."""
        from mlflow.exceptions import MlflowException

        ref = ref.removeprefix(f"models:/{self.name}").lstrip("/")
        try:
            if ref.startswith("@"):
                return self.client.get_model_version_by_alias(self.name, ref[1:])
            return self.client.get_model_version(self.name, ref)
        except MlflowException as exc:
            raise ModelError(f"model {self.name} {ref}: not in the registry at {self.uri}") from exc

    def locate(self, ref: str) -> str:
        """The model URI that loads ``ref``: a reference to this registry's model (a
        version, ``@alias``, ``models:/name/N`` or ``models:/name@alias``) is pinned to the
        version it names now, ``models:/name/N``; any other URI (``runs:/``...) is kept."""
        if ":/" in ref and not ref.startswith((f"models:/{self.name}/", f"models:/{self.name}@")):
            return ref
        return f"models:/{self.name}/{self.version_of(ref).version}"

    def load(self, ref: str) -> TriageModel:
        """The :class:`~risk.models.triage.TriageModel` behind a model URI or version.

        Its ``info.version`` is the registry's number for the version loaded, whatever was
        saved with the model at training (a model loaded by ``runs:/`` keeps that label).
        """
        import mlflow

        from risk.models.triage import TriageModel

        uri = self.locate(ref)
        try:
            pyfunc = mlflow.pyfunc.load_model(uri)
        except Exception as exc:  # MLflow raises many kinds for a bad or missing model
            raise ModelError(f"model {uri}: cannot load: {exc}") from exc
        model = pyfunc.unwrap_python_model().model
        if not isinstance(model, TriageModel):
            raise ModelError(f"model {uri}: not a risk-triage model ({type(model).__name__})")
        if not hasattr(model, "decisions"):
            raise ModelError(
                f"model {uri}: saved by an earlier release, with one threshold pair for cases "
                "and surveys together; train a new model (risk train) and promote it"
            )
        version = uri.removeprefix(f"models:/{self.name}/")
        if version != uri:
            model.info = replace(model.info, version=version)
        return model

    def ledger_of(self, version: ModelVersion, dest: Path) -> Ledger | None:
        """The ledger a registered version was trained on (logged with its run), or None."""
        import mlflow
        from mlflow.exceptions import MlflowException

        from risk.dataset import load_ledger

        try:
            folder = mlflow.artifacts.download_artifacts(
                run_id=version.run_id,
                artifact_path="ledger",
                dst_path=str(dest),
                tracking_uri=self.uri,
            )
        except (MlflowException, OSError):
            return None
        return load_ledger(Path(folder))

    def champion(self) -> ModelVersion | None:
        try:
            return self.version_of(f"@{CHAMPION}")
        except ModelError:
            return None

    def metrics(self, version: ModelVersion) -> dict[str, float]:
        """The metrics logged with ``version``'s run (none for a version without a run)."""
        if version.run_id is None:
            return {}
        return dict(self.client.get_run(version.run_id).data.metrics)

    def held_out_metrics(
        self, candidate: ModelVersion, champion: ModelVersion
    ) -> tuple[dict[str, float], dict[str, float], dict[str, Shortfall]]:
        """Both models' figures on the same held-out units, the candidate's test period,
        and how much worse the candidate is on each gate figure, with its paired interval.

        Each model's own run was measured on its own ledger, and two such figures do not
        compare; here both score the test period of the ledger the candidate was trained
        on (logged with its run), cut into the same grid groups (by each grid's red rate in
        that ledger's training period, as its run was). When some figure is worse beyond
        its tolerance, a paired bootstrap over those units (``gate_bootstrap`` replicates,
        gate.yaml) gives each shortfall its 95% interval (:func:`risk.compare.shortfalls`;
        about 0.07 s a replicate on 3,000 units of a decision); otherwise there is nothing
        for an interval to decide, and none is computed. Without that ledger, each run's
        own figures are used, and there are no intervals.
        """
        import tempfile

        from risk.compare import shortfalls
        from risk.dataset import grid_groups, time_split
        from risk.evaluate import evaluate

        with tempfile.TemporaryDirectory() as tmp:
            ledger = self.ledger_of(candidate, Path(tmp))
            if ledger is None:
                return self.metrics(candidate), self.metrics(champion), {}
            splits = time_split(ledger.units())
        test = splits["test"]
        grids = grid_groups(test.units, splits["train"].units)
        new, old = (
            evaluate(
                self.load(f"models:/{self.name}/{version.version}"),
                test.units,
                test.labels,
                prefix="test",
                grid_group=grids,
            )
            for version in (candidate, champion)
        )
        if gate(new.metrics, old.metrics).passed:
            return new.metrics, old.metrics, {}  # nothing worse beyond its tolerance
        scored = [(e.scored["model"].proba, e.scored["model"].tiers) for e in (new, old)]
        intervals = shortfalls(
            GATE,
            test.labels,
            new.decisions,
            new.groups,
            new.subgroups,
            *scored,
            n_boot=int(gate_settings().get("gate_bootstrap", 200)),
        )
        return new.metrics, old.metrics, intervals

    def promote(self, ref: str, *, force: bool = False, reason: str | None = None) -> GateResult:
        """Point ``@champion`` at version ``ref`` if it passes the gate, or with ``force``.

        A forced promotion needs a reason, which is recorded on the version and the run.
        """
        candidate = self.version_of(ref)
        current = self.champion()
        if force and not (reason and reason.strip()):
            raise ModelError("promote --force needs --reason: why the gate is overridden")
        result = GateResult(True, [])
        if current is not None and str(current.version) != str(candidate.version):
            new, old, intervals = self.held_out_metrics(candidate, current)
            result = gate(new, old, shortfalls=intervals)
        if not result.passed and not force:
            return result
        self.client.set_registered_model_alias(self.name, CHAMPION, candidate.version)
        record = {
            "forced": bool(force and not result.passed),
            "reason": reason or "",
            "previous": None if current is None else current.version,
            "gate": result.checks,
        }
        self.client.set_model_version_tag(
            self.name, candidate.version, "promotion", json.dumps(record, ensure_ascii=False)
        )
        if candidate.run_id is not None:
            self.client.set_tag(candidate.run_id, "promotion", yaml.safe_dump(record))
        return result
