"""MongoDB-style run filters compiled to parameterised SQL over the `runs` table.

Semantics (the test oracle in tests/server/oracle.py implements the same rules in Python):
- `{field: v}` is `{field: {"$eq": v}}`; several operators in one object are ANDed.
- `$eq` compares like types only: numbers with numbers, strings with strings, booleans
  with booleans; `null` matches null and missing fields; arrays and objects match equal
  JSON. `$gt/$gte/$lt/$lte` need a number or a string operand and match fields of that
  kind only. `$ne`, `$nin` and `$not` are negations, so they match missing fields.
- `$in`/`$nin` take a list; `$regex` (RE2 syntax, searched anywhere in the value, `$options`
  among "ims"; see _regex) matches strings; `$exists` tests presence (a JSON null is present).
- `tags` matches when any tag matches; `{"tags": [...]}` is exact list equality and
  `{"tags": {"$exists": ...}}` is always true/false (every run has a tag list).
- Timestamps (`createdAt`, `heartbeatAt`, `updatedAt`) compare as naive-UTC ISO-8601 text;
  operands with a zone are converted first.
- In config and summary values NaN is null and ±Infinity is ±max float (see _jsontext).
- `$and`, `$or`, `$nor` take non-empty lists of filters; `$not` may also wrap a whole
  filter at the top level.

How the SQL is written: negations are pushed down to the leaves (De Morgan), so a leaf
that is not negated may be NULL where it does not match (NULL is false in a WHERE and in
an AND or OR of it), and only negated leaves read `NOT COALESCE(leaf, 0)`. A comparison of
a number or a string is written as a plain comparison of the indexed value, bounded to
the values of the operand's kind (SQLite orders numbers before text), so that SQLite can
search the key's index with it; a type check is added only where the value alone could be
of another kind (a boolean reads as 1 or 0, an array or object as JSON text starting
with `[` or `{`). Such a check reads the value from the index too, so counting or
searching by a comparison reads index entries, not runs.
"""

from __future__ import annotations

import json
import operator
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from typing import Any, NamedTuple

from runsapi.server._fields import (
    Field,
    FilterError,
    Scalar,
    TagList,
    normalize_timestamp,
    resolve_field,
)
from runsapi.server._jsontext import dumps_queryable, loads_object, queryable
from runsapi.server._regex import compile_regex

Sql = tuple[str, list[Any]]

_COMPARISONS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_TAG_ELEMENT = Scalar(value_sql="tag.value", type_sql="tag.type", json=True)
_TRUE: Sql = ("1", [])
_FALSE: Sql = ("0", [])
# Objects and lists nest at most this deep in a filter (the client's limit too), so that
# compiling one cannot exhaust Python's stack.
MAX_FILTER_DEPTH = 64
# How SQLite refuses a statement that exceeds its limits: nesting (a filter nested a few
# dozen operators deep) or bound values (tens of thousands of $in values).
_SQLITE_LIMITS = ("parser stack overflow", "Expression tree is too large", "too many SQL variables")


def parse_filters(text: str | None) -> Mapping[str, Any]:
    try:
        filters = loads_object(text, what="filters")
    except ValueError as exc:
        raise FilterError(str(exc)) from exc
    _check_depth(filters)
    return filters


def _check_depth(filters: Mapping[str, Any]) -> None:
    level: list[Any] = [filters]
    for _ in range(MAX_FILTER_DEPTH):
        level = [
            child
            for value in level
            for child in (value.values() if isinstance(value, Mapping) else value)
            if isinstance(child, (Mapping, list))
        ]
        if not level:
            return
    raise FilterError(f"filters may nest objects and lists at most {MAX_FILTER_DEPTH} deep")


class IndexTerm(NamedTuple):
    """A condition that every run the filter matches satisfies, written for SQLite to
    search an index by: a plain comparison (`column = ?`, `json_extract(...) IN (...)`,
    `... < ?`), a tag lookup, or an OR of such conditions (an `$or`'s). It restricts the
    runs to the project itself, so that SQLite can search by it alone (the multi-index OR
    of an `$or` needs each branch to). `probe` SELECTs the rows it matches (to tell how
    selective it is); `field` is the value expression of the field it compares (None: tags,
    an OR)."""

    sql: str
    params: list[Any]
    probe: Sql
    field: str | None


