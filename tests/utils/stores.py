"""Model registries built from the session's champion, for tests that break one."""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["store_with_corrupt_version"]


def store_with_corrupt_version(source_uri: str, root: Path) -> str:
    """A new registry at ``root``: version 1 is a copy of the champion of ``source_uri``
    (and the champion), version 2 the same model with its artifact files overwritten."""
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
    bad = Path(shutil.copytree(good, root / "bad"))
    for artifact in (bad / "artifacts").iterdir():
        artifact.write_bytes(b"not a model: the disk was full when this was copied")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(uri, uri)
    client.create_registered_model(MODEL_NAME)
    for source in (good, bad):
        client.create_model_version(MODEL_NAME, source=str(source))
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, "1")
    return uri
