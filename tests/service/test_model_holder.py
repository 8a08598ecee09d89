"""The served model's holder: the version it reports is the registry's."""

from __future__ import annotations

import pytest
from utils.stores import store_with_two_versions

from risk.errors import ModelError
from risk.registry import CHAMPION, MODEL_NAME, Registry
from service.model_holder import ModelHolder


def test_the_holder_reports_the_version_the_champion_points_at(model_store, tmp_path):
    uri = store_with_two_versions(model_store, tmp_path)
    holder = ModelHolder(uri, f"models:/{MODEL_NAME}@{CHAMPION}")
    assert holder.load().info.version == holder.version == "1"
    Registry(uri).client.set_registered_model_alias(MODEL_NAME, CHAMPION, "2")
    assert holder.load().info.version == holder.version == "2"
    assert holder.serving().predict_record({})["model"]["version"] == "2"


def test_a_missing_version_keeps_the_model_and_says_why(model_store):
    holder = ModelHolder(model_store, f"models:/{MODEL_NAME}@{CHAMPION}")
    served = holder.load()
    holder.ref = f"models:/{MODEL_NAME}/99"
    with pytest.raises(ModelError):
        holder.load()
    assert holder.current() is served and holder.problem == "model_not_registered"
