"""Load a manifest file, and remember a valid one: the parsed-manifest cache in `.lambda/`
(read back without YAML while nothing it was read from changed, ~15 ms less per command).

A manifest is a functions.yaml or an AWS SAM / CloudFormation template (`is_template_file`):
a template is resolved by `sam/template.py` with the options remembered in `.lambda/`
(`sam/options.py`: parameter overrides, region, account) and mapped by `sam/reader.py` to the
same `Manifest`; its cache entry is keyed on those options too.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from .. import cache
from ..errors import ManifestError
from ..layout import MANIFEST_NAMES, STATE_DIR_NAME, TEMPLATE_NAMES
from ..sources import specs
from .reader import _Reader
from .schema import (
    AsyncConfig,
    Cors,
    Destination,
    EventInvokeConfig,
    FunctionConfig,
    FunctionSpec,
    LoggingConfig,
    LogRetention,
    Manifest,
    Upload,
    UrlConfig,
    UrlRecord,
)

CACHE_NAME = "manifest.json"
"""The last valid manifest, read back without YAML while nothing it was read from changed."""


def load(path: Path, *, remember: bool = True, text: str | None = None) -> Manifest:
    """Read and validate a manifest file (or `text`, as read from it). Raises
    `ManifestError` on the first problem.

    A valid manifest is remembered in `.lambda/` (when it exists) and read back from there
    while nothing it depends on changed; `remember=False` writes no record (a SAM template's
    inline code and S3 events' directories are written all the same: they are its code)."""
    path = path.resolve()
    if text is None:
        text = read(path)
    record = path.parent / STATE_DIR_NAME / CACHE_NAME
    key = _cache_key(text, path)
    template = is_template_file(path, text)
    if template:
        from ..sam import options

        chosen = options.recall(path.parent / STATE_DIR_NAME)
        key["template"] = {**chosen.key(), "engine": _sam_stamp()}
    remembered = _recall(record, key)
    if remembered is not None:
        return remembered
    if template:
        loaded, directories = _read_template(path, text)
    else:
        reader = _Reader(path)
        loaded, directories = reader.read(text), reader.directories
    if remember and record.parent.is_dir():  # never the first to create .lambda/
        cache.save(record, key, {"manifest": _encode(loaded), "directories": directories})
    return loaded


def is_template_file(path: Path, text: str | None = None) -> bool:
    """Whether the manifest at `path` is a SAM / CloudFormation template: by its name
    (`template.yaml` is one, `functions.yaml` is not), else by its content (`text`, or the
    file's)."""
    if path.name in TEMPLATE_NAMES:
        return True
    if path.name in MANIFEST_NAMES:
        return False
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
    if "Resources" not in text:  # most manifests: no YAML parsed to tell
        return False
    from ..sam.template import is_template

    return is_template(text)


def _read_template(path: Path, text: str) -> tuple[Manifest, list[tuple[str, str]]]:
    """A template's manifest, read with its remembered options, and the directories it
    names (for the cache). Inline code and S3 events' directories are written on the way."""
    from ..sam import options, reader, template

    state = path.parent / STATE_DIR_NAME
    chosen = options.recall(state)
    resolved = template.load(
        path,
        text,
        parameter_overrides=chosen.parameter_overrides,
        region=chosen.region,
        account=chosen.account,
    )
    mapper = reader.TemplateReader(resolved, state)
    return mapper.manifest(), mapper.directories


@functools.cache
def _sam_stamp() -> list[Any]:
    """The template engine's and reader's files (`lambdactl/sam/*.py`): a cached template's
    manifest is read again after an edit of any of them."""
    package = Path(__file__).parent.parent / "sam"
    return [cache.stamp(path) for path in sorted(package.glob("*.py"))]


def read(path: Path) -> str:
    """The text of the manifest file, or a `ManifestError` saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read manifest: {exc}", file=str(path)) from None


def parse(text: str, path: Path) -> Manifest:
    """Validate manifest `text` as if read from `path` (relative paths resolve against it)."""
    if is_template_file(path, text):
        return _read_template(path, text)[0]
    return _Reader(path).read(text)


# --------------------------------------------------------------------------------------------
# The cache: a valid manifest read back without YAML (~15 ms less per command)


def _cache_key(text: str, path: Path) -> dict[str, Any]:
    """What a parse depends on besides the directories it checks: the text, where it is,
    and the code that reads it."""
    from .. import __version__

    return {"text": text, "path": str(path), "lambdactl": __version__, "reader": _READER_STAMP}


_READER_STAMP = [
    [cache.stamp(path) for path in sorted(Path(__file__).parent.glob("*.py"))],
    specs.STAMP,
]
"""Every module of this package (the schema, the readers, this file) and the sources' rules: a
lambdactl being worked on reads manifests again after each edit of any of them."""


def _recall(record: Path, key: dict[str, Any]) -> Manifest | None:
    """The remembered manifest, if every directory it names still resolves as it did."""
    remembered = cache.recall(record, key)
    if remembered is None:
        return None
    try:
        for joined, resolved in remembered["directories"]:
            if os.path.realpath(joined) != resolved or not os.path.isdir(resolved):
                return None
        manifest = _decode(remembered["manifest"])
    except (KeyError, TypeError, ValueError):
        return None
    return manifest if isinstance(manifest, Manifest) else None


def _encode(value: Any) -> Any:
    """A manifest as JSON: tagged objects for its dataclasses, paths, tuples and mappings."""
    if is_dataclass(value) and type(value).__name__ in _CACHED_TYPES:
        encoded = {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
        return {"@": type(value).__name__, **encoded}
    if isinstance(value, Path):
        return {"@": "Path", "value": str(value)}
    if isinstance(value, tuple):
        return {"@": "tuple", "value": [_encode(item) for item in value]}
    if isinstance(value, Mapping):
        return {"@": "dict", "value": [[key, _encode(item)] for key, item in value.items()]}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot cache {type(value).__name__}")


def _decode(value: Any) -> Any:
    """`_encode`'s inverse; KeyError, TypeError or ValueError on anything else."""
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    tag, members = value["@"], {k: _decode(v) for k, v in value.items() if k != "@"}
    if tag == "Path":
        return Path(members["value"])
    if tag == "tuple":
        return tuple(members["value"])
    if tag == "dict":
        return {key: item for key, item in members["value"]}
    return _CACHED_TYPES[tag](**members)


_CACHED_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Manifest,
        FunctionSpec,
        FunctionConfig,
        LoggingConfig,
        LogRetention,
        AsyncConfig,
        Destination,
        EventInvokeConfig,
        Upload,
        UrlConfig,
        UrlRecord,
        Cors,
        *specs.CACHED_TYPES,
    )
}
"""The classes a cached manifest is made of (and the only ones it may name)."""
