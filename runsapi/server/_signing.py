"""Signed storage URLs: how a client without an API key may GET or PUT artifact bytes
and PUT run files, like a cloud store's presigned URLs (the official client sends no key
with them).

A URL carries `expires` (unix seconds) and `signature`: the hex HMAC-SHA256, with the
server's secret, of the method, the path and every other query parameter (`expires`, and
`artifact` on uploads). The secret is made on first use and kept in the database, so that
URLs handed out survive a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from runsapi.server._constants import SIGNED_URL_SECONDS
from runsapi.server._store import Store

_SECRET_BYTES = 32


@dataclass(frozen=True)
class Signer:
    secret: bytes

    def url(
        self,
        base_url: str,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        at: float | None = None,
    ) -> str:
        """`base_url + path` with its parameters, `expires` and `signature`."""
        moment = time.time() if at is None else at
        query = {**(params or {}), "expires": str(int(moment) + SIGNED_URL_SECONDS)}
        query["signature"] = self._sign(method, path, query)
        return f"{base_url}{path}?{urlencode(query)}"

    def verify(
        self, method: str, path: str, params: Iterable[tuple[str, str]], *, at: float | None = None
    ) -> dict[str, str] | None:
        """The URL's parameters if its signature is right and it has not expired, else None
        (a parameter given twice is refused: the signature covers one value of each)."""
        pairs = list(params)
        given = dict(pairs)
        if len(given) != len(pairs):
            return None
        signature = given.pop("signature", "")
        expires = given.get("expires", "")
        if not expires.isdigit() or int(expires) < (time.time() if at is None else at):
            return None
        if not hmac.compare_digest(signature, self._sign(method, path, given)):
            return None
        return given

    def _sign(self, method: str, path: str, params: Mapping[str, str]) -> str:
        text = f"{method.upper()}\n{path}\n{urlencode(sorted(params.items()))}"
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()


def signer(store: Store) -> Signer:
    """The server's signer; its secret is created the first time one is asked for."""
    query = "SELECT secret FROM server_secret WHERE id = 1"
    row = store.connection().execute(query).fetchone()
    if row is None:
        with store.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO server_secret (id, secret) VALUES (1, ?)",
                (secrets.token_bytes(_SECRET_BYTES),),
            )
            row = conn.execute(query).fetchone()
    return Signer(bytes(row[0]))
