"""AWS's response and record shapes, built in one place from lambdactl's values.

One module per AWS shape family: `functions` (Lambda's FunctionConfiguration,
AliasConfiguration and Invoke), `destinations` (what an asynchronous invocation sends to its
destinations and dead-letter queue), `sqs` (SQS's responses and messages), `logs`
(CloudWatch Logs' events), `urls` (FunctionUrlConfig). Every face prints these (the CLI's
`--output json`, the HTTP API), so scripts written against the AWS CLI or an SDK read
lambdactl's output unchanged; services that speak an AWS API (`queues`) return them.
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
