"""Subgroup figures with their uncertainty: every gap with a bootstrap interval, and a
subgroup too small to judge read as "insufficient evidence" (证据不足), never as a pass.

Figures per subgroup (fairlearn's :class:`~fairlearn.metrics.MetricFrame`, its bootstrap
for the 95% intervals): red AUROC, observed over expected red (O/E), calibration in the
large (observed red rate minus mean P(red)) and the false-negative rate of the red tier.
A subgroup's gap is its figure minus all units'; its interval is the subgroup's interval
minus the all-units figure (the all-units figure, on every unit, varies far less than a
subgroup's). A subgroup needs ``fairness_min_units`` units and ``fairness_min_red`` red
outcomes (``risk/config/gate.yaml``) before its gap is judged.

The bootstrap is the expensive part: fairlearn recomputes every figure of every subgroup
per replicate, at about 0.05–0.1 s per replicate and grouping column on a few thousand
units (fairlearn 0.15), growing with the units. Columns that cut the units alike share one
bootstrap (same intervals, exactly), and ``intervals="measured"`` bootstraps only the
subgroups large enough to be judged, leaving the others' intervals empty (NaN): what the
model card, computed at every training, asks for.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from sklearn.metrics import roc_auc_score

from risk.errors import ModelError
from risk.i18n import Lang, both, text
from risk.models.tiers import tier_codes
from risk.registry import fairness_minimums

__all__ = ["FIGURES", "INSUFFICIENT", "MEASURED", "audit", "audit_lines", "status_label"]

MEASURED, INSUFFICIENT = "measured", "insufficient_evidence"
NAN = float("nan")


def _auroc_red(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if 0 < y.sum() < y.size else NAN


def _observed_expected_red(y: np.ndarray, p: np.ndarray) -> float:
    return float(y.sum() / p.sum()) if p.sum() > 0 else NAN


def _citl_red(y: np.ndarray, p: np.ndarray) -> float:
    return float(y.mean() - p.mean()) if y.size else NAN


def _fnr_red(y: np.ndarray, p: np.ndarray, tier_red: np.ndarray) -> float:
    red = np.asarray(y) == 1
    return float((np.asarray(tier_red)[red] == 0).mean()) if red.any() else NAN


#: The figures audited per subgroup.
FIGURES: dict[str, Callable[..., float]] = {
    "auroc_red": _auroc_red,
    "observed_expected_red": _observed_expected_red,
    "citl_red": _citl_red,
    "fnr_red": _fnr_red,
}
COLUMNS = (
    "group",
    "value",
    "n",
    "n_red",
    "status",
    "metric",
    "figure",
    "low",
    "high",
    "all_units",
    "gap",
    "gap_low",
    "gap_high",
)


def audit(
    groups: pd.DataFrame,
    y: Any,
    proba: Any,
    tiers: Any,
    *,
    n_boot: int = 100,
    seed: int = 0,
    minimums: tuple[int, int] | None = None,
    intervals: Literal["all", "measured"] = "all",
) -> pd.DataFrame:
    """One row per (grouping column, subgroup, figure): the figure, its 95% interval, the
    gap to all units with its interval, and the status (measured or insufficient evidence,
    in which case the gap is not judged: figure and gap are left as computed, for reading).

    ``intervals="measured"``: only measured subgroups get an interval (the bootstrap runs
    on their units alone); an insufficient one's ``low``, ``high``, ``gap_low`` and
    ``gap_high`` are NaN. ``n_boot`` of 1 or less: no bootstrap, every interval is the
    point figure itself.
    """
    if intervals not in ("all", "measured"):
        raise ValueError(f"intervals: expected 'all' or 'measured', got {intervals!r}")
    min_units, min_red = minimums or fairness_minimums()
    is_red = (tier_codes(np.asarray(y).ravel()) == 2).astype(int)
    n = is_red.size
    p = np.asarray(proba, np.float64)
    if p.shape != (n, 3):
        raise ModelError(f"proba: expected ({n}, 3) for {n} labels, got {p.shape}")
    if not np.isfinite(p).all():
        raise ModelError("proba: contains NaN or infinite values")
    tier_red = (tier_codes(np.asarray(tiers).ravel()) == 2).astype(int)
    if tier_red.size != n or len(groups) != n:
        raise ModelError(
            f"tiers, groups: expected {n} of each, got {tier_red.size} tiers, {len(groups)} rows"
        )
    p_red = p[:, 2]
    rows: list[dict[str, Any]] = []
    cache: dict[bytes, tuple[np.ndarray, pd.DataFrame, pd.DataFrame]] = {}
    for column in groups.columns:
        raw = groups[column].astype(object)
        values = raw.where(raw.notna(), "missing").astype(str).to_numpy()
        counts = pd.Series(values).value_counts()
        reds = pd.Series(is_red).groupby(values).sum()
        enough = {
            str(v): int(counts[v]) >= min_units and int(reds.get(v, 0)) >= min_red
            for v in counts.index
        }
        boot = np.ones(values.size, bool)
        if intervals == "measured":
            boot = np.isin(values, [v for v, ok in enough.items() if ok])
        point = _frame(str(column), values, is_red, p_red, tier_red, 0, seed)
        by_group, overall = point.by_group, point.overall
        if n_boot <= 1:
            low, high = by_group, by_group
        else:
            nan = pd.DataFrame(np.nan, index=by_group.index, columns=by_group.columns)
            low, high = nan, nan
            if boot.any():
                ci = _intervals(values, boot, is_red, p_red, tier_red, n_boot, seed, cache)
                low, high = ci[0].reindex(by_group.index), ci[1].reindex(by_group.index)
        for value in by_group.index:
            n, n_red = int(counts.get(value, 0)), int(reds.get(value, 0))
            for metric in FIGURES:
                everyone = float(overall[metric])
                figure = float(by_group.loc[value, metric])
                lo, hi = float(low.loc[value, metric]), float(high.loc[value, metric])
                rows.append(
                    {
                        "group": str(column),
                        "value": str(value),
                        "n": n,
                        "n_red": n_red,
                        "status": MEASURED if enough[str(value)] else INSUFFICIENT,
                        "metric": metric,
                        "figure": figure,
                        "low": lo,
                        "high": hi,
                        "all_units": everyone,
                        "gap": figure - everyone,
                        "gap_low": lo - everyone,
                        "gap_high": hi - everyone,
                    }
                )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _intervals(
    values: np.ndarray,
    boot: np.ndarray,
    is_red: np.ndarray,
    p_red: np.ndarray,
    tier_red: np.ndarray,
    n_boot: int,
    seed: int,
    cache: dict[bytes, tuple[np.ndarray, pd.DataFrame, pd.DataFrame]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 95% bounds per value of the units in ``boot``. Columns that cut those units the
    same way (screening's dispute type, source, counterpart: all "missing") share one
    bootstrap: the replicates draw rows, not values, so theirs would be the same."""
    codes, uniques = pd.factorize(values[boot])
    key = boot.tobytes() + codes.astype(np.int64).tobytes()
    if key not in cache:
        frame = _frame(
            "value", values[boot], is_red[boot], p_red[boot], tier_red[boot], n_boot, seed
        )
        low, high = frame.by_group_ci
        cache[key] = (np.asarray(uniques), low, high)
    first, low, high = cache[key]
    names = dict(zip(first, np.asarray(uniques), strict=True))
    return low.rename(index=names), high.rename(index=names)


