"""An event source mapping as the Lambda API shows it (GetEventSourceMapping's shape), from a
declared source and its run-time state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..arns import function_arn

if TYPE_CHECKING:
    from ..sources.mappings import Mapping
    from ..sources.specs import EventSource


def mapping(
    source: EventSource, state: Mapping, *, region: str, account: str, source_arn: str
) -> dict[str, Any]:
    """The common fields, then the source's settings under AWS's names where it has them."""
    shape: dict[str, Any] = {
        "UUID": state.uuid,
        "EventSourceMappingArn": (
            f"arn:aws:lambda:{region}:{account}:event-source-mapping:{state.uuid}"
        ),
        "EventSourceArn": source_arn,
        "FunctionArn": function_arn(region, account, source.function),
        "State": state.state,
        "StateTransitionReason": "USER_INITIATED",
        "LastModified": state.last_modified,
        "LastProcessingResult": state.last_processing_result,
    }
    settings = getattr(source, "settings", None)
    if settings is not None:
        shape["BatchSize"] = settings.batch_size
        shape["MaximumBatchingWindowInSeconds"] = settings.batching_window
        shape["FunctionResponseTypes"] = (
            ["ReportBatchItemFailures"] if settings.report_batch_item_failures else []
        )
        if getattr(settings, "maximum_concurrency", None) is not None:
            shape["ScalingConfig"] = {"MaximumConcurrency": settings.maximum_concurrency}
        if settings.filters:
            shape["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in settings.filters]}
    return shape
