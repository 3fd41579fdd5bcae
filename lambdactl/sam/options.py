"""What a SAM template is read with besides its text: `--parameter-overrides`, `--region` and
`--account`. They are remembered in `.lambda/template-options.json` when a command is given
them, and every later load of the template reads them from there: the detached worker, `serve`,
`dev` and a reload see the same values as the command that set them, until options are given
again (each one given replaces its remembered value; `--parameter-overrides ''` clears them).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError

OPTIONS_NAME = "template-options.json"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "000000000000"
REGION_PATTERN = r"[a-z]{2}(-gov)?-[a-z]+-\d{1}"


@dataclass(frozen=True)
class Options:
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT

    def key(self) -> dict[str, Any]:
        """As the parsed-manifest cache keys on them."""
        return {
            "parameter_overrides": dict(sorted(self.parameter_overrides.items())),
            "region": self.region,
            "account": self.account,
        }


def recall(state_dir: Path) -> Options:
    """The options remembered for the template beside `state_dir` (defaults when none)."""
    try:
        data = json.loads((state_dir / OPTIONS_NAME).read_text(encoding="utf-8"))
        overrides = data.get("parameter_overrides") or {}
        return Options(
            parameter_overrides={str(k): str(v) for k, v in overrides.items()},
            region=str(data.get("region") or DEFAULT_REGION),
            account=str(data.get("account") or DEFAULT_ACCOUNT),
        )
    except (OSError, ValueError, AttributeError, TypeError):
        return Options()


def remember(state_dir: Path, options: Options) -> None:
    """Write `options` for every later load (atomically; `.lambda/` made when missing)."""
    path = state_dir / OPTIONS_NAME
    temporary = path.with_name(f".{OPTIONS_NAME}.{os.getpid()}")
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(options.key(), indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        raise UsageError(f"cannot remember the template's options in {path}: {exc}") from None


def check_region(region: str) -> str:
    if not re.fullmatch(REGION_PATTERN, region):
        raise UsageError(f"--region: '{region}' is not an AWS region name (like us-east-1)")
    return region


def check_account(account: str) -> str:
    if not re.fullmatch(r"\d{12}", account):
        raise UsageError(f"--account: '{account}' is not a 12-digit account id")
    return account
