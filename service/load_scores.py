"""Scores of a whole ledger at once, as the service stores them: the batch engine's units
and scoring (:func:`risk.features.asof.household_units`, the pyfunc's ``predict`` over a
frame), each result written as the JSON a stored score holds.

A stored result carries what the visit list and the case page show (tier, probabilities,
flags, reasons in both languages, prediction set, follow-up, actions, model), in the keys
:meth:`TriageModel.predict_record` uses. It is written by joining JSON pieces made once
per distinct value (a flag set, a reason and its value, a tier), not by one ``dict`` and
``json.dumps`` per row: a million rows take seconds, not minutes. Two things a one-unit
score adds are left out: the answers the model could not see (``unseen``), and the value
of a reason from a pair of answers (its label names both; its value is empty).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from risk.batch.worker import pyfunc_of
from risk.features.asof import household_units
from risk.models.decision import DECISIONS
from risk.models.tiers import TIERS
from risk.models.triage import TriageModel
from risk.schema import TIERS as CONTRACT_TIERS

__all__ = ["chunk_scores", "household_chunks"]

_HOUSEHOLDS_PER_BATCH = 20_000


def household_chunks(
    waves: pd.DataFrame, cases: pd.DataFrame, households_per_batch: int = _HOUSEHOLDS_PER_BATCH
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """The two contract frames cut by household: each chunk holds every survey wave and
    case of ``households_per_batch`` households (in household-id order)."""
    ids = pd.Index(pd.concat([waves["household_id"], cases["household_id"]]).unique()).sort_values()
    wave_ids, case_ids = waves["household_id"].to_numpy(), cases["household_id"].to_numpy()
    wave_order = np.argsort(wave_ids, kind="stable")
    case_order = np.argsort(case_ids, kind="stable")
    sorted_waves, sorted_cases = wave_ids[wave_order], case_ids[case_order]
    for start in range(0, len(ids), households_per_batch):
        first, last = ids[start], ids[min(start + households_per_batch, len(ids)) - 1]
        yield (
            waves.iloc[wave_order[_between(sorted_waves, first, last)]],
            cases.iloc[case_order[_between(sorted_cases, first, last)]],
        )


def chunk_scores(
    model: TriageModel, waves: pd.DataFrame, cases: pd.DataFrame, as_of: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """A chunk's households scored as of ``as_of`` (its open case if it has one, else its
    latest survey): (the scores, with the scores table's columns but the inputs, ``result``
    as JSON text; the units they scored, row for row, which are their inputs), or None
    when no household of the chunk has anything to score on the day."""
    units = household_units(waves, cases, as_of)
    if not len(units):
        return None
    return _stored(units, pyfunc_of(model).predict(None, units), _results(model)), units


def _between(sorted_ids: np.ndarray, first: str, last: str) -> slice:
    return slice(
        int(np.searchsorted(sorted_ids, first, "left")),
        int(np.searchsorted(sorted_ids, last, "right")),
    )


_RESULTS: list[tuple[TriageModel, _Results]] = []


def _results(model: TriageModel) -> _Results:
    """The result writer of ``model``, made once per model (its pieces take a moment)."""
    if not _RESULTS or _RESULTS[0][0] is not model:
        _RESULTS[:] = [(model, _Results(model))]
    return _RESULTS[0][1]


def _stored(units: pd.DataFrame, scored: pd.DataFrame, render: _Results) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "household_id": units["household_id"].to_numpy(),
            "case_id": units["case_id"].to_numpy(),
            "grid_id": units["grid_id"].to_numpy(),
            "tier": scored["tier"].astype(str).to_numpy(),
            "p_red": scored["p_red"].to_numpy(),
            "follow_up_date": pd.to_datetime(scored["follow_up_date"]).to_numpy(),
            "result": render(scored),
            "model_version": scored["model_version"].astype(str).to_numpy(),
        }
    )


def _js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class _Results:
    """Writes the result JSON of scored rows from pieces made once per distinct value."""

    def __init__(self, model: TriageModel) -> None:
        self.model = model
        policy = model.policy
        labels = {c.code: c.zh for c in CONTRACT_TIERS}
        self.tier_piece = {
            tier: (
                f'"tier":{_js(tier)},"tier_label":{_js(labels[tier])},'
                f'"actions":{_js(list(policy.tiers[tier].actions("zh")))},'
                f'"follow_up_days":{policy.tiers[tier].follow_up_days}'
            )
            for tier in TIERS
        }
        self.flags = {f.code: f for f in policy.red_flags}
        self.model_piece = _js({"name": model.info.name, "version": model.info.version})
        self.spec_of: dict[str, Any] = {}
        self.labels_of: dict[str, tuple[str, str]] = {}
        for name in DECISIONS:
            for terms in (model.decisions[name].red, model.decisions[name].yellow_or_red):
                for t, (code, main) in enumerate(zip(terms.codes, terms.main_feature, strict=True)):
                    self.spec_of[str(code)] = None if main < 0 else terms.specs[int(main)]
                    self.labels_of[str(code)] = (str(terms.labels_zh[t]), str(terms.labels_en[t]))

    def __call__(self, scored: pd.DataFrame) -> np.ndarray:
        n = len(scored)
        if not n:
            return np.array([], object)
        follow_up = pa.array(pd.to_datetime(scored["follow_up_date"]).to_numpy("datetime64[D]"))
        pieces = [
            _mapped(scored["decision"], lambda d: f'{{"decision":{_js(d)},'),
            _mapped(scored["tier"].astype(str), self.tier_piece.__getitem__),
            _mapped(scored["model_tier"], lambda t: f',"model_tier":{_js(t)},"probabilities":'),
            _probabilities(scored),
            _mapped(scored["flags"], lambda f: f',"flags":{self._flags(f)},"reasons":'),
            self._reasons(scored),
            _mapped(scored["reasons_model"], lambda m: f',"reasons_model":{_js(m)},"base":'),
            _numbers(scored["base"]),
            ',"logit":',
            _numbers(scored["logit"]),
            _mapped(scored["prediction_set"], lambda s: f',"prediction_set":{_js(s.split("|"))}'),
            pc.if_else(
                pa.array(scored["review_recommended"].to_numpy(bool)),
                ',"review_recommended":true',
                ',"review_recommended":false',
            ),
            ',"follow_up_date":"',
            follow_up.cast(pa.string()),
            f'","model":{self.model_piece}}}',
        ]
        joined = pc.binary_join_element_wise(*pieces, "")
        return joined.to_numpy(zero_copy_only=False)

    def _flags(self, codes: str) -> str:
        fired = [self.flags[c] for c in codes.split(";") if c]
        shown = [
            {"code": f.code, "tier": f.tier, "label": f.label("zh"), "zh": f.zh, "en": f.en}
            for f in fired
        ]
        return _js(shown)

    def _reasons(self, scored: pd.DataFrame) -> pa.Array:
        """Each row's reasons as a JSON list, in the order the model ranks them."""
        k = self.model.policy.reasons.top_k
        parts = []
        for j in range(1, k + 1):
            pairs = pd.DataFrame(
                {
                    "code": scored[f"reason_{j}_code"].astype(object).to_numpy(),
                    "value": scored[f"reason_{j}_value"].to_numpy(float),
                }
            )
            # each (code, value) once: groups numbered in order of first appearance
            group = pairs.groupby(["code", "value"], dropna=False, sort=False).ngroup()
            made = [self._reason_head(c, v) for c, v in pairs.drop_duplicates().itertuples(False)]
            sizes = scored[f"reason_{j}_size"].to_numpy(float)
            one = pc.binary_join_element_wise(
                pc.take(pa.array(made, pa.string()), pa.array(group.to_numpy())),
                ',"direction":',
                pc.if_else(pa.array(sizes > 0), '"raises"', '"lowers"'),
                ',"size":',
                pa.array(sizes).cast(pa.string()),
                "},",
                "",
            )
            parts.append(pc.if_else(pa.array(pairs["code"].isna().to_numpy()), "", one))
        listed = pc.utf8_rtrim(pc.binary_join_element_wise(*parts, ""), ",")
        return pc.binary_join_element_wise("[", listed, "]", "")

    def _reason_head(self, code: Any, value: float) -> str:
        if code is None or (isinstance(code, float) and code != code):
            return ""
        spec = self.spec_of.get(str(code))
        terms = self.labels_of.get(str(code), (str(code), str(code)))
        zh = "" if spec is None else spec.value_label(value, "zh")
        en = "" if spec is None else spec.value_label(value, "en")
        return (
            f'{{"code":{_js(code)},"label_zh":{_js(terms[0])},"label_en":{_js(terms[1])},'
            f'"value_zh":{_js(zh)},"value_en":{_js(en)},'
            f'"label":{_js(terms[0])},"value":{_js(zh)}'  # (as stored in Chinese, the default)
        )


def _mapped(column: pd.Series, piece: Any) -> pa.Array:
    """``piece(value)`` of every row, computed once per distinct value."""
    codes, uniques = pd.factorize(column.astype(object), use_na_sentinel=False)
    made = pa.array([piece(v) for v in uniques], pa.string())
    return pc.take(made, pa.array(codes))


def _numbers(column: pd.Series) -> pa.Array:
    """Numbers as JSON: the shortest text that reads back as the same double."""
    return pa.array(column.to_numpy(float)).cast(pa.string())


def _probabilities(scored: pd.DataFrame) -> pa.Array:
    green, yellow, red = (_numbers(scored[f"p_{t}"]) for t in TIERS)
    return pc.binary_join_element_wise(
        '{"green":', green, ',"yellow":', yellow, ',"red":', red, "}", ""
    )
