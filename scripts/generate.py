"""Regenerate the typed GraphQL client in generated/ from schema.graphql and queries/.

    python scripts/generate.py           # delete generated/ and write it anew
    python scripts/generate.py --check   # fail (exit 1) when generated/ differs from a fresh run

The generator's settings live in pyproject.toml ([tool.ariadne-codegen]); its version is
pinned there too, because its output depends on it (and on the ruff it formats with).
--check generates into a temporary copy of the inputs and compares file by file, so it
never touches the working tree.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = Path("generated")
# Everything the generator reads, relative to ROOT.
INPUTS = ("pyproject.toml", "schema.graphql", "queries", "scripts/codegen")


def generate(root: Path, *, quiet: bool = False) -> None:
    """Write `root/generated` from scratch, so modules of deleted operations disappear."""
    output = root / OUTPUT
    if output.exists():
        shutil.rmtree(output)
    output.mkdir()
    # The generator resolves its paths against the working directory.
    result = subprocess.run(
        [sys.executable, "-m", "ariadne_codegen", "client"],
        cwd=root,
        capture_output=quiet,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        if quiet:
            sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"ariadne-codegen failed with exit code {result.returncode}")
    for cache in output.rglob("__pycache__"):
        shutil.rmtree(cache)


def tree(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for name in INPUTS:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, scratch / name)
            else:
                (scratch / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, scratch / name)
        generate(scratch, quiet=True)
        fresh = tree(scratch / OUTPUT)
    committed = tree(ROOT / OUTPUT) if (ROOT / OUTPUT).exists() else {}
    if fresh == committed:
        print(f"{OUTPUT}/ is up to date ({len(fresh)} files).")
        return 0
    for name in sorted(fresh.keys() | committed.keys()):
        old, new = committed.get(name), fresh.get(name)
        if old == new:
            continue
        if old is None:
            print(f"missing: {OUTPUT / name}")
        elif new is None:
            print(f"stale: {OUTPUT / name}")
        else:
            sys.stdout.writelines(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    f"committed/{name}",
                    f"fresh/{name}",
                )
            )
    print(f"\n{OUTPUT}/ is stale: run `python scripts/generate.py` and commit the result.")
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail when generated/ differs from a fresh run"
    )
    args = parser.parse_args()
    if args.check:
        return check()
    generate(ROOT)
    print(f"wrote {OUTPUT}/ ({len(tree(ROOT / OUTPUT))} files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
