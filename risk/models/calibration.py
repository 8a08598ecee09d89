"""Platt scaling of a logit, which keeps additive reasons exact, and calibration error.

Platt scaling maps a raw logit ``z`` to ``a * z + b``. An EBM's logit is its intercept
plus its term contributions, so the calibrated logit is ``(a * intercept + b)`` plus
``a`` times each contribution: the reasons still add up exactly to the calibrated logit.
Isotonic regression would not allow that, which is why it is not offered here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risk.errors import ModelError

__all__ = ["PlattScaling", "expected_calibration_error", "sigmoid"]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, elementwise, without overflow warnings."""
    z = np.asarray(z, np.float64)
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@dataclass
class PlattScaling:
    """Logistic regression of a binary outcome on one logit: ``p = sigmoid(a * z + b)``.

    Fitted by Newton's method with a backtracking line search on the (weighted) log loss
    and two Gaussian priors centred on the classifier's own logit (``a = 1, b = 0``), each
    worth a number of events. The fit is in the parameters ``a·(z − z̄) + c`` (``z̄`` the
    logit where the classifier expects its events), whose informations are nearly
    independent, so the two priors are too:

    - the *slope* ``a``, worth ``prior_events``: a calibration period with few events
      bends the classifier's ranking little instead of flattening it onto three cases;
    - the *level* ``c`` (calibration in the large), by empirical Bayes: the classifier's
      own level is its training period's, which is wrong once the population has moved
      (a new county) and right when only chance moved the period's count of events. The
      period's own departure ``d`` from the classifier's level (with slope 1), measured
      with variance ``v`` (one over the events' information), says how far levels move:
      ``τ² = max(0, d² − v)``, and the prior on the level is worth ``1 / τ²`` events, at
      least ``level_prior_events``. A departure within its noise keeps the classifier's
      level; one far beyond it is followed almost fully (weight ``1 − v / d²``).
      ``empirical_level=False`` keeps the prior at ``level_prior_events``.

    ``prior_events`` and ``level_prior_events`` of 0 (with ``empirical_level=False``) give
    plain maximum likelihood (a tiny ridge keeps a separable calibration set finite).
    """

    prior_events: float = 0.0
    level_prior_events: float = 0.0
    empirical_level: bool = False
    max_iter: int = 100
    tol: float = 1e-10
    ridge: float = 1e-8

    def fit(
        self, logit: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> PlattScaling:
        z = np.asarray(logit, np.float64).ravel()
        t = np.asarray(y, np.float64).ravel()
        if z.shape != t.shape:
            raise ModelError(f"y: expected {z.shape[0]} labels, got {t.shape[0]}")
        if z.size == 0 or not np.isfinite(z).all():
            raise ModelError("logit: empty or not finite; cannot calibrate")
        if not np.isin(t, (0.0, 1.0)).all():
            raise ModelError("y: Platt scaling needs binary labels 0/1")
        if self.prior_events < 0 or self.level_prior_events < 0:
            raise ModelError(
                f"prior_events, level_prior_events: expected ≥ 0, got {self.prior_events!r}, "
                f"{self.level_prior_events!r}"
            )
        w = np.ones_like(z) if sample_weight is None else np.asarray(sample_weight, np.float64)
        # Where the classifier expects its events, and how its logit spreads there: the
        # information one event carries about the slope is about that variance.
        p0 = sigmoid(z)
        h = w * p0 * (1.0 - p0)
        h = h if h.sum() > 0 else w
        centre = float(np.average(z, weights=h))
        x = z - centre
        spread = float(np.average(x**2, weights=h))
        design = np.column_stack([x, np.ones_like(x)])
        prior = np.array([1.0, centre])  # a·(z − z̄) + c = z
        level = self.level_prior_events
        if self.empirical_level:
            level = max(level, 1.0 / max(self._level_spread(z, t, w), 1e-12))
        precision = np.diag([self.prior_events * spread, level])
        precision += self.ridge * np.eye(2)

        def loss(theta: np.ndarray) -> float:
            eta = design @ theta
            d = theta - prior
            return float((w * (np.logaddexp(0.0, eta) - t * eta)).sum() + 0.5 * d @ precision @ d)

        params = prior.copy()
        current = loss(params)
        for _ in range(self.max_iter):
            p = sigmoid(design @ params)
            grad = design.T @ (w * (p - t)) + precision @ (params - prior)
            hess = (design * (w * p * (1.0 - p))[:, None]).T @ design + precision
            step = np.linalg.solve(hess, grad)
            scale = 1.0
            while True:  # the loss is convex: halve the step until it no longer rises
                trial = params - scale * step
                value = loss(trial)
                if value <= current or scale < 1e-10:
                    break
                scale *= 0.5
            params, current = trial, value
            if np.abs(scale * step).max() < self.tol:
                break
        self.a_ = float(params[0])
        self.b_ = float(params[1] - params[0] * centre)
        return self

    def _level_spread(self, z: np.ndarray, t: np.ndarray, w: np.ndarray) -> float:
        """``τ²``: the period's departure from the classifier's level (``z + d``, by
        Newton's method, held finite by ``level_prior_events``), squared, less its
        sampling variance, or 0."""
        d, info = 0.0, 0.0
        for _ in range(self.max_iter):
            p = sigmoid(z + d)
            info = float((w * p * (1.0 - p)).sum()) + self.level_prior_events + self.ridge
            step = (float((w * (p - t)).sum()) + self.level_prior_events * d) / info
            d -= float(np.clip(step, -2.0, 2.0))
            if abs(step) < self.tol:
                break
        return max(0.0, d * d - 1.0 / info)

    def transform(self, logit: np.ndarray) -> np.ndarray:
        """The calibrated logit ``a * z + b``."""
        return self.a_ * np.asarray(logit, np.float64) + self.b_

    def predict_proba(self, logit: np.ndarray) -> np.ndarray:
        """The calibrated probability of the positive class."""
        return sigmoid(self.transform(logit))


def expected_calibration_error(
    y_true: np.ndarray, p: np.ndarray, n_bins: int = 15, strategy: str = "uniform"
) -> float:
    """Mean |observed rate − mean probability| over bins of ``p``, weighted by bin size.

    ``strategy="uniform"`` bins [0, 1] into equal widths; ``"quantile"`` into equal counts.
    """
    y = np.asarray(y_true, np.float64).ravel()
    p = np.asarray(p, np.float64).ravel()
    if y.shape != p.shape or y.size == 0:
        raise ModelError(f"y_true: expected {p.size} labels, got {y.size}")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.unique(np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1)))
    else:
        raise ModelError(f"strategy: expected 'uniform' or 'quantile', got {strategy!r}")
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    count = np.bincount(which, minlength=len(edges) - 1)
    gap = np.abs(
        np.bincount(which, weights=y, minlength=len(edges) - 1)
        - np.bincount(which, weights=p, minlength=len(edges) - 1)
    )
    return float(gap.sum() / count.sum())
