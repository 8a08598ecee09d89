"""Model registries built from the session's champion, for tests that break one."""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["store_with_corrupt_version", "store_with_two_versions"]


def store_with_corrupt_version(source_uri: str, root: Path) -> str:
    """A new registry at ``root``: version 1 is a copy of the champion of ``source_uri``
    (and the champion), version 2 the same model with its artifact files overwritten."""
    return store_with_two_versions(source_uri, root, corrupt=True)


def store_with_two_versions(source_uri: str, root: Path, corrupt: bool = False) -> str:
    """A new registry at ``root``: versions 1 (the champion) and 2 are copies of the
    champion of ``source_uri``; with ``corrupt``, version 2's artifact files are overwritten."""
    import mlflow
    from mlflow import MlflowClient

    from risk.registry import CHAMPION, MODEL_NAME, Registry

    source = Registry(source_uri)  # sets MLflow's registry URI too, which download reads
    good = Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=source.client.get_model_version_download_uri(
                MODEL_NAME, source.version_of(f"@{CHAMPION}").version
            ),
            dst_path=str(root / "good"),
        )
    )
    second = Path(shutil.copytree(good, root / "second"))
    for artifact in (second / "artifacts").iterdir() if corrupt else ():
        artifact.write_bytes(b"not a model: the disk was full when this was copied")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(uri, uri)
    client.create_registered_model(MODEL_NAME)
    for source in (good, second):
        client.create_model_version(MODEL_NAME, source=str(source))
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, "1")
    return uri
