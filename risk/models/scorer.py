"""A compiled, exact scorer for a fitted Explainable Boosting Machine.

interpret's ``eval_terms`` is fast in batch but costs about half a millisecond for one
row. :class:`CompiledEBM` reads the fitted tables (``bins_``, ``term_features_``,
``term_scores_``, ``intercept_``) once and scores with plain lookups: ``searchsorted``
over the cut points of a continuous feature, a dict for the categories of a nominal one,
bin 0 for a missing value and the last bin for an unseen category, exactly as interpret
bins them. Sums run term by term in interpret's order, so the logit is bit-for-bit the
same as ``ebm.decision_function``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from risk.errors import ModelError

__all__ = ["CompiledEBM", "compile_ebm"]


@dataclass(frozen=True)
class _Binner:
    """How one feature is binned at one resolution (mains or interactions)."""

    cuts: np.ndarray | None = None  # continuous: ascending cut points
    categories: dict[float, int] = field(default_factory=dict)  # nominal: code → bin

    def bin_array(self, col: np.ndarray) -> np.ndarray:
        """Bin indexes for a float column: 0 missing, -1 unseen category."""
        if self.cuts is not None:
            idx = np.searchsorted(self.cuts, col, side="right") + 1
            idx[np.isnan(col)] = 0
            return idx
        idx = np.zeros(col.shape[0], np.int64)
        present = ~np.isnan(col)
        table = self._small_code_table()
        if table is not None:
            # Codes are small whole numbers (the contract's enum codes): index a table.
            whole = present & (col >= 0) & (col < table.size) & (col == np.floor(col))
            idx[present] = -1
            idx[whole] = table[col[whole].astype(np.int64)]
            return idx
        if present.any():
            uniques, inverse = np.unique(col[present], return_inverse=True)
            get = self.categories.get
            mapping = np.fromiter((get(u, -1) for u in uniques.tolist()), np.int64, len(uniques))
            idx[present] = mapping[inverse]
        return idx

    def same_as(self, other: _Binner | None) -> bool:
        if other is None:
            return False
        if self.cuts is None or other.cuts is None:
            return self.cuts is None and other.cuts is None and self.categories == other.categories
        return bool(np.array_equal(self.cuts, other.cuts))

    def _small_code_table(self) -> np.ndarray | None:
        """code → bin as an array when every category is a whole number in [0, 1024)."""
        codes = list(self.categories)
        if not codes or not all(c.is_integer() and 0 <= c < 1024 for c in codes):
            return None
        table = np.full(int(max(codes)) + 1, -1, np.int64)
        for code, b in self.categories.items():
            table[int(code)] = b
        return table

    def bin_one(self, value: float, cuts: list[float] | None) -> int:
        """The bin index of one value (``cuts`` is :attr:`cuts` as a list, for speed)."""
        if value != value:  # NaN
            return 0
        if cuts is not None:
            return bisect_right(cuts, value) + 1
        return self.categories.get(value, -1)


@dataclass
class CompiledEBM:
    """Lookup tables of a fitted binary EBM: per-term contributions and the logit."""

    intercept: float
    feature_names: list[str]
    term_features: list[tuple[int, ...]]
    term_names: list[str]
    term_scores: list[np.ndarray]
    binners: dict[tuple[int, int], _Binner]
    term_binners: list[tuple[tuple[int, int], ...]]
    _lists: list[Any] = field(default_factory=list, repr=False)
    _cut_lists: dict[tuple[int, int], list[float] | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._lists = [scores.tolist() for scores in self.term_scores]
        self._cut_lists = {
            key: (None if b.cuts is None else b.cuts.tolist()) for key, b in self.binners.items()
        }

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_lists"] = []
        state["_cut_lists"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__post_init__()

    @property
    def n_terms(self) -> int:
        return len(self.term_features)

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.feature_names):
            raise ModelError(
                f"X: expected shape (n, {len(self.feature_names)}), got {tuple(X.shape)}"
            )
        return X

    def bin_all(
        self,
        X: np.ndarray,
        reuse: tuple[CompiledEBM, dict[tuple[int, int], np.ndarray]] | None = None,
    ) -> dict[tuple[int, int], np.ndarray]:
        """Every feature's bin indexes, to share between the logit and the contributions.

        ``reuse=(other, its bins)`` takes the other model's indexes wherever it cut the
        feature the same way (two EBMs fitted on the same matrix usually do).
        """
        X = self._check(X)
        out = {}
        for key, binner in self.binners.items():
            if reuse is not None and key in reuse[1] and binner.same_as(reuse[0].binners.get(key)):
                out[key] = reuse[1][key]
            else:
                out[key] = binner.bin_array(X[:, key[0]])
        return out

    def contributions(
        self,
        X: np.ndarray,
        bins: dict[tuple[int, int], np.ndarray] | None = None,
        rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """Per-term contributions to the logit, shape ``(n, n_terms)``.

        With ``bins`` from :meth:`bin_all` (and ``rows`` to take a subset of them), no
        feature is binned again.
        """
        X = self._check(X)
        n = X.shape[0] if rows is None else rows.size
        out = np.empty((n, self.n_terms), np.float64)
        for t, scores in enumerate(self._term_lookups(X, bins, rows)):
            out[:, t] = scores
        return out

    def decision_function(
        self, X: np.ndarray, bins: dict[tuple[int, int], np.ndarray] | None = None
    ) -> np.ndarray:
        """The logit: the intercept plus every term, added in interpret's order."""
        X = self._check(X)
        logit = np.full(X.shape[0], self.intercept, np.float64)
        for scores in self._term_lookups(X, bins):
            logit += scores
        return logit

    def _term_lookups(
        self,
        X: np.ndarray,
        bins: dict[tuple[int, int], np.ndarray] | None = None,
        rows: np.ndarray | None = None,
    ) -> Any:
        cache: dict[tuple[int, int], np.ndarray] = {}
        for scores, keys in zip(self.term_scores, self.term_binners, strict=True):
            idxs = []
            for key in keys:
                idx = cache.get(key)
                if idx is None:
                    idx = self.binners[key].bin_array(X[:, key[0]]) if bins is None else bins[key]
                    if rows is not None:
                        idx = idx[rows]
                    cache[key] = idx
                idxs.append(idx)
            yield scores[tuple(idxs)] if len(idxs) > 1 else scores[idxs[0]]

    def contributions_one(self, row: Sequence[float]) -> list[float]:
        """Per-term contributions for one row, in pure Python (no numpy per call)."""
        if len(row) != len(self.feature_names):
            raise ModelError(f"row: expected {len(self.feature_names)} values, got {len(row)}")
        values = [float(v) for v in row]
        binners, cut_lists = self.binners, self._cut_lists
        bins: dict[tuple[int, int], int] = {}
        out: list[float] = []
        for table, keys in zip(self._lists, self.term_binners, strict=True):
            cell = table
            for key in keys:
                b = bins.get(key)
                if b is None:
                    b = binners[key].bin_one(values[key[0]], cut_lists[key])
                    bins[key] = b
                cell = cell[b]
            out.append(cell)
        return out

    def term_one(self, row: Sequence[float], t: int) -> float:
        """Term ``t``'s contribution for one row (pure Python; a one-answer change costs
        only the terms of that answer)."""
        cell = self._lists[t]
        for key in self.term_binners[t]:
            cell = cell[self.binners[key].bin_one(float(row[key[0]]), self._cut_lists[key])]
        return float(cell)

    def decision_one(self, contributions: Sequence[float]) -> float:
        """The logit of one row from its contributions, summed in interpret's order."""
        logit = self.intercept
        for c in contributions:
            logit += c
        return logit


