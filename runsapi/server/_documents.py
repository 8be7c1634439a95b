"""Parsed and validated GraphQL documents, cached by query text.

Clients send the same few operations over and over (a page of runs, a page of history),
and parsing plus validating a document costs as much as executing it. Validation depends
only on the schema, the document and the rules, all fixed for a server, so each distinct
query text is parsed and validated once. The cache is bounded and thread-safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate
from graphql.utilities import TypeInfo
from graphql.validation import ASTValidationRule

from runsapi.server._constants import DOCUMENT_CACHE_SIZE


class DocumentCache:
    """`parse` and `validate` for ariadne's `query_parser` and `query_validator` hooks."""

    def __init__(self, size: int = DOCUMENT_CACHE_SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        # query text -> its document, and the document's validation errors once known
        self._entries: OrderedDict[str, tuple[DocumentNode, list[GraphQLError] | None]] = (
            OrderedDict()
        )

    def parse(self, _context: Any, data: dict[str, Any]) -> DocumentNode:
        query = data["query"]
        with self._lock:
            entry = self._entries.get(query)
            if entry is not None:
                self._entries.move_to_end(query)
                return entry[0]
        try:
            document = parse(query)  # a syntax error raises and is not cached
        except RecursionError as exc:  # graphql-core 3.2.4 has no nesting limit of its own
            raise GraphQLError("Syntax Error: Document is nested too deeply.") from exc
        with self._lock:
            self._entries[query] = (document, None)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return document

    def validate(
        self,
        schema: GraphQLSchema,
        document_ast: DocumentNode,
        rules: Collection[type[ASTValidationRule]] | None = None,
        max_errors: int | None = None,
        type_info: TypeInfo | None = None,
    ) -> list[GraphQLError]:
        query = document_ast.loc.source.body if document_ast.loc is not None else None
        with self._lock:
            entry = None if query is None else self._entries.get(query)
            if entry is not None and entry[0] is document_ast and entry[1] is not None:
                return entry[1]
        # graphql-core 3.3's validate has no type_info; ariadne passes one only if given one.
        options: dict[str, Any] = {} if type_info is None else {"type_info": type_info}
        errors = validate(schema, document_ast, rules, max_errors, **options)
        with self._lock:
            entry = None if query is None else self._entries.get(query)
            if query is not None and entry is not None and entry[0] is document_ast:
                self._entries[query] = (document_ast, errors)
        return errors
