"""The `--remote` options of `invoke`, `logs` and `tail`: where the deployed function is
(`lambdactl deploy`'s --region/--profile/--endpoint-url/--prefix) and the clients to reach it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

from ..errors import UsageError

if TYPE_CHECKING:
    from ..cloud.apply import Target
    from ..project import Project


def remote_option(what: str) -> Any:
    """`--remote`, its help saying what the deployed function is used for."""
    return typer.Option(
        False, "--remote", help=f"{what} the function deployed to AWS (`lambdactl deploy`)."
    )


REGION_OPTION = typer.Option(
    None, "--region", metavar="REGION", help="--remote: the region (default: the manifest's)."
)
PROFILE_OPTION = typer.Option(None, "--profile", metavar="NAME", help="--remote: an AWS profile.")
ENDPOINT_OPTION = typer.Option(
    None, "--endpoint-url", metavar="URL", help="--remote: another endpoint than AWS's."
)
PREFIX_OPTION = typer.Option(
    "", "--prefix", metavar="TEXT", help="--remote: the deploy's --prefix."
)


@dataclass(frozen=True)
class Remote:
    """The --remote options as given (all None/empty: none given)."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    prefix: str = ""

    def refuse_unless(self, remote: bool) -> None:
        """The options mean nothing without --remote: say so rather than ignore them."""
        if not remote and (self.region, self.profile, self.endpoint_url, self.prefix) != (
            None,
            None,
            None,
            "",
        ):
            raise UsageError("--region, --profile, --endpoint-url and --prefix go with --remote")

    def target(self, project: Project) -> Target:
        """Where the deploy went: the manifest's region unless --region."""
        from ..cloud.apply import Target

        return Target(self.region or project.manifest.region, self.profile, self.endpoint_url)

    def name(self, function: str) -> str:
        """The remote name of a local function: the deploy's prefix, then its name."""
        return self.prefix + function
