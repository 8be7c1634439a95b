"""WandbTestServer: a seeded LocalServer for testing code that uses W&B's API."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from runsapi._exceptions import RunsApiError
from runsapi._sync.api import Api
from runsapi.testing._seeding import seed_spec
from runsapi.testing._snapshot import Snapshot, take_snapshot
from runsapi.testing._spec import Spec, SpecError, coerce_spec

if TYPE_CHECKING:
    from runsapi.server import LocalServer

_T = TypeVar("_T")
# What the `server` extra installs (runsapi.server imports them when it loads).
_SERVER_MODULES = frozenset({"ariadne", "graphql", "re2", "starlette", "uvicorn", "pyarrow"})
SpecLike = Spec | Mapping[str, Any] | str | Path
"""A Spec, its dict form, or the path of a YAML/JSON file holding one."""


class WandbTestServer:
    """A W&B-compatible server on 127.0.0.1, seeded from a Spec, with fault injection.

        with WandbTestServer(spec) as server:
            os.environ.update(server.env)   # what the pytest fixture does, and more
            my_report()                      # wandb.Api() or runsapi.Api(), unchanged
            assert server.snapshot().run("proj/r1").summary["best"] == 0.9
            assert server.requests["GetRuns"] == 1

    The test's API key belongs to `username`, whose default entity is `entity`; the
    server's own requests (seeding, `snapshot()`) are not counted in `requests`.
    """

    def __init__(self, spec: SpecLike | None = None, *, latency_ms: float = 0) -> None:
        self.spec = Spec() if spec is None else coerce_spec(spec)
        self._latency_ms = latency_ms
        self._local: LocalServer | None = None
        self._api: Api | None = None
        self._api_key = ""
        self._teams: set[str] = set()
        self._excluded: Counter[str] = Counter()
        self._faults_injected = False

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> WandbTestServer:
        """Start the server and seed the spec (checked first: SpecError names a bad field)."""
        try:
            from runsapi.server import LocalServer  # noqa: PLC0415 (the `server` extra)
        except ModuleNotFoundError as exc:
            if (exc.name or "").partition(".")[0] not in _SERVER_MODULES:
                raise
            raise ModuleNotFoundError(
                f"the test server needs the server extra (module {exc.name!r} is missing):"
                ' pip install "runsapi[testing]"',
                name=exc.name,
            ) from exc

        spec = self.spec.validate()
        local = LocalServer(faults=True, latency_ms=self._latency_ms)
        local.start()
        self._local = local
        self._teams = set()
        try:
            # The server's default user (its admin) is used when the spec names it.
            key = (
                local.api_key if spec.username == local.entity else local.create_user(spec.username)
            )
            self._api_key = key
            self._api = Api(
                {"base_url": local.base_url, "entity": spec.entity}, api_key=key, max_retries=0
            )
            self._seed(spec)
            self.reset()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None
        if self._local is not None:
            self._local.stop()
            self._local = None

    def __enter__(self) -> WandbTestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._local.base_url if self._local is not None else "not running"
        return f"<WandbTestServer {self.entity} at {where}>"

    # -- where and who --------------------------------------------------------------------

    @property
    def local(self) -> LocalServer:
        """The LocalServer underneath (its store, request counts, fault queue)."""
        if self._local is None:
            raise RuntimeError("the test server is not running: start() it first")
        return self._local

    @property
    def base_url(self) -> str:
        return self.local.base_url

    @property
    def api_key(self) -> str:
        """The test user's API key (a new one at every start)."""
        if self._local is None:
            raise RuntimeError("the test server is not running: start() it first")
        return self._api_key

    @property
    def entity(self) -> str:
        """The default entity: `WANDB_ENTITY` in `env`."""
        return self.spec.entity

    @property
    def username(self) -> str:
        """The user the API key belongs to."""
        return self.spec.username

    @property
    def env(self) -> dict[str, str]:
        """WANDB_BASE_URL, WANDB_API_KEY and WANDB_ENTITY for this server."""
        return {
            "WANDB_BASE_URL": self.base_url,
            "WANDB_API_KEY": self.api_key,
            "WANDB_ENTITY": self.entity,
        }

    def api(self, *, max_retries: int | None = None) -> Api:
        """A new runsapi `Api` on this server as the test user (close it when done)."""
        return Api(
            {"base_url": self.base_url, "entity": self.entity},
            api_key=self.api_key,
            max_retries=max_retries,
        )

    # -- requests and faults --------------------------------------------------------------

    @property
    def requests(self) -> Counter[str]:
        """GraphQL requests received since the test began (or `reset()`), by operation
        name; requests this object made itself (`seed`, `snapshot`) are left out."""
        counts = Counter(self.local.request_counts)
        counts.subtract(self._excluded)
        return Counter({name: count for name, count in counts.items() if count > 0})

    def reset(self) -> None:
        """Clear pending faults and zero `requests` (the fixture does it before each test)."""
        self.local.clear_faults()
        self.local.reset_request_counts()
        self._excluded.clear()
        self._faults_injected = False

    def fail_next(
        self,
        status: int = 503,
        *,
        times: int = 1,
        operation: str | None = None,
        retry_after: float | str | None = None,
    ) -> None:
        """Answer the next `times` requests (of GraphQL `operation` only, if given) with
        HTTP `status` and a W&B-style error body, with `Retry-After` if given."""
        self._inject(
            {"mode": "status", "status": status, "retry_after": retry_after},
            times,
            operation,
        )

    def hang_next(self, seconds: float, *, times: int = 1, operation: str | None = None) -> None:
        """Hold the next `times` requests `seconds` before answering them normally."""
        self._inject({"mode": "hang", "seconds": seconds}, times, operation)

    def drop_next(self, *, times: int = 1, operation: str | None = None) -> None:
        """Close the connection of the next `times` requests without answering."""
        self._inject({"mode": "drop"}, times, operation)

    def truncate_next(self, *, times: int = 1, operation: str | None = None) -> None:
        """Answer the next `times` requests 200 with half of the real JSON body."""
        self._inject({"mode": "truncate"}, times, operation)

    def clear_faults(self) -> None:
        self.local.clear_faults()
        self._faults_injected = False

    def _inject(self, fields: dict[str, Any], times: int, operation: str | None) -> None:
        from runsapi.server import Fault  # noqa: PLC0415

        payload = {key: value for key, value in fields.items() if value is not None}
        fault = Fault.from_json({**payload, "count": times, "operation": operation})
        self.local.inject_fault(
            fault.mode,
            count=fault.count,
            status=fault.status,
            retry_after=fault.retry_after,
            seconds=fault.seconds,
            operation=fault.operation,
        )
        self._faults_injected = True

    # -- data -----------------------------------------------------------------------------

    def snapshot(self, entity: str | None = None) -> Snapshot:
        """What the server holds now in `entity` (default: `entity`), read with runsapi:
        projects, their runs (config, summary, tags, state, history length...) and
        artifact versions."""
        return self._quietly(
            "snapshot()", lambda: take_snapshot(self._helper, entity or self.entity)
        )

    def seed(self, spec: SpecLike) -> None:
        """Add a spec's projects (new ones, or new runs in existing ones) now. Its entity
        may differ from `entity`: the test user is made a member of that team."""
        checked = coerce_spec(spec)
        if checked.user is not None and checked.user != self.username:
            raise SpecError(
                "user", f"this server's user is {self.username!r}; a later spec cannot change it"
            )
        self._quietly("seed()", lambda: self._seed(checked))

    @property
    def _helper(self) -> Api:
        if self._api is None:
            raise RuntimeError("the test server is not running: start() it first")
        return self._api

    def _seed(self, spec: Spec) -> None:
        if spec.entity != self.username and spec.entity not in self._teams:
            try:
                self._helper.create_team(spec.entity)
            except RunsApiError as exc:
                raise SpecError(
                    "entity", f"cannot make {spec.entity!r} a team of {self.username!r}: {exc}"
                ) from exc
            self._teams.add(spec.entity)
        seed_spec(self._helper, self.local, spec)

    def _quietly(self, what: str, work: Callable[[], _T]) -> _T:
        """`work()`, its requests left out of `requests`."""
        before = self.local.request_counts
        try:
            return work()
        except RunsApiError as exc:
            if self._faults_injected:
                raise RuntimeError(
                    f"{what} failed ({exc}) while faults injected by fail_next()/hang_next()/"
                    "drop_next()/truncate_next() may still be pending: its requests take them"
                    " like any other. Call clear_faults() first, or limit the faults to an"
                    " operation."
                ) from exc
            raise
        finally:
            after = self.local.request_counts
            self._excluded.update(
                {name: count - before.get(name, 0) for name, count in after.items()}
            )