class RunFilter(NamedTuple):
    """A compiled filter: its exact condition and the index terms it implies (only the
    top-level conjunction, and nested $and, imply any). `PROJECT` in the parameters
    stands for the project's id, bound by `bind`. `present` holds the value expressions
    of the fields that every matching run has a value of (a term compares it)."""

    document: Mapping[str, Any]
    condition: str
    params: list[Any]
    terms: list[IndexTerm]
    present: frozenset[str]
    # A count read from an index alone, for a filter that its index terms state exactly.
    index_count: Sql | None = None

    def full(self) -> Sql:
        """The exact condition after every index term, for SQLite to search by any (the
        terms restrict the runs to the project: SQLite needs no other restriction)."""
        sql = " AND ".join([*(term.sql for term in self.terms), self.condition])
        return sql, [param for term in self.terms for param in term.params] + self.params

    def searching(self, term: IndexTerm) -> Sql:
        """The exact condition for a page that searches `term`'s index (a selective
        term's): the term and comparisons of its field are all SQLite may search by, as,
        left to choose, it may search an unselective term's index instead."""
        condition, params = self.walked(term.field or "")
        return f"{term.sql} AND {condition}", [*term.params, *params]

    def walked(self, keep: str) -> Sql:
        """The exact condition with no index to search by but that of the field whose
        value expression is `keep` (`+value` keeps SQLite from searching an index by a
        comparison): for a page that walks the order's index and checks each run, where
        SQLite might search the filter's index and sort all the runs it finds."""
        return _document(self.document, resolve=partial(_walked_field, keep=keep))


def _walked_field(key: str, keep: str) -> Field:
    field = resolve_field(key)
    if isinstance(field, Scalar) and field.value_sql != keep:
        return replace(field, value_sql=f"+{field.value_sql}")
    return field


class _Project:
    def __repr__(self) -> str:
        return "PROJECT"


PROJECT: Any = _Project()


def bind(params: list[Any], project_id: int) -> list[Any]:
    """The parameters with the project's id in place of PROJECT."""
    return [project_id if param is PROJECT else param for param in params]


def compile_filters(filters: Mapping[str, Any]) -> RunFilter:
    """The exact SQL condition (true for the runs that match; false or NULL for the
    others), its parameters, and the index terms it implies (_index_terms), by which
    SQLite can search an index for the runs a selective filter matches."""
    condition, params = _document(filters)
    terms: list[IndexTerm] = []
    _index_terms(filters, terms)
    present = frozenset(term.field for term in terms if term.field is not None)
    return RunFilter(filters, condition, params, terms, present, _tags_count(filters))


def _tags_count(filters: Mapping[str, Any]) -> Sql | None:
    """For a filter on tags alone (a tag, or `$in` tags), the count of the runs having
    one, from run_tags' index: checking each run found instead costs microseconds a run
    (tens of milliseconds for a tag on a sixth of 100,000 runs)."""
    if list(filters) != ["tags"]:
        return None
    op, value = "$eq", filters["tags"]
    if isinstance(value, Mapping):
        if len(value) != 1:
            return None
        ((op, value),) = value.items()
    if op == "$eq" and isinstance(value, str):
        tags = [value]
    elif op == "$in" and isinstance(value, list) and 0 < len(value) <= _MAX_INDEXED_IN:
        tags = value
    else:
        return None
    if not all(isinstance(tag, str) for tag in tags):
        return None
    counted = "count(*)" if len(tags) == 1 else "count(DISTINCT run_id)"  # a run has a tag once
    return (
        f"SELECT {counted} FROM run_tags WHERE project_id = ?"
        f" AND tag IN ({','.join('?' * len(tags))})",
        [PROJECT, *tags],
    )


def compile_filter_text(text: str | None) -> RunFilter:
    """`compile_filters` of a `filters` argument as sent (JSON text, or None for all)."""
    return compile_filters(parse_filters(text))


# At most this many $in values become an index term (one index search each).
_MAX_INDEXED_IN = 256