def _binner(feature_bins: Any, feature: str) -> _Binner:
    if isinstance(feature_bins, dict):
        categories: dict[float, int] = {}
        for key, value in feature_bins.items():
            try:
                code = float(key)
            except ValueError as exc:
                raise ModelError(
                    f"feature {feature!r}: category {key!r} is not numeric; "
                    "the feature matrix holds float codes"
                ) from exc
            if math.isnan(code):
                continue
            categories[code + 0.0] = int(value)
        return _Binner(categories=categories)
    cuts = np.ascontiguousarray(feature_bins, dtype=np.float64)
    return _Binner(cuts=cuts)


def compile_ebm(ebm: Any) -> CompiledEBM:
    """Compile a fitted binary ``ExplainableBoostingClassifier`` into lookup tables."""
    if not hasattr(ebm, "term_scores_"):
        raise ModelError(f"ebm: {type(ebm).__name__} is not fitted")
    intercept = np.atleast_1d(np.asarray(ebm.intercept_, np.float64))
    if intercept.shape != (1,):
        raise ModelError(f"ebm: expected a binary model, intercept_ has shape {intercept.shape}")
    names = [str(n) for n in ebm.feature_names_in_]
    binners: dict[tuple[int, int], _Binner] = {}
    term_binners: list[tuple[tuple[int, int], ...]] = []
    for features in ebm.term_features_:
        keys = []
        for f in features:
            levels = ebm.bins_[f]
            level = min(len(levels), len(features)) - 1
            key = (int(f), level)
            if key not in binners:
                binners[key] = _binner(levels[level], names[f])
            keys.append(key)
        term_binners.append(tuple(keys))
    return CompiledEBM(
        intercept=float(intercept[0]),
        feature_names=names,
        term_features=[tuple(int(f) for f in tf) for tf in ebm.term_features_],
        term_names=[str(n) for n in ebm.term_names_],
        term_scores=[np.ascontiguousarray(s, np.float64) for s in ebm.term_scores_],
        binners=binners,
        term_binners=term_binners,
    )
