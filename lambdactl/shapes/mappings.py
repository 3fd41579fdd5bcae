"""An event source mapping as the Lambda API shows it (EventSourceMappingConfiguration: what
Create/Get/Update/Delete/ListEventSourceMappings answer), from a source and its run-time
state. The members and their defaults are those AWS's responses carry for SQS and Kinesis
sources (a stream's `DestinationConfig` is `{"OnFailure": {}}` when none is set)."""

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
    name, _, qualifier = state.function.partition(":")
    shape: dict[str, Any] = {"UUID": state.uuid}
    settings: Any = getattr(source, "settings", None)
    stream = settings is not None and hasattr(settings, "starting_position")
    if stream:
        shape["StartingPosition"] = settings.starting_position
        if settings.starting_position_timestamp is not None:
            shape["StartingPositionTimestamp"] = settings.starting_position_timestamp
    if settings is not None:
        shape["BatchSize"] = settings.batch_size
        shape["MaximumBatchingWindowInSeconds"] = settings.batching_window
    if stream:
        shape["ParallelizationFactor"] = settings.parallelization_factor
    shape.update(
        {
            "EventSourceArn": source_arn,
            "FunctionArn": function_arn(region, account, name, qualifier or None),
            "LastModified": state.last_modified,
            "LastProcessingResult": state.last_processing_result,
            "State": state.state,
            "StateTransitionReason": state.state_transition_reason,
        }
    )
    if settings is not None and settings.filters:
        shape["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in settings.filters]}
    if stream:
        on_failure: dict[str, str] = {}
        if settings.on_failure is not None:
            on_failure["Destination"] = f"arn:aws:sqs:{region}:{account}:{settings.on_failure}"
        shape["DestinationConfig"] = {"OnFailure": on_failure}
        shape["MaximumRecordAgeInSeconds"] = settings.maximum_record_age
        shape["BisectBatchOnFunctionError"] = settings.bisect_on_error
        shape["MaximumRetryAttempts"] = settings.maximum_retry_attempts
        shape["TumblingWindowInSeconds"] = settings.tumbling_window
    if settings is not None:
        shape["FunctionResponseTypes"] = (
            ["ReportBatchItemFailures"] if settings.report_batch_item_failures else []
        )
        if getattr(settings, "maximum_concurrency", None) is not None:
            shape["ScalingConfig"] = {"MaximumConcurrency": settings.maximum_concurrency}
    shape["EventSourceMappingArn"] = (
        f"arn:aws:lambda:{region}:{account}:event-source-mapping:{state.uuid}"
    )
    return shape
