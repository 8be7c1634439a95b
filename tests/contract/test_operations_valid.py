"""Every operation in queries/ is valid against schema.graphql.

(That generated/ is fresh is checked by `scripts/generate.py --check`, which CI runs where
the generator's pins hold: see .ci/run.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import runsapi_generated
from graphql import GraphQLSchema, build_schema, parse, specified_rules, validate
from graphql.validation import NoUnusedFragmentsRule

ROOT = Path(__file__).resolve().parents[2]
QUERY_FILES = sorted((ROOT / "queries").glob("*.graphql"))


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema((ROOT / "schema.graphql").read_text())


def test_every_operation_validates(schema: GraphQLSchema) -> None:
    document = parse("\n".join(path.read_text() for path in QUERY_FILES))
    rules = [rule for rule in specified_rules if rule is not NoUnusedFragmentsRule]
    assert validate(schema, document, rules) == []
    names = [d.name.value for d in document.definitions if d.name is not None]
    assert len(names) == len(set(names)), "operation and fragment names must be unique"


def test_operation_names_do_not_collide_with_generated_class_names() -> None:
    # Codegen names nested result classes <Operation><Field...>; an operation named like
    # another's nested class would be shadowed by it in the package namespace.
    document = parse("\n".join(path.read_text() for path in QUERY_FILES))
    for definition in document.definitions:
        if definition.kind != "operation_definition" or definition.name is None:
            continue
        name = definition.name.value
        module = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        assert getattr(runsapi_generated, name).__module__ == f"runsapi_generated.{module}"


# The official client's own operation texts (wandb 0.31.0, see the reference notes): the
# schema keeps nullable arguments so that they validate too.
OFFICIAL_CLIENT_OPERATIONS = [
    """query Runs($project: String!, $entity: String!, $cursor: String, $perPage: Int = 50,
        $order: String, $filters: JSONString) {
      project(name: $project, entityName: $entity) {
        internalId runCount(filters: $filters) readOnly
        runs(filters: $filters, after: $cursor, first: $perPage, order: $order) {
          edges { node { projectId id tags name displayName sweepName state config group
            jobType commit readOnly createdAt heartbeatAt description notes systemMetrics
            summaryMetrics historyLineCount user { name username } historyKeys } cursor }
          pageInfo { endCursor hasNextPage }
        }
      }
    }""",
    """query RunSampledHistory($project: String!, $entity: String!, $name: String!,
        $specs: [JSONString!]!) {
      project(name: $project, entityName: $entity) { run(name: $name) { sampledHistory(specs: $specs) } }
    }""",
    """query HistoryPage($entity: String!, $project: String!, $run: String!, $minStep: Int64!,
        $maxStep: Int64!, $pageSize: Int!) {
      project(name: $project, entityName: $entity) {
        run(name: $run) { history(minStep: $minStep, maxStep: $maxStep, samples: $pageSize) }
      }
    }""",
    """query SampledHistoryPage($entity: String!, $project: String!, $run: String!,
        $spec: JSONString!) {
      project(name: $project, entityName: $entity) { run(name: $run) { sampledHistory(specs: [$spec]) } }
    }""",
    """query RunFiles($project: String!, $entity: String!, $name: String!, $fileCursor: String,
        $fileLimit: Int = 50, $fileNames: [String] = [], $upload: Boolean = false, $pattern: String) {
      project(name: $project, entityName: $entity) {
        internalId
        run(name: $name) { fileCount files(names: $fileNames, after: $fileCursor, first: $fileLimit,
          pattern: $pattern) { edges { node { id name url(upload: $upload) directUrl sizeBytes
          mimetype updatedAt md5 } cursor } pageInfo { endCursor hasNextPage } } }
      }
    }""",
    """mutation UpsertBucket($id: String!, $description: String, $display_name: String,
        $notes: String, $tags: [String!], $config: JSONString!, $groupName: String,
        $jobType: String) {
      upsertBucket(input: {id: $id, description: $description, displayName: $display_name,
        notes: $notes, tags: $tags, config: $config, groupName: $groupName, jobType: $jobType}) {
        bucket { id }
      }
    }""",
    """mutation DeleteRun( $id: ID!, ) { deleteRun(input: { id: $id, }) { clientMutationId } }""",
    """mutation UpdateRunState($input: UpdateRunStateInput!) { updateRunState(input: $input) { success } }""",
    """query GetSweep($name: String!, $project: String, $entity: String) {
      project(name: $project, entityName: $entity) { sweep(sweepName: $name) { id name state } }
    }""",
]


# W&B 0.31's artifact operations (wandb-more-ops.md section 1), each sent with the
# fragments it uses.
_WANDB_FRAGMENTS = {
    "PageInfoFragment": "fragment PageInfoFragment on PageInfo { __typename endCursor hasNextPage }",
    "TagFragment": "fragment TagFragment on Tag { __typename id name }",
    "ArtifactAliasFragment": "fragment ArtifactAliasFragment on ArtifactAlias { __typename id alias }",
    "ProjectInfoFragment": (
        "fragment ProjectInfoFragment on Project { id internalId name entity { name } }"
    ),
    "SourceCollectionInfoFragment": (
        "fragment SourceCollectionInfoFragment on ArtifactSequence { __typename name"
        " project { ...ProjectInfoFragment } }"
    ),
    "CollectionInfoFragment": (
        "fragment CollectionInfoFragment on ArtifactCollection { __typename name"
        " project { ...ProjectInfoFragment } }"
    ),
    "ArtifactFragment": (
        "fragment ArtifactFragment on Artifact { __typename id artifactSequence"
        " { ...SourceCollectionInfoFragment } versionIndex artifactType { name } description"
        " metadata ttlDurationSeconds ttlIsInherited tags { ...TagFragment } historyStep state"
        " size digest digestAlgorithm @include(if: true) commitHash fileCount createdAt"
        " updatedAt aliases @include(if: $includeAliases) { artifactCollection"
        " { ...CollectionInfoFragment } ...ArtifactAliasFragment } }"
    ),
    "ArtifactMembershipFragment": (
        "fragment ArtifactMembershipFragment on ArtifactCollectionMembership { __typename id"
        " versionIndex createdAt aliases { ...ArtifactAliasFragment } artifactCollection"
        " { ...CollectionInfoFragment } artifact { ...ArtifactFragment } }"
    ),
    "ArtifactCollectionFragment": (
        "fragment ArtifactCollectionFragment on ArtifactCollection { __typename id name"
        " description createdAt updatedAt project { ...ProjectInfoFragment }"
        " type: defaultArtifactType { name } tags { edges { node { ...TagFragment } } } }"
    ),
    "ArtifactTypeFragment": (
        "fragment ArtifactTypeFragment on ArtifactType { __typename id name description createdAt }"
    ),
}
_ARTIFACT_CLOSURE = (
    "ArtifactFragment",
    "SourceCollectionInfoFragment",
    "CollectionInfoFragment",
    "ProjectInfoFragment",
    "TagFragment",
    "ArtifactAliasFragment",
)


def _wandb(text: str, *fragments: str) -> str:
    return "\n".join([text, *(_WANDB_FRAGMENTS[name] for name in fragments)])


OFFICIAL_CLIENT_OPERATIONS += [
    _wandb(
        "query ArtifactMembershipByName($entity: String!, $project: String!, $name: String!,"
        " $includeAliases: Boolean = false) { project(name: $project, entityName: $entity)"
        " { artifactCollectionMembership(name: $name) { ...ArtifactMembershipFragment } } }",
        "ArtifactMembershipFragment",
        *_ARTIFACT_CLOSURE,
    ),
    _wandb(
        "query ProjectArtifacts($entity: String!, $project: String!, $type: String!,"
        " $collection: String!, $cursor: String, $perPage: Int = 50, $order: String,"
        " $filters: JSONString, $includeAliases: Boolean = true) { project(entityName: $entity,"
        " name: $project) { artifactType(name: $type) { artifactCollection(name: $collection)"
        " { __typename artifacts(after: $cursor, first: $perPage, order: $order,"
        " filters: $filters) { totalCount pageInfo { ...PageInfoFragment } edges { version"
        " node { ...ArtifactFragment } } } } } } }",
        "PageInfoFragment",
        *_ARTIFACT_CLOSURE,
    ),
    _wandb(
        "query ArtifactTypeArtifactCollections($entity: String!, $project: String!,"
        " $type: String!, $cursor: String, $perPage: Int, $filters: JSONString, $order: String)"
        " { project(entityName: $entity, name: $project) { artifactType(name: $type)"
        " { artifactCollections(after: $cursor first: $perPage filters: $filters order: $order)"
        " { totalCount pageInfo { ...PageInfoFragment } edges { node { __typename"
        " ...ArtifactCollectionFragment } } } } } }",
        "ArtifactCollectionFragment",
        "PageInfoFragment",
        "ProjectInfoFragment",
        "TagFragment",
    ),
    _wandb(
        "query ProjectArtifactCollections($entity: String!, $project: String!, $cursor: String,"
        " $perPage: Int, $filters: JSONString, $order: String) { project(entityName: $entity,"
        " name: $project) { artifactCollections(after: $cursor first: $perPage filters: $filters"
        " order: $order) { totalCount @include(if: true) pageInfo { ...PageInfoFragment }"
        " edges { node { __typename ...ArtifactCollectionFragment } } } } }",
        "ArtifactCollectionFragment",
        "PageInfoFragment",
        "ProjectInfoFragment",
        "TagFragment",
    ),
    _wandb(
        "query ProjectArtifactCollection($entity: String!, $project: String!, $type: String!,"
        " $name: String!) { project(entityName: $entity, name: $project) { artifactType(name:"
        " $type) { artifactCollection(name: $name) { __typename ...ArtifactCollectionFragment"
        " } } } }",
        "ArtifactCollectionFragment",
        "ProjectInfoFragment",
        "TagFragment",
    ),
    _wandb(
        "query ProjectArtifactTypes($entity: String!, $project: String!, $cursor: String,"
        " $perPage: Int) { project(name: $project, entityName: $entity) { artifactTypes(after:"
        " $cursor, first: $perPage) { edges { node { ...ArtifactTypeFragment } } pageInfo"
        " { ...PageInfoFragment } } } }",
        "ArtifactTypeFragment",
        "PageInfoFragment",
    ),
    _wandb(
        "query ProjectArtifactType($entity: String!, $project: String!, $type: String!)"
        " { project(entityName: $entity, name: $project) { artifactType(name: $type)"
        " { ...ArtifactTypeFragment } } }",
        "ArtifactTypeFragment",
    ),
]


@pytest.mark.parametrize("text", OFFICIAL_CLIENT_OPERATIONS)
def test_official_client_operations_validate(schema: GraphQLSchema, text: str) -> None:
    assert validate(schema, parse(text)) == []
