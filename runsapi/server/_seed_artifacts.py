"""The seeder's artifacts, logged with real content through the functions the artifact
mutations use: blobs stored, a manifest uploaded, the version committed. The bytes derive
from the random generator given, so seeding stays deterministic."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from runsapi._shared.manifest import (
    MANIFEST_FILE_NAME,
    ManifestEntry,
    artifact_digest,
    dump_manifest,
    md5_base64,
)
from runsapi.server import _artifact_blobs, _artifact_storage, _artifact_versions, _artifacts
from runsapi.server._ids import encode_id
from runsapi.server._jsontext import dumps
from runsapi.server._store import Store

_TRAIN_ROWS = 40
_TEST_ROWS = 10
_MIN_WEIGHTS_BYTES = 256
_MAX_WEIGHTS_BYTES = 4096


def dataset_files(rng: random.Random) -> dict[str, bytes]:
    """A small CSV dataset: train and test splits and a README."""

    def rows(count: int) -> bytes:
        lines = ["x1,x2,label"] + [
            f"{rng.uniform(-1, 1):.4f},{rng.uniform(-1, 1):.4f},{rng.randint(0, 1)}"
            for _ in range(count)
        ]
        return ("\n".join(lines) + "\n").encode()

    return {
        "data/train.csv": rows(_TRAIN_ROWS),
        "data/test.csv": rows(_TEST_ROWS),
        "README.md": b"# training-data\n\nTwo features and a binary label, synthetic.\n",
    }


def model_files(rng: random.Random, architecture: Mapping[str, Any]) -> dict[str, bytes]:
    """A model: its architecture (the same bytes in every version of one model, so that
    versions share that file) and a few KB of weights."""
    size = rng.randint(_MIN_WEIGHTS_BYTES, _MAX_WEIGHTS_BYTES)
    return {
        "model.json": json.dumps(dict(architecture), sort_keys=True, indent=2).encode(),
        "weights.bin": rng.randbytes(size),
    }


JOB_NAME = "job-demo_train"
"""The seeded W&B Launch job, named as `wandb` names a job of the image demo/train."""


def job_files() -> dict[str, bytes]:
    """A W&B Launch job of a container image, as `wandb` logs one: its `wandb-job.json`
    (the config's and summary's types in W&B's type JSON) and frozen requirements."""
    number = {"wb_type": "number"}
    spec = {
        "_version": "v0",
        "source_type": "image",
        "source": {"image": "demo/train:v1"},
        "input_types": {
            "wb_type": "typedDict",
            "params": {
                "type_map": {"lr": number, "epochs": number, "optimizer": {"wb_type": "string"}}
            },
        },
        "output_types": {
            "wb_type": "typedDict",
            "params": {"type_map": {"loss": number, "acc": number}},
        },
        "runtime": "3.11.7",
    }
    return {
        "wandb-job.json": json.dumps(spec, indent=4).encode(),
        "requirements.frozen.txt": b"numpy==1.26.4\ntorch==2.3.0\nwandb==0.31.0\n",
    }


def log_files(
    conn: sqlite3.Connection,
    store: Store,
    project_id: int,
    run_id: int,
    *,
    name: str,
    type_name: str,
    files: Mapping[str, bytes],
    metadata: Mapping[str, Any],
    tag_names: Iterable[str] = (),
    history_step: int | None = None,
    at: str,
) -> int:
    """A committed version of artifact `name` holding `files`, logged by `run_id`."""
    digest = artifact_digest({path: md5_base64(data) for path, data in files.items()})
    sequence_id = _artifact_versions.ensure_sequence(conn, project_id, name, type_name)
    artifact_id = _artifact_versions.create_version(
        conn,
        sequence_id,
        digest=digest,
        description=None,
        metadata=dumps(dict(metadata)),
        history_step=history_step,
        tag_names=tag_names,
        aliases=(),
        at=at,
    )
    entries = []
    for path, data in files.items():
        md5 = _artifact_blobs.store_blob(store, data, birth_artifact_id=artifact_id, at=at)
        birth = _artifact_blobs.blob_birth(conn, md5)
        entries.append(
            ManifestEntry(
                path,
                md5,
                len(data),
                birth_artifact_id=None if birth is None else encode_id("Artifact", birth),
            )
        )
    manifest = dump_manifest(entries)
    manifest_id = _artifact_storage.save_manifest(
        conn,
        artifact_id,
        name=MANIFEST_FILE_NAME,
        digest=md5_base64(manifest),
        manifest_type="FULL",
    )
    _artifact_storage.upload_manifest(store, manifest_id, manifest, at=at)
    _artifact_versions.commit(conn, artifact_id, at=at)
    _artifacts.link_artifact(conn, run_id, artifact_id, "output", None)
    return artifact_id
