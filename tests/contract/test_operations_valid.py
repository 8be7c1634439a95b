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


@pytest.mark.parametrize("text", OFFICIAL_CLIENT_OPERATIONS)
def test_official_client_operations_validate(schema: GraphQLSchema, text: str) -> None:
    assert validate(schema, parse(text)) == []
