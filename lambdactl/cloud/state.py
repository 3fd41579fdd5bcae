"""What was deployed to one target (an account or an endpoint, and a region), kept in
`.lambda/cloud/<account-or-endpoint>-<region>.json` (`...+<prefix>.json` with `--prefix`).

The file is rewritten whole and atomically (a temporary file, then `os.replace`) after each
successful write call to AWS, so a deploy that fails half-way leaves the truth up to its last
success and the next deploy resumes from there. Its shape:

```
{"functions": {LOCAL: {"name", "arn", "code_sha256", "config_digest", "versions": {LOCAL: REMOTE}}},
 "layers": {DIRECTORY: {ZIP_SHA256: LAYER_VERSION_ARN}},
 "resources": {KEY: {"digest", "function", ...outputs (arn, uuid, url)}}}
```
`code_sha256`/`config_digest` are what the remote `$LATEST` holds (not the manifest's): the
plan compares the manifest's with them. A resource key is the plan's (`queue:orders`,
`alias:hello:live`...); its outputs are what later steps refer to (a queue's ARN).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import StoreError

DIRECTORY = "cloud"
"""Under the project's `.lambda/`."""


def target_name(
    *, region: str, account: str | None = None, endpoint: str | None = None, prefix: str = ""
) -> str:
    """The file name's stem for one target: the endpoint's host and port when one is given
    (moto, LocalStack: their accounts are shared), else the account, then the region; then
    `+PREFIX` for a deploy with `--prefix` (each prefix is a copy of its own)."""
    if endpoint:
        where = re.sub(r"^[a-z]+://", "", endpoint).rstrip("/")
        where = re.sub(r"[^A-Za-z0-9.-]+", "_", where)
    else:
        where = account or "unknown"
    name = f"{where}-{region}"
    if prefix:
        name += "+" + re.sub(r"[^A-Za-z0-9._-]+", "_", prefix)
    return name


@dataclass
class FunctionState:
    """One deployed function: what its remote `$LATEST` holds and its versions' numbers."""

    name: str
    arn: str = ""
    code_sha256: str = ""
    config_digest: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    """Local version number -> remote version number (they may differ)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "code_sha256": self.code_sha256,
            "config_digest": self.config_digest,
            "versions": dict(self.versions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FunctionState:
        return cls(
            name=str(data.get("name", "")),
            arn=str(data.get("arn", "")),
            code_sha256=str(data.get("code_sha256", "")),
            config_digest=str(data.get("config_digest", "")),
            versions={str(k): str(v) for k, v in dict(data.get("versions", {})).items()},
        )


@dataclass
class DeployState:
    """The state file of one target, in memory; `save` writes it whole."""

    path: Path
    functions: dict[str, FunctionState] = field(default_factory=dict)
    layers: dict[str, dict[str, str]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> DeployState:
        """The file's state; an empty one when it does not exist yet."""
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"{path}: cannot read the deploy state ({exc})",
                hint="remove the file to deploy as if for the first time",
            ) from None
        return cls(
            path,
            functions={
                k: FunctionState.from_dict(v) for k, v in data.get("functions", {}).items()
            },
            layers={k: dict(v) for k, v in data.get("layers", {}).items()},
            resources={k: dict(v) for k, v in data.get("resources", {}).items()},
        )

    def function(self, local: str, remote: str) -> FunctionState:
        """The function's entry, made (empty) when missing."""
        entry = self.functions.get(local)
        if entry is None:
            entry = self.functions[local] = FunctionState(remote)
        return entry

    def resource(self, key: str) -> dict[str, Any] | None:
        return self.resources.get(key)

    def record(self, key: str, **values: Any) -> None:
        """Set a resource's entry (digest, owner, outputs) and save."""
        self.resources[key] = values
        self.save()

    def forget(self, key: str) -> None:
        self.resources.pop(key, None)
        self.save()

    def save(self) -> None:
        """Write the whole file atomically (a reader sees the old one or the new one)."""
        data = {
            "functions": {k: v.to_dict() for k, v in sorted(self.functions.items())},
            "layers": {k: dict(sorted(v.items())) for k, v in sorted(self.layers.items())},
            "resources": dict(sorted(self.resources.items())),
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
            os.replace(temporary, self.path)
        except OSError as exc:
            raise StoreError.from_os(exc, self.path) from None


def state_path(state_dir: Path, target: str) -> Path:
    """Where one target's state file is."""
    return state_dir / DIRECTORY / f"{target}.json"


def remote_versions(state_dir: Path, function: str) -> dict[str, list[tuple[str, str]]]:
    """Each local version of `function` deployed somewhere: local number -> [(target,
    remote number)], over every target's state file (unreadable ones left out: this only
    informs a listing)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((state_dir / DIRECTORY).glob("*.json")):
        try:
            entry = json.loads(path.read_text()).get("functions", {}).get(function, {})
            deployed = dict(entry.get("versions", {}))
        except (OSError, ValueError, AttributeError):
            continue
        for local, remote in deployed.items():
            found.setdefault(str(local), []).append((path.stem, str(remote)))
    return found
