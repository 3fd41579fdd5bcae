"""A manifest exported as a SAM template (`export sam`) and read back with `-f` (the SAM
reader) gives the same functions: names, code, handler, runtime, memory, timeout, environment,
description, logging, layers, reserved concurrency, async config and destinations, dead-letter
queue, function URL, and the sources, their UUIDs included (so the state kept for a source, a
stream's checkpoints, survives the move); and the same queues and streams."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from lambdactl import manifest
from lambdactl.project import Project
from lambdactl.sources import specs
from tests.sam.test_export import REPOSITORY, write_everything

SAME = ("name", "code", "layers", "reserved_concurrency", "asynchronous", "dead_letter", "url")
"""The FunctionSpec fields compared whole (the configuration's: `CONFIG`; sources: `events`)."""
CONFIG = ("runtime", "handler", "memory", "timeout", "description", "logging")

NOT_READ_BACK = (specs.SqsSource, specs.KinesisSource, specs.DynamoDBSource)
"""Real AWS sources: the template names their ARNs, and the SAM reader runs only the
template's own queues and streams (each of these is a warning)."""
NO_SWITCH = ("topic", "files", "http")
"""Kinds whose SAM events cannot be disabled: a disabled one is not exported (a note)."""


def function_view(spec: manifest.FunctionSpec) -> dict[str, Any]:
    """What must come back the same."""
    view: dict[str, Any] = {name: getattr(spec, name) for name in SAME}
    view.update({name: getattr(spec.config, name) for name in CONFIG})
    view["environment"] = dict(spec.config.environment)
    view["events"] = tuple(
        source
        for source in spec.events
        if not isinstance(source, NOT_READ_BACK)
        and (source.enabled or source.kind not in NO_SWITCH)
    )
    return view


def read_back(cli, template: Path) -> manifest.Manifest:  # type: ignore[no-untyped-def]
    """The template as `lambdactl -f TEMPLATE` reads it (validated through the CLI first)."""
    validated = cli("-f", str(template), "validate")
    assert validated.code == 0, validated
    project = Project.open(template)
    try:
        return project.manifest
    finally:
        project.close()


def test_every_feature_round_trips(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_everything(project_dir)
    declared = manifest.load(path, remember=False)
    assert cli("publish", "api").code == 0
    assert cli("alias", "create", "api", "live", "--version", "1").code == 0  # the URL's
    assert cli("export", "sam", "--template-file", "template.yaml").code == 0
    read = read_back(cli, project_dir / "template.yaml")
    assert list(read.functions) == list(declared.functions)
    for name, spec in declared.functions.items():
        assert function_view(read.functions[name]) == function_view(spec), name
    assert read.queues == declared.queues
    assert read.streams == declared.streams


def test_the_sample_functions_round_trip(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    for name in ("sample-functions", "layers"):
        shutil.copytree(REPOSITORY / name, project_dir / name)
    shutil.copy(REPOSITORY / "functions.yaml", project_dir / "functions.yaml")
    declared = manifest.load(project_dir / "functions.yaml", remember=False)
    (project_dir / "sam").mkdir()
    assert cli("export", "sam", "-t", "sam/template.yaml").code == 0
    read = read_back(cli, project_dir / "sam" / "template.yaml")
    assert {n: function_view(f) for n, f in read.functions.items()} == {
        n: function_view(f) for n, f in declared.functions.items()
    }


def test_a_bucket_whose_directory_is_gone_is_watched_where_any_bucket_is(  # type: ignore[no-untyped-def]
    cli, project_dir: Path
) -> None:
    """The exported bucket's directory (its `Metadata.Lambdactl.Directory`) moved away: the
    bucket is an unnamed one again, watched in `s3/<its logical ID in lower case>/`."""
    write_everything(project_dir)
    assert cli("export", "sam", "-t", "template.yaml").code == 0
    shutil.rmtree(project_dir / "uploads" / "in")
    read = read_back(cli, project_dir / "template.yaml")
    paths = [s.path for s in read.functions["sink"].events if isinstance(s, specs.FilesSource)]
    assert paths == [project_dir / "uploads", project_dir / "s3" / "uploadsinbucket"]
