"""Shell completion: function names from the manifest and the store (those created through
the API), versions and aliases from the store.

The shell runs `lambdactl` with `_LAMBDACTL_COMPLETE` set (`--install-completion` and
`--show-completion` print or install the script that does so). Suggestions are read without
writing anything: the store is opened read-only, and only when it exists. Whatever goes wrong
(no manifest, a broken one, a damaged store) means fewer suggestions or none, never an error
or a traceback on the user's prompt.

This module stays light: the CLI modules import it for their parameters' `autocompletion`, and
it imports the manifest and the store only when the shell asks.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from ..manifest import Manifest
    from ..store import Store

Completer = Callable[[typer.Context, str], list[str]]


def _quiet(completer: Completer) -> Completer:
    """Any failure while looking names up is no suggestions."""

    @functools.wraps(completer)
    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        try:
            return completer(ctx, incomplete)
        except Exception:
            if os.environ.get("LAMBDACTL_DEBUG") == "1":
                raise
            return []

    return complete


def _manifest(ctx: typer.Context) -> Manifest:
    from ..manifest import find, load

    return load(find(explicit=ctx.find_root().params.get("manifest")), remember=False)


def _function(ctx: typer.Context, manifest: Manifest) -> str:
    """The function already on the command line (its name, from any way of naming it)."""
    from ..arns import parse

    given = ctx.params.get("function")
    if given is None:  # click leaves the words before an option awaiting its value unparsed
        given = next((word for word in ctx.args if not word.startswith("-")), None)
    if not given:
        raise LookupError("no function on the command line yet")
    return parse(str(given), region=manifest.region, account=manifest.account).name


def _store(manifest: Manifest) -> Store | None:
    from ..errors import StoreError
    from ..store import open_store

    try:
        return open_store(manifest.state_dir, read_only=True)
    except StoreError:  # nothing published yet, or a store that cannot be opened
        return None


def _qualifiers(manifest: Manifest, function: str, *, versions: bool, aliases: bool) -> list[str]:
    """`$LATEST` and the function's published versions, then its aliases."""
    from ..errors import StoreError

    names = ["$LATEST"] if versions else []
    store = _store(manifest)
    if store is None:
        return names
    try:
        if versions:
            names += [str(number) for number, _ in store.list_versions(function)]
        if aliases:
            names += [alias["name"] for alias in store.list_aliases(function)]
    except StoreError:  # a damaged store: what is known without it
        pass
    finally:
        store.close()
    return names


def _names(manifest: Manifest) -> list[str]:
    """The manifest's functions, then those created through the API (read from the store
    as it is: the catalog's overrides do not change names, so `Project` is not needed)."""
    from ..errors import StoreError

    names = list(manifest.functions)
    store = _store(manifest)
    if store is None:
        return names
    try:
        records = store.function_records()
    except StoreError:
        return names
    finally:
        store.close()
    created = records.created if records is not None else {}
    return names + [name for name in created if name not in manifest.functions]


@_quiet
def functions(ctx: typer.Context, incomplete: str) -> list[str]:
    """Function names."""
    return _names(_manifest(ctx))


@_quiet
def function_refs(ctx: typer.Context, incomplete: str) -> list[str]:
    """Function names; after `NAME:`, that function's versions and aliases."""
    manifest = _manifest(ctx)
    name, colon, _ = incomplete.partition(":")
    names = _names(manifest)
    if not colon or name not in names:
        return names
    found = _qualifiers(manifest, name, versions=True, aliases=True)
    return [f"{name}:{qualifier}" for qualifier in found]


@_quiet
def qualifiers(ctx: typer.Context, incomplete: str) -> list[str]:
    """The versions and aliases of the function on the command line."""
    manifest = _manifest(ctx)
    return _qualifiers(manifest, _function(ctx, manifest), versions=True, aliases=True)


@_quiet
def versions(ctx: typer.Context, incomplete: str) -> list[str]:
    """`$LATEST` and the published versions of the function on the command line."""
    manifest = _manifest(ctx)
    return _qualifiers(manifest, _function(ctx, manifest), versions=True, aliases=False)


@_quiet
def published(ctx: typer.Context, incomplete: str) -> list[str]:
    """The published versions of the function on the command line."""
    return [v for v in versions(ctx, incomplete) if v != "$LATEST"]


@_quiet
def aliases(ctx: typer.Context, incomplete: str) -> list[str]:
    """The aliases of the function on the command line."""
    manifest = _manifest(ctx)
    return _qualifiers(manifest, _function(ctx, manifest), versions=False, aliases=True)


# -- the shell side --------------------------------------------------------------------------


class Group(TyperGroup):
    """lambdactl's root command: completion requests never fail loudly, and bash gets whole
    `NAME:QUALIFIER` words."""

    def _main_shell_completion(
        self, ctx_args: Any, prog_name: str, complete_var: Any = None
    ) -> None:
        _use_whole_words_in_bash()
        try:
            super()._main_shell_completion(ctx_args, prog_name, complete_var)
        except Exception:
            if os.environ.get("LAMBDACTL_DEBUG") == "1":
                raise
            sys.exit(0)


@_quiet
def event_states(ctx: typer.Context, incomplete: str) -> list[str]:
    from ..store.lifecycle import EventState

    return [state.value for state in EventState if state.value.startswith(incomplete)]


@_quiet
def runtimes(ctx: typer.Context, incomplete: str) -> list[str]:
    """The runtimes `init` scaffolds."""
    from ..scaffold import SCAFFOLDED

    return [runtime for runtime in SCAFFOLDED if runtime.startswith(incomplete)]


def _use_whole_words_in_bash() -> None:
    """Register the bash completion below in place of typer's (which typer registers when
    the command is built, so just before completing is the moment)."""
    from typer import _completion_classes as typer_completion

    base: Any = typer_completion.BashComplete

    class WholeWordBash(base):  # type: ignore[misc, valid-type]
        """bash splits `hello:1` into `hello`, `:` and `1` (`:` is in COMP_WORDBREAKS): join
        them back to complete the whole reference, and give bash back only the part after
        the piece it holds as the current word."""

        strip = 0

        def get_completion_args(self) -> tuple[list[str], str]:
            args, incomplete = super().get_completion_args()
            words = list(_joined([*args, incomplete]))
            self.strip = len(words[-1]) - len(incomplete)
            return words[:-1], words[-1]

        def format_completion(self, item: Any) -> str:
            return str(item.value)[self.strip :]

    typer_completion.add_completion_class(WholeWordBash, "bash")


def _joined(words: list[str]) -> Iterator[str]:
    """Words with each `:` glued to its neighbours (a lone `:` is never an argument)."""
    held: str | None = None
    for word in words:
        if held is not None and (word == ":" or (held.endswith(":") and word)):
            held += word
            continue
        if held is not None:
            yield held
        held = word
    if held is not None:
        yield held