def _index_terms(
    filters: Mapping[str, Any], terms: list[IndexTerm], *, unions: bool = True
) -> None:
    """The IndexTerms the filters imply (never narrower than the exact condition, which
    is checked on the runs a term finds): those of the top-level conjunction (and nested
    $and), and (with `unions`) an $or's when each of its branches implies some. A
    negation implies none."""
    for key, value in filters.items():
        if key == "$and" and isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    _index_terms(item, terms, unions=unions)
            continue
        if key == "$or" and isinstance(value, list) and unions:
            union = _union_term(value)
            if union is not None:
                terms.append(union)
            continue
        if key.startswith("$"):
            continue
        field = resolve_field(key)
        operators = value if _is_operator_object(value) else {"$eq": value}
        for op, operand in operators.items():
            term = _index_term(field, op, operand)
            if term is not None:
                terms.append(term)


# An $or of more branches than this implies no term (its OR would be one search a branch).
_MAX_INDEXED_BRANCHES = 32


def _union_term(branches: list[Any]) -> IndexTerm | None:
    """The OR of the terms each branch of an $or implies (a branch's own terms ANDed),
    when every branch implies some: SQLite then searches each branch's index and unites
    the runs found (its multi-index OR). An $or within a branch implies none: nested ORs
    would nest the term's SQL deeper than SQLite's parser takes."""
    if not 0 < len(branches) <= _MAX_INDEXED_BRANCHES:
        return None
    parts: list[Sql] = []
    for branch in branches:
        implied: list[IndexTerm] = []
        if isinstance(branch, Mapping):
            _index_terms(branch, implied, unions=False)
        if not implied:
            return None
        parts.append(
            (" AND ".join(term.sql for term in implied), [p for t in implied for p in t.params])
        )
    sql = "(" + " OR ".join(f"({part})" for part, _ in parts) + ")"
    params = [param for _, part_params in parts for param in part_params]
    return IndexTerm(sql, params, (f"SELECT 1 FROM runs WHERE {sql}", params), None)


def _indexable(value: Any) -> bool:
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


def _index_term(field: Field, op: str, operand: Any) -> IndexTerm | None:
    if isinstance(field, TagList):
        tags = operand if op == "$in" else [operand] if op == "$eq" else None
        if not isinstance(tags, list) or not tags or len(tags) > _MAX_INDEXED_IN:
            return None
        if not all(isinstance(tag, str) for tag in tags):
            return None
        tagged = f"run_tags.project_id = ? AND run_tags.tag IN ({','.join('?' * len(tags))})"
        return IndexTerm(
            f"runs.id IN (SELECT run_tags.run_id FROM run_tags WHERE {tagged})",
            [PROJECT, *tags],
            (f"SELECT 1 FROM run_tags WHERE {tagged}", [PROJECT, *tags]),
            None,
        )
    if not isinstance(field, Scalar) or not field.indexed:
        return None
    term = _scalar_term(field, op, operand)
    if term is None:
        return None
    sql, params = f"(runs.project_id = ? AND {term[0]})", [PROJECT, *term[1]]
    return IndexTerm(sql, params, (f"SELECT 1 FROM runs WHERE {sql}", params), field.value_sql)


def _scalar_term(field: Scalar, op: str, operand: Any) -> Sql | None:
    if op in ("$eq", "$in"):
        items = operand if op == "$in" else [operand]
        if not isinstance(items, list) or not items or len(items) > _MAX_INDEXED_IN:
            return None
        values = [_operand(field, item) for item in items]
        if not all(_indexable(value) for value in values):
            return None
        if len(values) == 1:
            return f"{field.value_sql} = ?", values
        return f"{field.value_sql} IN ({','.join('?' * len(values))})", values
    if op in _COMPARISONS:
        value = _operand(field, operand)
        if not _indexable(value):
            return None
        return f"{field.value_sql} {_COMPARISONS[op]} ?", [value]
    return None


