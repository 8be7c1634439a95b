"""(Re)record the cassettes of tests/recorded/ from a freshly seeded LocalServer.

    python scripts/record_cassettes.py                # every cassette test
    python scripts/record_cassettes.py -k runs        # extra arguments go to pytest
    python scripts/record_cassettes.py --behaviour    # tests/behaviour's cassettes instead

Starts a LocalServer on 127.0.0.1 with a deterministic seed, runs the cassette tests
against it with `--record-mode=rewrite`, stops it, checks that no cassette contains the
API key, then replays the tests offline as CI does. Review `git diff tests/recorded`.

With `--behaviour`, the cassettes of tests/behaviour/cassettes/ are recorded by the sync
layer's tests (tests/behaviour/_sync/test_cassettes.py), then replayed by both layers:
the async tests read the same files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runsapi.server import LocalServer, SeedSpec  # noqa: E402
from tests.conftest import SECRET_ENV  # noqa: E402
from tests.recorded.conftest import RECORD_URL_ENV  # noqa: E402

CASSETTES = ROOT / "tests" / "recorded" / "cassettes"
# The data the cassette tests expect: change it and re-record every cassette.
CASSETTE_SEED = SeedSpec(runs=12, steps=300, events=10, files=3, seed=11)
BEHAVIOUR_CASSETTES = ROOT / "tests" / "behaviour" / "cassettes"
BEHAVIOUR_FLAG = "--behaviour"


@dataclass(frozen=True)
class Suite:
    """What is recorded (pytest paths), what replays it, and where its cassettes are."""

    record: tuple[str, ...]
    replay: tuple[str, ...]
    cassettes: Path


RECORDED = Suite(("tests/recorded",), ("tests/recorded",), CASSETTES)
BEHAVIOUR = Suite(
    ("tests/behaviour/_sync/test_cassettes.py",),
    ("tests/behaviour/_sync/test_cassettes.py", "tests/behaviour/_async/test_cassettes.py"),
    BEHAVIOUR_CASSETTES,
)


def pytest(*arguments: str, env: dict[str, str], paths: tuple[str, ...] = RECORDED.record) -> int:
    command = [
        sys.executable,
        "-m",
        "pytest",
        *paths,
        "-q",
        "-p",
        "no:randomly",
        *arguments,
    ]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def main() -> int:
    extra = sys.argv[1:]
    suite = BEHAVIOUR if BEHAVIOUR_FLAG in extra else RECORDED
    extra = [argument for argument in extra if argument != BEHAVIOUR_FLAG]
    with LocalServer(seed=CASSETTE_SEED) as server:
        env = {**os.environ, RECORD_URL_ENV: server.base_url, SECRET_ENV: server.api_key}
        code = pytest("--record-mode=rewrite", *extra, env=env, paths=suite.record)
        key = server.api_key
    if code != 0:
        print(f"recording failed (pytest exit code {code})", file=sys.stderr)
        return code
    leaks = [path for path in suite.cassettes.rglob("*.yaml") if key in path.read_text()]
    if leaks:
        print(f"the API key appears in: {', '.join(map(str, leaks))}", file=sys.stderr)
        return 1
    replay_env = {k: v for k, v in os.environ.items() if k not in {RECORD_URL_ENV, SECRET_ENV}}
    code = pytest("--record-mode=none", *extra, env=replay_env, paths=suite.replay)
    print("recorded and replayed" if code == 0 else f"replay failed (exit code {code})")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
