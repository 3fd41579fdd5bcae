"""An Invoke answered by another process: a running `lambdactl serve` (the CLI's warm path)
or AWS Lambda itself (`invoke --remote`). Light on purpose: the warm path imports it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .logs.reports import Report


@dataclass(frozen=True)
class Reply:
    """The answer, with what the CLI shows of a local `InvocationResult`."""

    status_code: int
    request_id: str
    executed_version: str = ""
    payload: bytes = b""
    function_error: str | None = None
    log_result: str | None = None
    report: Report | None = None

    @property
    def error_type(self) -> str | None:
        return self.report.error_type if self.report else None
