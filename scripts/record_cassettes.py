"""(Re)record the cassettes of tests/recorded/ from a freshly seeded LocalServer.

    python scripts/record_cassettes.py            # every cassette test
    python scripts/record_cassettes.py -k runs    # extra arguments go to pytest

Starts a LocalServer on 127.0.0.1 with a deterministic seed, runs the cassette tests
against it with `--record-mode=rewrite`, stops it, checks that no cassette contains the
API key, then replays the tests offline as CI does. Review `git diff tests/recorded`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runsapi.server import LocalServer, SeedSpec  # noqa: E402
from tests.conftest import SECRET_ENV  # noqa: E402
from tests.recorded.conftest import RECORD_URL_ENV  # noqa: E402

CASSETTES = ROOT / "tests" / "recorded" / "cassettes"
# The data the cassette tests expect: change it and re-record every cassette.
CASSETTE_SEED = SeedSpec(runs=12, steps=300, events=10, files=3, seed=11)


def pytest(*arguments: str, env: dict[str, str]) -> int:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/recorded",
        "-q",
        "-p",
        "no:randomly",
        *arguments,
    ]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def main() -> int:
    extra = sys.argv[1:]
    with LocalServer(seed=CASSETTE_SEED) as server:
        env = {**os.environ, RECORD_URL_ENV: server.base_url, SECRET_ENV: server.api_key}
        code = pytest("--record-mode=rewrite", *extra, env=env)
        key = server.api_key
    if code != 0:
        print(f"recording failed (pytest exit code {code})", file=sys.stderr)
        return code
    leaks = [path for path in CASSETTES.rglob("*.yaml") if key in path.read_text()]
    if leaks:
        print(f"the API key appears in: {', '.join(map(str, leaks))}", file=sys.stderr)
        return 1
    replay_env = {k: v for k, v in os.environ.items() if k not in {RECORD_URL_ENV, SECRET_ENV}}
    code = pytest("--record-mode=none", *extra, env=replay_env)
    print("recorded and replayed" if code == 0 else f"replay failed (exit code {code})")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
