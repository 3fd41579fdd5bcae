"""The manifest: a function's configuration, read into one typed, validated `Manifest`.

Where things live (every name below is importable from `lambdactl.manifest`, as it always was):
- `schema.py`: the values (frozen dataclasses: `Manifest`, `FunctionSpec`, `FunctionConfig`,
  `AsyncConfig`, `Destination`, `UrlConfig`, `Cors`, `LoggingConfig`, `LogRetention`...),
  AWS's constants and limits (`RUNTIMES`, patterns, queue attributes), and the pure rules that
  return AWS's message for a bad value (`runtime_problem`, `handler_problem`, ...). No YAML:
  everything a second reader (a SAM template) needs to build and check the same `Manifest`.
- `reader.py`: the `functions.yaml` reader (`_Reader`, `_read_yaml`, its key tables and node
  helpers): YAML text -> `Manifest`, each error located by file, line and dotted key.
- `loading.py`: `load`, `read`, `parse`, and the parsed-manifest cache in `.lambda/` (keyed by
  the text, the path, lambdactl's version and a stamp of every module of this package).
- `find`, `MANIFEST_NAMES` and `STATE_DIR_NAME` are `layout.py`'s (where a manifest is).
"""

from __future__ import annotations

from ..layout import (
    MANIFEST_NAMES as MANIFEST_NAMES,
)
from ..layout import (
    STATE_DIR_NAME as STATE_DIR_NAME,
)
from ..layout import (
    find as find,
)
from .loading import (
    _CACHED_TYPES as _CACHED_TYPES,
)
from .loading import (
    _READER_STAMP as _READER_STAMP,
)
from .loading import (
    CACHE_NAME as CACHE_NAME,
)
from .loading import (
    _cache_key as _cache_key,
)
from .loading import (
    _decode as _decode,
)
from .loading import (
    _encode as _encode,
)
from .loading import (
    _recall as _recall,
)
from .loading import (
    is_template_file as is_template_file,
)
from .loading import (
    load as load,
)
from .loading import (
    parse as parse,
)
from .loading import (
    read as read,
)
from .schema import (
    ACCOUNT_CONCURRENCY as ACCOUNT_CONCURRENCY,
)
from .schema import (
    API as API,
)
from .schema import (
    APPLICATION_LOG_LEVELS as APPLICATION_LOG_LEVELS,
)
from .schema import (
    CORS_LISTS as CORS_LISTS,
)
from .schema import (
    CORS_MAX_AGE as CORS_MAX_AGE,
)
from .schema import (
    CORS_METHODS as CORS_METHODS,
)
from .schema import (
    DEAD_LETTER_TYPE_RULE as DEAD_LETTER_TYPE_RULE,
)
from .schema import (
    DEFAULT_MAX_RECEIVE_COUNT as DEFAULT_MAX_RECEIVE_COUNT,
)
from .schema import (
    DEPRECATED_RUNTIMES as DEPRECATED_RUNTIMES,
)
from .schema import (
    ENV_KEY_MESSAGE as ENV_KEY_MESSAGE,
)
from .schema import (
    ENV_KEY_PATTERN as ENV_KEY_PATTERN,
)
from .schema import (
    ENVIRONMENT_LIMIT_BYTES as ENVIRONMENT_LIMIT_BYTES,
)
from .schema import (
    FIFO_QUEUE_NAME_RULE as FIFO_QUEUE_NAME_RULE,
)
from .schema import (
    FUNCTION_NAME_PATTERN as FUNCTION_NAME_PATTERN,
)
from .schema import (
    IDLE_TIMEOUT as IDLE_TIMEOUT,
)
from .schema import (
    LOG_FORMATS as LOG_FORMATS,
)
from .schema import (
    MANIFEST as MANIFEST,
)
from .schema import (
    MAX_LAYERS as MAX_LAYERS,
)
from .schema import (
    MAX_RECEIVE_COUNT_RANGE as MAX_RECEIVE_COUNT_RANGE,
)
from .schema import (
    QUEUE_ATTRIBUTES as QUEUE_ATTRIBUTES,
)
from .schema import (
    QUEUE_NAME_RULE as QUEUE_NAME_RULE,
)
from .schema import (
    QUEUE_REDRIVE_KEYS as QUEUE_REDRIVE_KEYS,
)
from .schema import (
    REGION_PATTERN as REGION_PATTERN,
)
from .schema import (
    RESERVED_ENVIRONMENT_KEYS as RESERVED_ENVIRONMENT_KEYS,
)
from .schema import (
    RESERVED_KEYS_MESSAGE as RESERVED_KEYS_MESSAGE,
)
from .schema import (
    ROLE_PATTERN as ROLE_PATTERN,
)
from .schema import (
    RUNTIMES as RUNTIMES,
)
from .schema import (
    SYSTEM_LOG_LEVELS as SYSTEM_LOG_LEVELS,
)
from .schema import (
    UNRESERVED_MINIMUM as UNRESERVED_MINIMUM,
)
from .schema import (
    UNRESERVED_MINIMUM_MESSAGE as UNRESERVED_MINIMUM_MESSAGE,
)
from .schema import (
    URL_AUTH_TYPES as URL_AUTH_TYPES,
)
from .schema import (
    URL_INVOKE_MODES as URL_INVOKE_MODES,
)
from .schema import (
    URL_QUALIFIER_PATTERN as URL_QUALIFIER_PATTERN,
)
from .schema import (
    AsyncConfig as AsyncConfig,
)
from .schema import (
    Cors as Cors,
)
from .schema import (
    Destination as Destination,
)
from .schema import (
    EventInvokeConfig as EventInvokeConfig,
)
from .schema import (
    FunctionConfig as FunctionConfig,
)
from .schema import (
    FunctionSpec as FunctionSpec,
)
from .schema import (
    LoggingConfig as LoggingConfig,
)
from .schema import (
    LogRetention as LogRetention,
)
from .schema import (
    Manifest as Manifest,
)
from .schema import (
    Upload as Upload,
)
from .schema import (
    UrlConfig as UrlConfig,
)
from .schema import (
    UrlRecord as UrlRecord,
)
from .schema import (
    choice_problem as choice_problem,
)
from .schema import (
    cors_problem as cors_problem,
)
from .schema import (
    environment_problem as environment_problem,
)
from .schema import (
    handler_problem as handler_problem,
)
from .schema import (
    queue_name_problem as queue_name_problem,
)
from .schema import (
    range_problem as range_problem,
)
from .schema import (
    runtime_problem as runtime_problem,
)
from .schema import (
    unreserved as unreserved,
)
from .schema import (
    url_qualifier_problem as url_qualifier_problem,
)
