"""`lambdactl init`: a manifest and a first function in a new project directory, in Python
or Node.js (the handler file AWS's console starts a function with, saying hello)."""

from __future__ import annotations

from pathlib import Path

from .errors import UsageError
from .manifest import MANIFEST_NAMES, RUNTIMES, runtime_problem

DEFAULT_RUNTIME = "python3.11"
"""What `init` scaffolds without `--runtime`."""

SCAFFOLDED = tuple(r for r in RUNTIMES if r.startswith(("python", "nodejs")))
"""The runtimes `init` writes a handler for (an OS-only runtime has no handler file to start
from: its `bootstrap` is the user's own program)."""

MANIFEST = """\
# lambdactl manifest: every key is documented in lambdactl's README.
region: us-east-1
account: "000000000000"
defaults:
  runtime: {runtime}
  memory: 128
  timeout: 3
functions:
  hello:
    handler: {handler}
    code: functions/hello
    description: Says hello
    environment:
      GREETING: Hello
"""

HANDLER = """\
import json
import os


def handler(event, context):
    name = event.get("name", "world") if isinstance(event, dict) else "world"
    greeting = os.environ.get("GREETING", "Hello")
    print(f"greeting {name} from {context.function_name}")
    return {"statusCode": 200, "body": json.dumps({"message": f"{greeting}, {name}!"})}
"""

NODE_HANDLER = """\
export const handler = async (event, context) => {
  const name = event?.name ?? "world";
  const greeting = process.env.GREETING ?? "Hello";
  console.log(`greeting ${name} from ${context.functionName}`);
  return { statusCode: 200, body: JSON.stringify({ message: `${greeting}, ${name}!` }) };
};
"""
"""AWS's console starts a Node.js function as `index.mjs` exporting an async `handler`."""

GITIGNORE = ".lambda/\n__pycache__/\n"
NODE_GITIGNORE = ".lambda/\nnode_modules/\n"


def init(directory: Path, runtime: str = DEFAULT_RUNTIME) -> list[Path]:
    """Write the scaffold for `runtime` into `directory` (created if missing); never overwrites
    a file. UsageError, before anything is written, for a runtime `init` does not scaffold.

    Returns the files written, in order.
    """
    _check(runtime)
    directory = directory.resolve()
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a directory")
    for name in MANIFEST_NAMES:
        if (directory / name).exists():
            raise UsageError(
                f"{directory / name} already exists; init never overwrites a project",
                hint="edit the manifest, or init into a new directory",
            )
    node = runtime.startswith("nodejs")
    code = directory / "functions" / "hello"
    handler = "index.handler" if node else "app.handler"
    files = {
        directory / "functions.yaml": MANIFEST.format(runtime=runtime, handler=handler),
        code / ("index.mjs" if node else "app.py"): NODE_HANDLER if node else HANDLER,
    }
    taken = [str(path) for path in files if path.exists()]
    if taken:
        raise UsageError(f"refusing to overwrite {', '.join(taken)}")
    try:
        return _write(files, directory / ".gitignore", NODE_GITIGNORE if node else GITIGNORE)
    except OSError as exc:  # a file in the way, permissions, a full disk
        raise UsageError(f"cannot write {exc.filename or directory}: {exc.strerror}") from None


def _check(runtime: str) -> None:
    if runtime in SCAFFOLDED:
        return
    reason = runtime_problem(runtime) if runtime.startswith(("python", "nodejs")) else None
    raise UsageError(
        f"--runtime {runtime}: " + (reason or "not a runtime init scaffolds"),
        hint=f"choose one of: {', '.join(SCAFFOLDED)}",
    )


def _write(files: dict[Path, str], gitignore: Path, ignored: str) -> list[Path]:
    written = []
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    kept = {"encoding": "utf-8", "errors": "surrogateescape"}  # whatever bytes it holds
    existing = gitignore.read_text(**kept) if gitignore.exists() else ""
    if ".lambda/" not in existing.split():
        gitignore.write_text(
            existing + ("\n" if existing and not existing.endswith("\n") else "") + ignored,
            **kept,
        )
        written.append(gitignore)
    return written
