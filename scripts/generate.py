"""Regenerate the typed GraphQL client in generated/ from schema.graphql and queries/,
and runsapi's sync layer (runsapi/_sync/) from its async source (runsapi/_async/).

    python scripts/generate.py           # write generated/ anew, then runsapi/_sync/
    python scripts/generate.py --check   # fail (exit 1) when either differs from a fresh run

The generator writes one client, async; its sync twin is rewritten from it by
scripts/unasync.py, the same rewriting that writes runsapi/_sync/.

The generator's settings live in pyproject.toml ([tool.ariadne-codegen]); its version is
pinned there too, because its output depends on it (and on the ruff it formats with).

The operations in queries/ are first validated against schema.graphql, as the generator
does, and each invalid one is reported as `queries/<file>.graphql:<line>:<col>: <message>`.
The generator then runs in a temporary copy of the inputs: --check compares its output with
generated/ file by file, and a plain run puts it in place of generated/ only once complete.
On any failure the working tree is left as it was.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import unasync
from graphql import GraphQLError, NoUnusedFragmentsRule, specified_rules, validate
from schema import SchemaError, load_schema, located, read_queries

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = Path("generated")
# Everything the generator reads, relative to ROOT.
INPUTS = ("pyproject.toml", "schema.graphql", "queries", "scripts/codegen")


def invalid_operations(root: Path) -> list[str]:
    """`file:line:col: message` for each error the generator would raise on root's operations.

    The generator validates all operation files as one document, without the unused-fragment
    rule, since an operation may spread a fragment defined in another file; so does this.
    """
    try:
        schema = load_schema(root / "schema.graphql", root)
        document = read_queries(root / "queries", root)
    except SchemaError as error:
        return [str(error)]
    except GraphQLError as error:  # an unparsable operation file
        return [located(error)]
    rules = [rule for rule in specified_rules if rule is not NoUnusedFragmentsRule]
    return [located(error) for error in validate(schema, document, rules)]


def exit_if_invalid(root: Path) -> None:
    problems = invalid_operations(root)
    if problems:
        sys.stderr.writelines(f"{problem}\n" for problem in problems)
        raise SystemExit(f"{len(problems)} error(s) in queries/; {OUTPUT}/ left as it was")


def copy_inputs(root: Path, scratch: Path) -> None:
    """Copy what the generator reads (INPUTS) from `root` to `scratch`."""
    for name in INPUTS:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, scratch / name)
        else:
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, scratch / name)


def generate(root: Path, *, quiet: bool = False) -> None:
    """Write `root/generated`, which must not exist yet: run it in a copy of the inputs."""
    output = root / OUTPUT
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
        raise SystemExit(
            f"ariadne-codegen failed with exit code {result.returncode}; {OUTPUT}/ left as it was"
        )
    for cache in output.rglob("__pycache__"):
        shutil.rmtree(cache)
    package = output / "runsapi_generated"
    for name in ("async_base_client.py", "async_client.py"):
        text = unasync.unasync_text((package / name).read_text(encoding="utf-8"))
        (package / name.removeprefix("async_")).write_text(text, encoding="utf-8")


def regenerate(root: Path) -> None:
    """Replace `root/generated` by a fresh run, or leave it as it was and exit non-zero."""
    exit_if_invalid(root)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        copy_inputs(root, scratch)
        generate(scratch)
        swap(root / OUTPUT, scratch / OUTPUT)


def swap(target: Path, fresh: Path) -> None:
    """Put a copy of `fresh` in place of `target`: copied next to it, then renamed over it, so
    that `target` is always either the old tree or the new one, never a partial one."""
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-") as staging:
        new, old = Path(staging, "new"), Path(staging, "old")
        shutil.copytree(fresh, new)
        if target.exists():
            target.rename(old)
        try:
            new.rename(target)
        except BaseException:
            if old.exists():
                old.rename(target)
            raise


def tree(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def check() -> int:
    exit_if_invalid(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        copy_inputs(ROOT, scratch)
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
        status = check()
        problems = unasync.stale(ROOT)
        sys.stdout.writelines(problems)
        print(
            "the sync twins are stale: run `python scripts/generate.py` and commit the result."
            if problems
            else "the sync twins (runsapi/_sync, tests/behaviour/_sync) are up to date."
        )
        return status or int(bool(problems))
    regenerate(ROOT)
    print(f"wrote {OUTPUT}/ ({len(tree(ROOT / OUTPUT))} files)")
    print(f"wrote the sync twins ({unasync.write(ROOT)} files changed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
