"""AWS's response and record shapes, built in one place from lambdactl's values.

One module per AWS shape family: `functions` (Lambda's FunctionConfiguration,
AliasConfiguration and Invoke), `destinations` (what an asynchronous invocation sends to its
destinations and dead-letter queue), `sqs` (SQS's responses and messages, and Lambda's SQS
records), `logs` (CloudWatch Logs' events, and a subscription's event), `urls`
(FunctionUrlConfig, and a function URL's event). The events Lambda receives from its sources,
one module per source: `s3`, `sns`, `kinesis`, `dynamodb`, `apigw`, `alb` (with `sqs`,
`logs`, `urls` above; the scheduled event is `sources.schedule.scheduled_event`);
`samples` makes one of any type from `events generate`'s options. The pollers build what
they deliver with the same functions. Every face prints these (the CLI's `--output json`,
the HTTP API), so scripts written against the AWS CLI or an SDK read lambdactl's output
unchanged; services that speak an AWS API (`queues`) return them.
"""

from __future__ import annotations

from .functions import (
    account_settings,
    alias_configuration,
    concurrency,
    event_invoke_config,
    function_configuration,
    get_function,
    invoke_response,
)
from .urls import function_url_config

__all__ = [
    "account_settings",
    "alias_configuration",
    "concurrency",
    "event_invoke_config",
    "function_configuration",
    "function_url_config",
    "get_function",
    "invoke_response",
]
