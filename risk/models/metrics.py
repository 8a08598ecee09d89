"""The figures every evaluation reports: probability quality, tier outcomes, subgroups.

All functions take label ranks (0 green, 1 yellow, 2 red) and return plain dicts or
frames with stable snake_case names (they become MLflow metric names). A figure that is
undefined on the data given (AUROC with one class, red recall with no red unit) is NaN,
never an error: subgroups are often small.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, cohen_kappa_score, roc_auc_score

from risk.errors import ModelError
from risk.models.calibration import expected_calibration_error
from risk.models.tiers import TIERS, tier_codes

__all__ = ["agreement", "probability_metrics", "subgroup_table", "tier_metrics"]

NAN = float("nan")
#: The columns of :func:`subgroup_table` whose gap to all units is reported.
SUBGROUP_FIGURES = ("auroc_red", "observed_expected_red", "red_share", "fnr_red")


def _labels(y: Any) -> np.ndarray:
    y = tier_codes(np.asarray(y).ravel())
    if y.size == 0:
        raise ModelError("y: no labelled units to measure")
    return y


def _proba(proba: Any, n: int) -> np.ndarray:
    p = np.asarray(proba, np.float64)
    if p.shape != (n, 3):
        raise ModelError(f"proba: expected ({n}, 3) for {n} labels, got {p.shape}")
    if not np.isfinite(p).all():
        raise ModelError("proba: contains NaN or infinite values")
    return p


def _tiers(tiers: Any, n: int) -> np.ndarray:
    rank = tier_codes(np.asarray(tiers).ravel())
    if rank.size != n:
        raise ModelError(f"tiers: expected {n} tiers, got {rank.size}")
    return rank


def _share(hit: np.ndarray) -> float:
    """Mean of a boolean array, NaN when empty."""
    return float(hit.mean()) if hit.size else NAN


def _auroc(positive: np.ndarray, score: np.ndarray) -> float:
    """AUROC, NaN when only one class is present."""
    if positive.all() or not positive.any():
        return NAN
    return float(roc_auc_score(positive, score))


def probability_metrics(y: Any, proba: Any) -> dict[str, float]:
    """AUROC, PR-AUC, Brier and ECE for each tier one-vs-rest and for yellow-or-red.

    Keys are ``{auroc,pr_auc,brier,ece,observed_expected,citl}_{green,yellow,red,yellow_or_red}``
    (observed over expected: the class's count over its summed probability; ``citl``,
    calibration in the large: the class's observed rate minus its mean probability);
    P(yellow or red) is ``1 − p_green``.
    """
    y = _labels(y)
    proba = _proba(proba, y.size)
    targets = {t: (y == i, proba[:, i]) for i, t in enumerate(TIERS)}
    targets["yellow_or_red"] = (y >= 1, 1.0 - proba[:, 0])
    out: dict[str, float] = {}
    for name, (positive, p) in targets.items():
        out[f"auroc_{name}"] = _auroc(positive, p)
        out[f"pr_auc_{name}"] = (
            float(average_precision_score(positive, p)) if positive.any() else NAN
        )
        out[f"brier_{name}"] = float(np.mean((p - positive) ** 2))
        out[f"ece_{name}"] = expected_calibration_error(positive, p)
        expected = float(p.sum())
        out[f"observed_expected_{name}"] = float(positive.sum() / expected) if expected else NAN
        out[f"citl_{name}"] = float(positive.mean() - p.mean())
    return out


def tier_metrics(y: Any, tiers: Any) -> dict[str, float]:
    """What the tiers achieve: red recall and precision, red share, green safety, mix.

    ``red_recall``: of red-labelled units, the share tiered red; ``red_precision``: of
    units tiered red, the share labelled red; ``green_npv``: of units tiered green, the
    share not ending red (``green_red_rate`` is the rest); ``yellow_or_red_recall``: of
    units labelled yellow or red, the share not tiered green; ``mix_<tier>``: tier shares.
    """
    y = _labels(y)
    rank = _tiers(tiers, y.size)
    red, green, is_red = rank == 2, rank == 0, y == 2
    out = {
        "red_recall": _share(red[is_red]),
        "red_precision": _share(is_red[red]),
        "red_share": float(red.mean()),
        "green_npv": _share(~is_red[green]),
        "green_red_rate": _share(is_red[green]),
        "yellow_or_red_recall": _share(~green[y >= 1]),
    }
    for i, t in enumerate(TIERS):
        out[f"mix_{t}"] = float((rank == i).mean())
    return out


def agreement(tiers: Any, assessed: Any) -> dict[str, float]:
    """Agreement with the worker's own tier where one was recorded (missing is skipped).

    ``n``: units with an assessed tier; ``exact``: share with the same tier;
    ``kappa_quadratic``: Cohen's kappa with quadratic weights (NaN when both use one tier).
    """
    theirs_all = pd.Series(np.asarray(assessed, object).ravel())
    ours_all = np.asarray(tiers).ravel()
    if ours_all.size != theirs_all.size:
        raise ModelError(f"assessed: expected {ours_all.size} values, got {theirs_all.size}")
    present = theirs_all.notna().to_numpy()
    if not present.any():
        return {"n": 0.0, "exact": NAN, "kappa_quadratic": NAN}
    ours = tier_codes(ours_all[present])
    theirs = tier_codes(theirs_all[present].astype(str).to_numpy())
    if np.unique(np.concatenate([ours, theirs])).size < 2:
        kappa = NAN  # no disagreement is possible by chance: kappa is undefined
    else:
        kappa = float(cohen_kappa_score(ours, theirs, labels=[0, 1, 2], weights="quadratic"))
    return {
        "n": float(present.sum()),
        "exact": float((ours == theirs).mean()),
        "kappa_quadratic": kappa,
    }


def subgroup_table(groups: pd.DataFrame, y: Any, proba: Any, tiers: Any) -> pd.DataFrame:
    """Per value of each column of ``groups``: the red figures and their gap to all units.

    One row per (group, value), after a first row for all units (group and value
    ``"all"``); missing values form their own subgroup ``"missing"``. Columns: group,
    value, n, n_red (red-labelled units), auroc_red, observed_expected_red (red labels
    over summed P(red)), citl_red (red rate minus mean P(red)), red_share (tiered red),
    fnr_red (red-labelled units not tiered red), and ``<figure>_gap`` = the subgroup's
    figure minus all units'.
    """
    y = _labels(y)
    proba = _proba(proba, y.size)
    rank = _tiers(tiers, y.size)
    if len(groups) != y.size:
        raise ModelError(f"groups: expected {y.size} rows, got {len(groups)}")
    everyone = _group_row(np.ones(y.size, bool), y, proba, rank)
    rows = [{"group": "all", "value": "all", **everyone}]
    for column in groups.columns:
        raw = groups[column].astype(object)
        values = raw.where(raw.notna(), "missing").astype(str).to_numpy()
        for value in sorted(set(values)):
            rows.append(
                {
                    "group": str(column),
                    "value": value,
                    **_group_row(values == value, y, proba, rank),
                }
            )
    table = pd.DataFrame(rows)
    for key in SUBGROUP_FIGURES:
        table[f"{key}_gap"] = table[key] - everyone[key]
    return table


def _group_row(
    mask: np.ndarray, y: np.ndarray, proba: np.ndarray, rank: np.ndarray
) -> dict[str, float | int]:
    is_red = y[mask] == 2
    expected = float(proba[mask, 2].sum())
    return {
        "n": int(mask.sum()),
        "n_red": int(is_red.sum()),
        "auroc_red": _auroc(is_red, proba[mask, 2]),
        "observed_expected_red": float(is_red.sum() / expected) if expected > 0 else NAN,
        "citl_red": float(is_red.mean() - proba[mask, 2].mean()) if mask.any() else NAN,
        "red_share": float((rank[mask] == 2).mean()),
        "fnr_red": _share(rank[mask][is_red] != 2),
    }
