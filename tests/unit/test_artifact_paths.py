"""Artifact names: `[[entity/]project/]name[:alias]`, parsed before any request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runsapi import Api, InvalidPathError
from runsapi._paths import ArtifactPath, parse_artifact_path
from tests.support.offline import offline_api


def parse(name: str) -> ArtifactPath:
    return parse_artifact_path(name, entity=lambda: "me", project=lambda: "proj")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("model:v3", ArtifactPath("me", "proj", "model", "v3")),
        ("model", ArtifactPath("me", "proj", "model", "latest")),
        ("model:best", ArtifactPath("me", "proj", "model", "best")),
        ("p/model:latest", ArtifactPath("me", "p", "model", "latest")),
        ("e/p/model:v0", ArtifactPath("e", "p", "model", "v0")),
        ("e/p/my.model-1_x", ArtifactPath("e", "p", "my.model-1_x", "latest")),
    ],
)
def test_names_and_their_defaults(name: str, expected: ArtifactPath) -> None:
    assert parse(name) == expected
    assert str(expected) == f"{expected.entity}/{expected.project}/{expected.name}"


@pytest.mark.parametrize(
    "name",
    ["", ":", "a:b:c", "model:", ":v1", "a/b/c/d:v1", "/model:v1", "e//model", " model", "m :v"],
)
def test_malformed_names_name_the_accepted_forms(name: str) -> None:
    with pytest.raises(InvalidPathError, match=r"invalid artifact path .*accepted forms"):
        parse(name)


def test_the_project_defaults_to_uncategorized_as_in_the_official_client() -> None:
    with offline_api({"base_url": "http://127.0.0.1:1", "entity": "e"}) as api:
        assert api._artifact_path("model") == ArtifactPath("e", "uncategorized", "model", "latest")


@pytest.fixture
def api() -> Iterator[Api]:
    with offline_api() as client:
        yield client


@pytest.mark.parametrize("name", ["", "a:b:c", "e/p/x/y:v1", "model:"])
def test_every_member_refuses_a_bad_name_before_any_request(api: Api, name: str) -> None:
    calls = [
        lambda: api.artifact(name),
        lambda: api.artifact_exists(name),
        lambda: api.artifact_collection("model", name),
        lambda: api.artifact_collection_exists(name, "model"),
        lambda: api.artifacts("model", name),
        lambda: api.artifact_versions("model", name),
    ]
    for call in calls:
        with pytest.raises(InvalidPathError):
            call()


@pytest.mark.parametrize("name", ["model:v1", "e/p/model:latest"])
def test_a_collection_takes_no_alias(api: Api, name: str) -> None:
    with pytest.raises(InvalidPathError, match="takes no ':alias'"):
        api.artifact_collection("model", name)
    with pytest.raises(InvalidPathError, match="takes no ':alias'"):
        api.artifacts("model", name)


def test_a_bad_project_is_refused_before_any_request(api: Api) -> None:
    with pytest.raises(InvalidPathError):
        api.artifact_types("a/b/c")
    with pytest.raises(InvalidPathError):
        api.artifact_collections("a:b", "model")
