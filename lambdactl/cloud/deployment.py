"""One deploy, end to end, for the CLI: package what is deployed (`gather`), read the state
and what AWS holds, plan (`prepare`), then apply (`Deployment.apply`).

Only what the manifest declares is deployed (functions created through the Lambda API, or a
SAM template's that cannot run here, are left out, with their reason in `left_out`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import aliases, versions
from ..errors import UsageError
from ..manifest import MANIFEST
from ..project import Project
from .apply import Applier, Clients, Target, observe
from .plan import Code, Desired, LocalAlias, LocalFunction, LocalVersion, Step, plan, remote_name
from .state import DeployState


@dataclass
class Deployment:
    """A planned deploy: its steps, the state it started from, the clients it writes with."""

    steps: list[Step]
    state: DeployState
    clients: Clients
    left_out: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return not any(step.writes for step in self.steps)

    def apply(self, on_step: Callable[[Step, str], None] | None = None) -> int:
        """Carry out the plan; the number of steps that wrote (the state saved after each)."""
        return Applier(self.clients, self.state, on_step=on_step).run(self.steps)


def gather(
    project: Project,
    *,
    selected: Sequence[str] = (),
    prefix: str = "",
    region: str,
    prune: bool = False,
    on_package: Callable[[str], None] | None = None,
) -> tuple[Desired, list[tuple[str, str]], list[str]]:
    """The local side: each chosen manifest function packaged, with its published versions
    and aliases; (desired, functions left out with why, packaging notes)."""
    from . import package

    for name in selected:
        project.function(name)
    left_out: list[tuple[str, str]] = []
    notes: list[str] = []
    functions: dict[str, LocalFunction] = {}
    layers: dict[Path, Code] = {}
    for name, spec in project.functions.items():
        if selected and name not in selected:
            continue
        if spec.source != MANIFEST:
            left_out.append((name, "created through the Lambda API, not in the manifest"))
            continue
        if spec.unavailable:
            left_out.append((name, spec.unavailable))
            continue
        if on_package is not None:
            on_package(name)
        built = package.function_zip(project, name)
        notes += [f"{name}: {note}" for note in built.notes]
        local_versions = []
        for version in versions.list_versions(project, name)[1:]:
            zipped = package.version_zip(project, name, version.version)
            local_versions.append(
                LocalVersion(
                    version.version,
                    Code(zipped.path, zipped.sha256),
                    version.config,
                    tuple(layer.directory for layer in version.layers),
                    version.description,
                )
            )
        local_aliases = tuple(
            LocalAlias(a.name, a.version, dict(a.routing), a.description)
            for a in aliases.list_aliases(project, name)
        )
        functions[name] = LocalFunction(
            spec, Code(built.path, built.sha256), tuple(local_versions), local_aliases
        )
        for directory in (*spec.layers, *(d for v in local_versions for d in v.layers)):
            if directory not in layers:
                zipped = package.layer_zip(project, directory)
                layers[directory] = Code(zipped.path, zipped.sha256)
    desired = Desired(
        functions=functions,
        queues=project.manifest.queues,
        streams=project.manifest.streams,
        layers=layers,
        region=region,
        prefix=prefix,
        selected=tuple(selected),
        prune=prune,
    )
    return desired, left_out, notes


def prepare(
    project: Project,
    target: Target,
    *,
    selected: Sequence[str] = (),
    prefix: str = "",
    prune: bool = False,
    on_package: Callable[[str], None] | None = None,
) -> Deployment:
    """Package, read the state and AWS's functions, and plan. Writes nothing to AWS."""
    if prune and selected:
        raise UsageError("--prune deletes what the whole manifest no longer has: name no function")
    desired, left_out, notes = gather(
        project,
        selected=selected,
        prefix=prefix,
        region=target.region,
        prune=prune,
        on_package=on_package,
    )
    clients = Clients(target)
    state = DeployState.load(clients.state_file(project.manifest.state_dir, prefix=prefix))
    names = [remote_name(desired, n) for n in desired.functions]
    names += [f.name for n, f in state.functions.items() if n not in desired.functions]
    remote = observe(clients, names)
    return Deployment(plan(desired, state, remote), state, clients, left_out, notes)