@contextmanager
def sqlite_limits() -> Iterator[None]:
    """Report SQLite refusing a filter's statement as too large as the client's error."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if not str(exc).startswith(_SQLITE_LIMITS):
            raise
        raise FilterError(
            f"the filter is too large for SQLite ({exc}): nest fewer operators or list fewer values"
        ) from exc


def _all(parts: list[Sql], joiner: str, empty: Sql) -> Sql:
    """The parts joined as a balanced tree, so that SQLite's expression depth grows with
    the logarithm of their number (a flat `a OR b OR ...` of a thousand `$in` values
    would exceed it)."""
    if not parts:
        return empty
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    left = _all(parts[:middle], joiner, empty)
    right = _all(parts[middle:], joiner, empty)
    return f"({left[0]} {joiner} {right[0]})", left[1] + right[1]


def _join(parts: list[Sql], *, conjunction: bool, negated: bool) -> Sql:
    """The AND (`conjunction`) or OR of parts, or, when `negated`, its negation by De
    Morgan's laws, the parts being negated already.

    Negations reach only the leaves, and the deepest part comes first: SQLite's parser
    takes about 90 nested `((a AND b) AND c)` but only about 30 `(a AND (b AND c))` or 45
    `(NOT (NOT a))`, and a filter the client accepts may nest operators 63 deep."""
    ordered = sorted(parts, key=lambda part: _nesting(part[0]), reverse=True)
    if conjunction != negated:
        return _all(ordered, "AND", _TRUE)
    return _all(ordered, "OR", _FALSE)


_PARENTHESES = re.compile(r"[()]")


def _nesting(sql: str) -> int:
    """How deep parentheses nest in `sql` (read paren by paren: a filter is compiled for
    every page, and a char-by-char loop took most of that)."""
    deepest = depth = 0
    for paren in _PARENTHESES.findall(sql):
        depth += 1 if paren == "(" else -1
        deepest = max(deepest, depth)
    return deepest


def _leaf(part: Sql, negated: bool) -> Sql:
    return (f"(NOT COALESCE({part[0]}, 0))", part[1]) if negated else part


def _document(
    filters: Any, negated: bool = False, resolve: Callable[[str], Field] = resolve_field
) -> Sql:
    if not isinstance(filters, Mapping):
        raise FilterError(f"a filter must be an object, got {json.dumps(filters)}")
    parts: list[Sql] = []
    for key, value in filters.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(value, list) or not value:
                raise FilterError(f"{key} needs a non-empty list of filters")
            if key == "$nor":  # NOT (a OR b) is (NOT a) AND (NOT b)
                subs = [_document(item, not negated, resolve) for item in value]
            else:
                subs = [_document(item, negated, resolve) for item in value]
            parts.append(_join(subs, conjunction=key != "$or", negated=negated))
        elif key == "$not":
            parts.append(_document(value, not negated, resolve))
        elif key.startswith("$"):
            raise FilterError(f"unknown top-level operator {key!r}")
        else:
            parts.append(_condition(resolve(key), value, negated))
    return _join(parts, conjunction=True, negated=negated)


def _is_operator_object(value: Any) -> bool:
    if not isinstance(value, Mapping) or not value:
        return False
    dollars = [key.startswith("$") for key in value]
    if any(dollars) and not all(dollars):
        raise FilterError(f"cannot mix operators and fields in {json.dumps(value)}")
    return all(dollars)


def _condition(field: Field, value: Any, negated: bool) -> Sql:
    if not _is_operator_object(value):
        return _leaf(_equals(field, value), negated)
    parts: list[Sql] = []
    for op, operand in value.items():
        if op == "$options":
            if "$regex" not in value:
                raise FilterError("$options needs $regex")
        elif op == "$regex":
            regex = partial(_regex, pattern=operand, options=value.get("$options", ""))
            parts.append(_leaf(_any(field, regex), negated))
        else:
            parts.append(_operator(field, op, operand, negated))
    return _join(parts, conjunction=True, negated=negated)


def _operator(field: Field, op: str, operand: Any, negated: bool) -> Sql:
    if op in ("$eq", "$ne"):
        return _leaf(_equals(field, operand), negated != (op == "$ne"))
    if op in ("$in", "$nin"):
        if not isinstance(operand, list):
            raise FilterError(f"{op} needs a list")
        matched = _all([_equals(field, item) for item in operand], "OR", _FALSE)
        return _leaf(matched, negated != (op == "$nin"))
    if op in _COMPARISONS:
        compare = partial(_compare, sql_op=_COMPARISONS[op], value=_operand(field, operand), op=op)
        return _leaf(_any(field, compare), negated)
    if op == "$exists":
        if isinstance(field, TagList):
            return _TRUE if bool(operand) != negated else _FALSE
        present = bool(operand) != negated
        return f"({field.type_sql} IS {'NOT ' if present else ''}NULL)", []
    if op == "$not":
        if isinstance(operand, str):
            return _leaf(_any(field, partial(_regex, pattern=operand, options="")), not negated)
        if not _is_operator_object(operand):
            raise FilterError("$not needs an operator object or a regular expression")
        return _condition(field, operand, not negated)
    raise FilterError(f"unknown operator {op!r}")


def _operand(field: Field, operand: Any) -> Any:
    if isinstance(field, Scalar) and field.is_timestamp:
        operand = normalize_timestamp(operand)
    return queryable(operand)


def _any(field: Field, leaf: Callable[[Scalar], Sql]) -> Sql:
    """The leaf condition on a scalar field, or on any tag of the tag list."""
    if isinstance(field, TagList):
        sql, params = leaf(_TAG_ELEMENT)
        return f"EXISTS (SELECT 1 FROM json_each(runs.tags) AS tag WHERE {sql})", params
    return leaf(field)


def _equals(field: Field, operand: Any) -> Sql:
    if isinstance(field, TagList) and isinstance(operand, list):
        return "(runs.tags = json(?))", [dumps_queryable(operand)]
    if isinstance(field, TagList) and isinstance(operand, str):
        # run_tags holds each run's text tags (kept by triggers): one primary-key search
        # instead of reading the run's tag list.
        return "EXISTS (SELECT 1 FROM run_tags WHERE run_id = runs.id AND tag = ?)", [operand]
    value = _operand(field, operand)
    return _any(field, partial(_equals_leaf, value=value))


def _equals_leaf(field: Scalar, value: Any) -> Sql:
    if value is None:
        return f"({field.type_sql} IS NULL OR {field.type_sql} = 'null')", []
    if isinstance(value, bool):
        return f"({field.type_sql} = '{'true' if value else 'false'}')", []
    if isinstance(value, (int, float, str)):
        return _compare(field, "=", value, "$eq")
    if isinstance(value, (list, dict)):
        return (
            f"({field.type_sql} IN ('array', 'object') AND {field.value_sql} = json(?))",
            [dumps_queryable(value)],
        )
    raise FilterError(f"cannot compare with {value!r}")


_PYTHON_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def _compare(field: Scalar, sql_op: str, value: Any, op: str) -> Sql:
    """`value <sql_op> operand` for the field's values of the operand's kind (a number or
    a string), written so that SQLite can search the field's index by it (module doc)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FilterError(f"{op} needs a number or a string, got {json.dumps(value)}")
    key = field.value_sql
    compared = f"{key} {sql_op} ?"
    if not field.json:  # a text column: text or NULL
        return (compared, [value]) if isinstance(value, str) else _FALSE
    if isinstance(value, str):
        bounds = f" AND {key} >= ''" if sql_op in ("<", "<=") else ""  # numbers come first
        if sql_op == "=" and not value.startswith(("[", "{")):
            return compared, [value]
        # An array or object reads as JSON text, which starts with `[` or `{`.
        check = f"(substr({key}, 1, 1) NOT IN ('[', '{{') OR {field.type_sql} = 'text')"
        return f"({compared}{bounds} AND {check})", [value]
    bounds = f" AND {key} < ''" if sql_op in (">", ">=") else ""  # text comes after
    satisfies = _PYTHON_OPS[sql_op]
    if not satisfies(0, value) and not satisfies(1, value):
        return f"({compared}{bounds})", [value]
    # false and true read as 0 and 1: tell them from the numbers 0 and 1.
    check = f"({key} NOT IN (0, 1) OR {field.type_sql} IN ('integer', 'real'))"
    return f"({compared}{bounds} AND {check})", [value]


def _regex(field: Scalar, pattern: Any, options: Any) -> Sql:
    if not isinstance(pattern, str) or not isinstance(options, str):
        raise FilterError("$regex and $options need strings")
    try:
        compile_regex(pattern, options)
    except ValueError as exc:
        raise FilterError(f"invalid $regex {pattern!r}: {exc}") from exc
    return (
        f"({field.type_sql} = 'text' AND re2_search(?, ?, {field.value_sql}))",
        [pattern, options],
    )
