"""The server's cache of parsed and validated documents."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError, GraphQLSchema
from graphql.validation import specified_rules

from runsapi.server import _documents
from runsapi.server._documents import DocumentCache
from runsapi.server._schema import executable_schema

from .conftest import Client

VIEWER = "query Viewer { viewer { username } }"
BROKEN = "query Broken { viewer { noSuchField } }"


def _counting_validate(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = _documents.validate

    def validate(schema: GraphQLSchema, document: Any, *args: Any) -> list[GraphQLError]:
        seen.append(document.loc.source.body)
        return real(schema, document, *args)

    monkeypatch.setattr(_documents, "validate", validate)
    return seen


def test_a_query_text_is_parsed_and_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _counting_validate(monkeypatch)
    cache = DocumentCache()
    schema = executable_schema()
    first = cache.parse(None, {"query": VIEWER})
    assert cache.parse(None, {"query": VIEWER}) is first
    assert cache.validate(schema, first, specified_rules) == []
    assert cache.validate(schema, first, specified_rules) == []
    assert seen == [VIEWER]


def test_validation_errors_are_cached_with_their_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _counting_validate(monkeypatch)
    cache = DocumentCache()
    schema = executable_schema()
    errors = cache.validate(schema, cache.parse(None, {"query": BROKEN}), specified_rules)
    again = cache.validate(schema, cache.parse(None, {"query": BROKEN}), specified_rules)
    assert again is errors
    assert "noSuchField" in errors[0].message
    assert seen == [BROKEN]


def test_the_cache_is_bounded_and_forgets_the_oldest(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _counting_validate(monkeypatch)
    cache = DocumentCache(size=2)
    schema = executable_schema()
    queries = [f"query Q{index} {{ viewer {{ username }} }}" for index in range(3)]
    documents = [cache.parse(None, {"query": query}) for query in queries]
    for document in documents:
        cache.validate(schema, document, specified_rules)
    assert cache.parse(None, {"query": queries[0]}) is not documents[0]  # evicted
    assert cache.parse(None, {"query": queries[2]}) is documents[2]
    cache.validate(schema, documents[2], specified_rules)
    assert seen == queries


def test_a_syntax_error_is_not_cached() -> None:
    cache = DocumentCache()
    with pytest.raises(GraphQLError):
        cache.parse(None, {"query": "query {"})
    with pytest.raises(GraphQLError):
        cache.parse(None, {"query": "query {"})


def test_the_server_answers_a_repeated_broken_query_the_same(client: Client) -> None:
    answers = [client.post(BROKEN) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()
    assert client.data(VIEWER) == client.data(VIEWER)