def _frame(
    name: str,
    values: np.ndarray,
    is_red: np.ndarray,
    p_red: np.ndarray,
    tier_red: np.ndarray,
    n_boot: int,
    seed: int,
) -> MetricFrame:
    """fairlearn's frame of the figures per value (with ``n_boot`` replicates if > 1)."""
    with warnings.catch_warnings():
        # a small subgroup's figure is undefined in some replicates (one class only):
        # its interval is then NaN, read as insufficient evidence, not an error
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        return MetricFrame(
            metrics=FIGURES,
            y_true=is_red,
            y_pred=p_red,
            sensitive_features=pd.Series(values, name=name),
            sample_params={"fnr_red": {"tier_red": tier_red}},
            n_boot=n_boot if n_boot > 1 else None,
            ci_quantiles=[0.025, 0.975] if n_boot > 1 else None,
            random_state=seed,
        )


def audit_lines(table: pd.DataFrame, lang: Lang = "zh", metric: str = "citl_red") -> list[str]:
    """The audit as sentences: each subgroup's gap on ``metric`` with its interval, or
    "insufficient evidence" with the counts it has and needs."""
    min_units, min_red = fairness_minimums()
    out = []
    for r in table[table["metric"] == metric].itertuples():
        if r.status == INSUFFICIENT:
            out.append(
                text(
                    "fairness_insufficient",
                    lang,
                    group=r.group,
                    value=r.value,
                    n=r.n,
                    n_red=r.n_red,
                    need_units=min_units,
                    need_red=min_red,
                )
            )
        else:
            out.append(
                text(
                    "fairness_gap",
                    lang,
                    group=r.group,
                    value=r.value,
                    metric=metric,
                    gap=f"{r.gap:+.4f}",
                    low=f"{r.gap_low:+.4f}",
                    high=f"{r.gap_high:+.4f}",
                    n=r.n,
                )
            )
    return out


def status_label(status: str) -> tuple[str, str]:
    """A subgroup's status in Chinese and in English, from the one label table."""
    return both("monitor_insufficient" if status == INSUFFICIENT else "fairness_measured")
