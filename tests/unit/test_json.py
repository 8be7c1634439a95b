"""JSON as W&B writes it: decoding and encoding."""

from __future__ import annotations

import math

import pytest

from runsapi import ResponseValidationError
from runsapi._json import decode_object, encode
from runsapi._shared.json_codec import loads


def test_non_finite_tokens_decode_to_floats() -> None:
    value = loads('{"a": NaN, "b": Infinity, "c": -Infinity, "d": null}')
    assert math.isnan(value["a"]) and value["b"] == math.inf and value["c"] == -math.inf
    assert value["d"] is None


def test_what_the_fast_parser_refuses_still_decodes() -> None:
    assert loads('{"a": "x\ty"}') == {"a": "x\ty"}  # a raw tab inside a string
    assert loads('{"a": "\\ud800"}') == {"a": "\ud800"}  # a lone surrogate escape
    assert loads(b'{"big": 123456789012345678901234567890}') == {
        "big": 123456789012345678901234567890
    }


def test_text_that_is_not_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        loads("{nope")


def test_decode_object_names_what_was_wrong() -> None:
    assert decode_object(None, what="config") == {}
    assert decode_object("null", what="config") == {}
    with pytest.raises(ResponseValidationError, match="config of a/b/c is not valid JSON"):
        decode_object("{", what="config of a/b/c")
    with pytest.raises(ResponseValidationError, match="should be a JSON object, got list"):
        decode_object("[1]", what="summary")


def test_encode_round_trips_non_finite_values() -> None:
    text = encode({"nan": math.nan, "inf": math.inf, "ninf": -math.inf})
    assert text == '{"nan":NaN,"inf":Infinity,"ninf":-Infinity}'
    decoded = loads(text)
    assert math.isnan(decoded["nan"]) and decoded["inf"] == math.inf
