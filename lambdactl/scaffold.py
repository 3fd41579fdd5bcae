"""`lambdactl init`: a manifest and a first function in a new project directory."""

from __future__ import annotations

from pathlib import Path

from .errors import UsageError
from .manifest import MANIFEST_NAMES

MANIFEST = """\
# lambdactl manifest: every key is documented in lambdactl's README.
region: us-east-1
account: "000000000000"
defaults:
  runtime: python3.11
  memory: 128
  timeout: 3
functions:
  hello:
    handler: app.handler
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

GITIGNORE = ".lambda/\n__pycache__/\n"


def init(directory: Path) -> list[Path]:
    """Write the scaffold into `directory` (created if missing); never overwrites a file.

    Returns the files written, in order.
    """
    directory = directory.resolve()
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a directory")
    for name in MANIFEST_NAMES:
        if (directory / name).exists():
            raise UsageError(
                f"{directory / name} already exists; init never overwrites a project",
                hint="edit the manifest, or init into a new directory",
            )
    files = {
        directory / "functions.yaml": MANIFEST,
        directory / "functions" / "hello" / "app.py": HANDLER,
    }
    taken = [str(path) for path in files if path.exists()]
    if taken:
        raise UsageError(f"refusing to overwrite {', '.join(taken)}")
    try:
        return _write(files, directory / ".gitignore")
    except OSError as exc:  # a file in the way, permissions, a full disk
        raise UsageError(f"cannot write {exc.filename or directory}: {exc.strerror}") from None


def _write(files: dict[Path, str], gitignore: Path) -> list[Path]:
    written = []
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    kept = {"encoding": "utf-8", "errors": "surrogateescape"}  # whatever bytes it holds
    existing = gitignore.read_text(**kept) if gitignore.exists() else ""
    if ".lambda/" not in existing.split():
        gitignore.write_text(
            existing + ("\n" if existing and not existing.endswith("\n") else "") + GITIGNORE,
            **kept,
        )
        written.append(gitignore)
    return written
