"""An Api that must send nothing: for checks that happen before any request."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest

from runsapi import Api

API_KEY = "k" * 40
SETTINGS = {"base_url": "http://127.0.0.1:1", "entity": "e", "project": "p"}


def refuse_requests(request: httpx.Request) -> httpx.Response:
    pytest.fail(f"no request should be sent, but got {request.method} {request.url}")


def offline_api(overrides: Mapping[str, str] = SETTINGS) -> Api:
    """An Api whose every request fails the test."""
    return Api(overrides, api_key=API_KEY, transport=httpx.MockTransport(refuse_requests))
