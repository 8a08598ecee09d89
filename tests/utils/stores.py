"""Model registries built from the session's champion, for tests that break one."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from risk.models.pyfunc import save_artifact
from risk.models.triage import TriageModel

__all__ = ["store_with_corrupt_version", "store_with_models", "store_with_two_versions"]


def store_with_corrupt_version(source_uri: str, root: Path) -> str:
    """A new registry at ``root``: version 1 is a copy of the champion of ``source_uri``
    (and the champion), version 2 the same model with its artifact files overwritten."""
    return store_with_two_versions(source_uri, root, corrupt=True)


def store_with_two_versions(source_uri: str, root: Path, corrupt: bool = False) -> str:
    """A new registry at ``root``: versions 1 (the champion) and 2 are copies of the
    champion of ``source_uri``; with ``corrupt``, version 2's artifact files are overwritten."""
    good = _champion_folder(source_uri, root / "good")
    second = Path(shutil.copytree(good, root / "second"))
    for artifact in (second / "artifacts").iterdir() if corrupt else ():
        artifact.write_bytes(b"not a model: the disk was full when this was copied")
    return _register(root, [good, second])


def store_with_models(source_uri: str, root: Path, models: Sequence[TriageModel]) -> str:
    """A new registry at ``root`` whose versions 1, 2, ... are ``models`` in that order,
    each in a copy of the pyfunc folder of the champion of ``source_uri``."""
    template = _champion_folder(source_uri, root / "template")
    folders = []
    for i, model in enumerate(models, 1):
        folder = Path(shutil.copytree(template, root / f"model-{i}"))
        (artifact,) = (folder / "artifacts").iterdir()
        save_artifact(model, artifact)
        folders.append(folder)
    return _register(root, folders)


def _champion_folder(source_uri: str, dest: Path) -> Path:
    """The champion's pyfunc folder of ``source_uri``, downloaded to ``dest``."""
    import mlflow

    from risk.registry import CHAMPION, MODEL_NAME, Registry

    source = Registry(source_uri)  # sets MLflow's registry URI too, which download reads
    return Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=source.client.get_model_version_download_uri(
                MODEL_NAME, source.version_of(f"@{CHAMPION}").version
            ),
            dst_path=str(dest),
        )
    )


def _register(root: Path, folders: Sequence[Path]) -> str:
    """A registry at ``root`` with one version per folder, in order; version 1 the champion."""
    from mlflow import MlflowClient

    from risk.registry import CHAMPION, MODEL_NAME

    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(uri, uri)
    client.create_registered_model(MODEL_NAME)
    for folder in folders:
        client.create_model_version(MODEL_NAME, source=str(folder))
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, "1")
    return uri
