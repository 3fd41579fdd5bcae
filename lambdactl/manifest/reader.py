"""`functions.yaml` text -> a `Manifest` (the values of `schema.py`).

Validation walks the YAML node tree (not the constructed objects) so that every error can name
the file, the line and the dotted key it is about. Messages use AWS's wording where AWS has one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ..errors import ManifestError, enum_constraint, validation_message, yaml_error
from ..sources import specs
from .schema import (
    ACCOUNT_CONCURRENCY,
    APPLICATION_LOG_LEVELS,
    CORS_LISTS,
    CORS_MAX_AGE,
    DEAD_LETTER_TYPE_RULE,
    DEFAULT_MAX_RECEIVE_COUNT,
    ENV_KEY_MESSAGE,
    ENV_KEY_PATTERN,
    FUNCTION_NAME_PATTERN,
    IDLE_TIMEOUT,
    LOG_FORMATS,
    MAX_LAYERS,
    MAX_RECEIVE_COUNT_RANGE,
    QUEUE_ATTRIBUTES,
    QUEUE_NAME_RULE,
    QUEUE_REDRIVE_KEYS,
    REGION_PATTERN,
    ROLE_PATTERN,
    SYSTEM_LOG_LEVELS,
    UNRESERVED_MINIMUM,
    UNRESERVED_MINIMUM_MESSAGE,
    URL_AUTH_TYPES,
    URL_INVOKE_MODES,
    AsyncConfig,
    Cors,
    Destination,
    FunctionConfig,
    FunctionSpec,
    LoggingConfig,
    LogRetention,
    Manifest,
    UrlConfig,
    _is_python_handler,
    choice_problem,
    cors_problem,
    environment_problem,
    handler_problem,
    queue_name_problem,
    range_problem,
    runtime_problem,
    url_qualifier_problem,
)


def _read_yaml(text: str, file: str) -> Any:
    """The YAML node tree of `text` (None when empty)."""
    import yaml  # only when the cache misses: ~10 ms to import

    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file) from None


# --------------------------------------------------------------------------------------------
# The node walker


_TOP_KEYS = (
    "region",
    "account",
    "account_concurrency",
    "idle_timeout",
    "cpu_throttling",
    "defaults",
    "functions",
    "queues",
    "streams",
    "logs",
)
_DEFAULT_KEYS = ("runtime", "memory", "timeout", "environment", "layers", "logging")
_FUNCTION_KEYS = (
    "handler",
    "code",
    "runtime",
    "memory",
    "timeout",
    "environment",
    "description",
    "role",
    "layers",
    "reserved_concurrency",
    "async",
    "dead_letter",
    "logging",
    "url",
    "events",
)
_URL_KEYS = ("auth", "cors", "invoke_mode", "qualifier")
_CORS_KEYS = (
    "allow_origins",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "allow_credentials",
    "max_age",
)
_LOGGING_KEYS = ("format", "application_level", "system_level", "retention_days", "max_size_mb")
_RETENTION_KEYS = ("retention_days", "max_size_mb")
_ASYNC_KEYS = (
    "maximum_retry_attempts",
    "maximum_event_age",
    "retry_delays",
    "on_success",
    "on_failure",
)

if TYPE_CHECKING:
    import yaml

    _Node = yaml.Node
    _Entries = dict[str, tuple[_Node, _Node]]


class _Reader:
    """Turns YAML nodes into values, raising located `ManifestError`s."""

    def __init__(self, path: Path) -> None:
        import yaml

        self.log_retention = LogRetention()
        self.path = path
        self.file = _display(path)
        self._constructor = yaml.constructor.SafeConstructor()
        self.directories: list[tuple[str, str]] = []
        """Each directory named, as written (joined to the manifest's) and as resolved."""
        self.events: dict[str, tuple[str, _Node]] = {}
        """Each function's `events:` (key, node): read once queues and streams are known."""

    def read(self, text: str) -> Manifest:
        root = _read_yaml(text, self.file)
        if root is None:
            raise ManifestError(
                "the manifest is empty; it needs a 'functions:' mapping", file=self.file
            )
        return self.manifest(root)

    def fail(self, node: _Node, key: str | None, message: str, hint: str | None = None) -> NoReturn:
        raise ManifestError(
            message, file=self.file, line=node.start_mark.line + 1, key=key, hint=hint
        )

    # -- shapes -------------------------------------------------------------------------------

    def mapping(self, node: _Node, key: str | None, allowed: tuple[str, ...] | None) -> _Entries:
        """Keys as written; explicit keys override `<<` merged ones, as YAML specifies."""
        import yaml

        if not isinstance(node, yaml.MappingNode):
            self.fail(node, key, f"expected a mapping, got {_describe(node)}")
        explicit: set[str] = set()
        for key_node, _value in node.value:
            name = self.key_name(key_node, key)
            if name != "<<" and name in explicit:
                self.fail(key_node, f"{key}.{name}" if key else name, "duplicate key")
            explicit.add(name)
        try:
            self._constructor.flatten_mapping(node)  # merged pairs come first, explicit win
        except yaml.YAMLError as exc:
            self.fail(node, key, f"invalid merge: {getattr(exc, 'problem', exc)}")
        entries: _Entries = {}
        for key_node, value_node in node.value:
            name = self.key_name(key_node, key)
            where = f"{key}.{name}" if key else name
            if allowed is not None and name not in allowed:
                import difflib  # only on the error path

                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(allowed)
                self.fail(key_node, where, f"unknown key '{name}'", hint=hint)
            entries[name] = (key_node, value_node)
        return entries

    def key_name(self, node: _Node, key: str | None) -> str:
        """A mapping key as written (`123`, `ON` and `NO` stay text, as names and env keys)."""
        import yaml

        if not isinstance(node, yaml.ScalarNode) or _is_null(node):
            self.fail(node, key, f"keys must be plain names, got {_describe(node)}")
        return str(node.value)

    def scalar(self, node: _Node, key: str | None) -> Any:
        import yaml

        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, key, f"expected a single value, got {_describe(node)}")
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            self.fail(node, key, f"invalid value '{node.value}': {problem}")

    def value(self, node: _Node, key: str) -> Any:
        """Any value (a mapping, a list...), as plain Python data."""
        import yaml

        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            self.fail(node, key, f"invalid value: {getattr(exc, 'problem', None) or exc}")

    def region(self, node: _Node, key: str) -> str:
        region = self.string(node, key)
        if not re.fullmatch(REGION_PATTERN, region):
            self.fail(node, key, f"'{region}' is not an AWS region name (like us-east-1)")
        return region

    def string(self, node: _Node, key: str) -> str:
        value = self.scalar(node, key)
        if not isinstance(value, str):
            self.fail(node, key, f"expected a string, got {_describe(node)}")
        return value

    def text(self, node: _Node, key: str) -> str:
        """A scalar taken as written (so `PORT: 8080` and `account: 012...` keep their text)."""
        import yaml

        if not isinstance(node, yaml.ScalarNode) or _is_null(node):
            self.fail(node, key, f"expected a string, got {_describe(node)}")
        if not node.tag.startswith("tag:yaml.org,2002:"):
            self.fail(node, key, f"unsupported tag {node.tag} on '{node.value}'")
        return str(node.value)

    def integer(self, node: _Node, key: str, aws_field: str, low: int, high: int) -> int:
        value = self.scalar(node, key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(node, key, f"expected a whole number, got {_describe(node)}")
        problem = range_problem(value, aws_field, low, high)
        if problem is not None:
            self.fail(node, key, problem)
        return value

    def number(self, node: _Node, key: str, low: float, high: float) -> float:
        value = self.scalar(node, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(node, key, f"expected a number, got {_describe(node)}")
        if not low <= value <= high:
            self.fail(node, key, f"{value} is out of range ({_plain(low)}..{_plain(high)})")
        return float(value)

    def boolean(self, node: _Node, key: str) -> bool:
        value = self.scalar(node, key)
        if not isinstance(value, bool):
            self.fail(node, key, f"expected true or false, got {_describe(node)}")
        return value

    def directory(self, node: _Node, key: str) -> Path:
        raw = self.string(node, key)
        resolved = (self.path.parent / raw).resolve()
        if not resolved.is_dir():
            what = "is not a directory" if resolved.exists() else "does not exist"
            self.fail(node, key, f"directory '{raw}' {what} (resolved to {resolved})")
        self.directories.append((str(self.path.parent / raw), str(resolved)))
        return resolved

    # -- sections -----------------------------------------------------------------------------

    def manifest(self, root: _Node) -> Manifest:
        top = self.mapping(root, None, _TOP_KEYS)
        region, account = "us-east-1", "000000000000"
        if "region" in top:
            region = self.region(top["region"][1], "region")
        if "account" in top:
            node = top["account"][1]
            account = self.text(node, "account")
            if not re.fullmatch(r"\d{12}", account):
                self.fail(node, "account", f"'{account}' is not a 12-digit account id")
        defaults: dict[str, tuple[_Node, _Node]] = {}
        if "defaults" in top and not _is_null(top["defaults"][1]):
            defaults = self.mapping(top["defaults"][1], "defaults", _DEFAULT_KEYS)
        if "functions" not in top or _is_null(top["functions"][1]):
            self.fail(root, "functions", "missing: declare at least one function")
        entries = self.mapping(top["functions"][1], "functions", None)
        log_retention = LogRetention()
        if "logs" in top and not _is_null(top["logs"][1]):
            logs_entries = self.mapping(top["logs"][1], "logs", _RETENTION_KEYS)
            log_retention = self.retention(logs_entries, "logs", LogRetention())
        self.log_retention = log_retention  # what a function's own `logging:` refines
        if not entries:
            self.fail(top["functions"][1], "functions", "empty: declare at least one function")
        functions = {
            name: self.function(name, key_node, value_node, defaults)
            for name, (key_node, value_node) in entries.items()
        }
        account_concurrency = ACCOUNT_CONCURRENCY
        if "account_concurrency" in top:
            account_concurrency = self.integer(
                top["account_concurrency"][1],
                "account_concurrency",
                "concurrentExecutions",
                1,
                100000,
            )
        idle_timeout = IDLE_TIMEOUT
        if "idle_timeout" in top:
            idle_timeout = self.number(top["idle_timeout"][1], "idle_timeout", 0.1, 86400)
        cpu_throttling = True
        if "cpu_throttling" in top:
            cpu_throttling = self.boolean(top["cpu_throttling"][1], "cpu_throttling")
        self.check_reserved_total(top["functions"][1], functions, account_concurrency)
        queues = self.queues(top["queues"][1]) if "queues" in top else {}
        self.check_destinations(entries, functions, queues)
        streams = specs.read_streams(self, top["streams"][1]) if "streams" in top else {}
        routes: dict[str, tuple[str, str]] = {}  # one method and path: one function
        for name, (key, node) in self.events.items():
            declared = specs.Declared(
                name, functions[name].config.timeout, queues, streams, region, account, routes
            )
            events = specs.read_events(self, node, key, declared)
            functions[name] = replace(functions[name], events=events)
        return Manifest(
            path=self.path,
            region=region,
            account=account,
            functions=functions,
            account_concurrency=account_concurrency,
            idle_timeout=idle_timeout,
            cpu_throttling=cpu_throttling,
            queues=queues,
            log_retention=log_retention,
            streams=streams,
        )

    def function(self, name: str, key_node: _Node, node: _Node, defaults: _Entries) -> FunctionSpec:
        where = f"functions.{name}"
        if len(name) > 64:
            constraint = "Member must have length less than or equal to 64"
            self.fail(key_node, where, validation_message(name, "functionName", constraint))
        if not re.fullmatch(FUNCTION_NAME_PATTERN, name):
            constraint = f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}"
            self.fail(key_node, where, validation_message(name, "functionName", constraint))
        entries = self.mapping(node, where, _FUNCTION_KEYS)

        def pick(key: str) -> tuple[str, _Node] | None:
            if key in entries:
                return f"{where}.{key}", entries[key][1]
            if key in defaults:
                return f"defaults.{key}", defaults[key][1]
            return None

        runtime = self.runtime(pick("runtime"))
        memory = self.optional(
            pick("memory"), 128, lambda k, n: self.integer(n, k, "memorySize", 128, 10240)
        )
        timeout = self.optional(
            pick("timeout"), 3, lambda k, n: self.integer(n, k, "timeout", 1, 900)
        )
        handler = self.handler(entries, where, runtime, node)
        if "code" not in entries:
            self.fail(node, where, "missing key 'code' (the function's code directory)")
        code = self.directory(entries["code"][1], f"{where}.code")
        environment = self.environment(entries, defaults, where)
        description = ""
        if "description" in entries:
            description = self.text(entries["description"][1], f"{where}.description")
            if len(description) > 256:
                constraint = "Member must have length less than or equal to 256"
                self.fail(
                    entries["description"][1],
                    f"{where}.description",
                    validation_message(description, "description", constraint),
                )
        role = ""
        if "role" in entries:
            role = self.text(entries["role"][1], f"{where}.role")
            if not re.fullmatch(ROLE_PATTERN, role):
                constraint = f"Member must satisfy regular expression pattern: {ROLE_PATTERN}"
                problem = validation_message(role, "role", constraint)
                self.fail(entries["role"][1], f"{where}.role", problem)
        layers = self.layers(pick("layers"))
        reserved = self.optional(
            pick("reserved_concurrency"),
            None,
            lambda k, n: self.integer(n, k, "reservedConcurrentExecutions", 0, ACCOUNT_CONCURRENCY),
        )
        logging_config, log_retention = LoggingConfig(), self.log_retention
        picked = pick("logging")
        if picked is not None and not _is_null(picked[1]):
            logging_config, log_retention = self.logging(picked[1], picked[0])
        config = FunctionConfig(
            runtime=runtime,
            handler=handler,
            memory=memory,
            timeout=timeout,
            environment=environment,
            description=description,
            logging=logging_config,
            role=role,
        )
        asynchronous = AsyncConfig()
        if "async" in entries and not _is_null(entries["async"][1]):
            asynchronous = self.asynchronous(entries["async"][1], f"{where}.async")
        dead_letter = None
        if "dead_letter" in entries:
            dead_letter = self.destination(entries["dead_letter"][1], f"{where}.dead_letter")
            if dead_letter.kind != "queue":
                self.fail(
                    entries["dead_letter"][1],
                    f"{where}.dead_letter",
                    "a dead-letter target is a queue: {queue: NAME}",
                )
        url = self.url(entries["url"][1], f"{where}.url") if "url" in entries else None
        if "events" in entries:
            self.events[name] = (f"{where}.events", entries["events"][1])
        return FunctionSpec(
            name=name,
            code=code,
            config=config,
            layers=layers,
            reserved_concurrency=reserved,
            asynchronous=asynchronous,
            dead_letter=dead_letter,
            log_retention=log_retention,
            url=url,
        )

    def url(self, node: _Node, where: str) -> UrlConfig | None:
        """`url:`: true (a public URL with AWS's defaults), false, or its settings."""
        import yaml

        if _is_null(node):
            return None
        if isinstance(node, yaml.ScalarNode):
            return UrlConfig() if self.boolean(node, where) else None
        entries = self.mapping(node, where, _URL_KEYS)
        values: dict[str, Any] = {}
        for key, aws_field, allowed in (
            ("auth", "authType", URL_AUTH_TYPES),
            ("invoke_mode", "invokeMode", URL_INVOKE_MODES),
        ):
            if key in entries:
                value_node = entries[key][1]
                value = self.text(value_node, f"{where}.{key}")
                problem = choice_problem(value, aws_field, allowed)
                if problem is not None:
                    self.fail(value_node, f"{where}.{key}", problem)
                values[key] = value
        if "qualifier" in entries:
            values["qualifier"] = self.url_qualifier(entries["qualifier"][1], f"{where}.qualifier")
        if "cors" in entries and not _is_null(entries["cors"][1]):
            values["cors"] = self.cors(entries["cors"][1], f"{where}.cors")
        return UrlConfig(**values)

    def url_qualifier(self, node: _Node, key: str) -> str:
        value = self.text(node, key)
        problem = url_qualifier_problem(value)
        if problem is not None:
            self.fail(
                node,
                key,
                problem,
                hint="a function URL's qualifier is an alias name, never a version or $LATEST",
            )
        return value

    def cors(self, node: _Node, where: str) -> Cors:
        """`cors:` with AWS's limits on each list (items and lengths) and on MaxAge."""
        entries = self.mapping(node, where, _CORS_KEYS)
        values: dict[str, Any] = {}
        for key, _aws_field, _most, _shortest, _longest in CORS_LISTS:
            if key in entries:
                node_list = entries[key][1]
                items = self.strings(node_list, f"{where}.{key}")
                found = cors_problem(key, items)
                if found is not None:
                    index, message = found
                    if index is None:
                        self.fail(node_list, f"{where}.{key}", message)
                    self.fail(_item(node_list, index), f"{where}.{key}[{index}]", message)
                values[key] = items
        if "allow_credentials" in entries:
            values["allow_credentials"] = self.boolean(
                entries["allow_credentials"][1], f"{where}.allow_credentials"
            )
        if "max_age" in entries:
            values["max_age"] = self.integer(
                entries["max_age"][1], f"{where}.max_age", "cors.maxAge", *CORS_MAX_AGE
            )
        return Cors(**values)

    def strings(self, node: _Node, key: str) -> tuple[str, ...]:
        """A list of strings (a single string is a list of one, as people write `*`)."""
        import yaml

        if isinstance(node, yaml.ScalarNode) and not _is_null(node):
            return (self.text(node, key),)
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, key, f"expected a list of strings, got {_describe(node)}")
        return tuple(self.text(item, f"{key}[{i}]") for i, item in enumerate(node.value))

    def logging(self, node: _Node, where: str) -> tuple[LoggingConfig, LogRetention]:
        """`logging:`: AWS's LoggingConfig, plus the retention of the function's log group."""
        entries = self.mapping(node, where, _LOGGING_KEYS)
        values: dict[str, str] = {}
        for key, aws_field, allowed in (
            ("format", "logFormat", LOG_FORMATS),
            ("application_level", "applicationLogLevel", APPLICATION_LOG_LEVELS),
            ("system_level", "systemLogLevel", SYSTEM_LOG_LEVELS),
        ):
            if key in entries:
                value = self.string(entries[key][1], f"{where}.{key}")
                if value not in allowed:
                    self.fail(
                        entries[key][1],
                        f"{where}.{key}",
                        validation_message(value, aws_field, enum_constraint(allowed)),
                    )
                values[key] = value
        config = LoggingConfig(**values)
        for key in ("application_level", "system_level"):
            if key in entries and not config.json:
                self.fail(
                    entries[key][1],
                    f"{where}.{key}",
                    "log levels are filtered only in the JSON log format (AWS's rule): "
                    "add format: JSON",
                )
        return config, self.retention(entries, where, self.log_retention)

    def retention(self, entries: _Entries, where: str, default: LogRetention) -> LogRetention:
        days, size = default.days, default.max_size_mb
        if "retention_days" in entries:
            days = self.number(
                entries["retention_days"][1], f"{where}.retention_days", 0.0001, 3653
            )
        if "max_size_mb" in entries:
            size = self.number(entries["max_size_mb"][1], f"{where}.max_size_mb", 0.001, 1048576)
        return LogRetention(days=days, max_size_mb=size)

    def asynchronous(self, node: _Node, where: str) -> AsyncConfig:
        import yaml

        entries = self.mapping(node, where, _ASYNC_KEYS)
        values: dict[str, Any] = {}
        if "maximum_retry_attempts" in entries:
            values["maximum_retry_attempts"] = self.integer(
                entries["maximum_retry_attempts"][1],
                f"{where}.maximum_retry_attempts",
                "maximumRetryAttempts",
                0,
                2,
            )
        if "maximum_event_age" in entries:
            values["maximum_event_age"] = self.integer(
                entries["maximum_event_age"][1],
                f"{where}.maximum_event_age",
                "maximumEventAgeInSeconds",
                60,
                21600,
            )
        if "retry_delays" in entries:
            node_delays = entries["retry_delays"][1]
            key = f"{where}.retry_delays"
            if not isinstance(node_delays, yaml.SequenceNode) or len(node_delays.value) != 2:
                self.fail(
                    node_delays, key, "expected two numbers: seconds before the 1st and 2nd retry"
                )
            values["retry_delays"] = tuple(
                self.number(item, f"{key}[{i}]", 0, 3600)
                for i, item in enumerate(node_delays.value)
            )
        for name in ("on_success", "on_failure"):
            if name in entries:
                values[name] = self.destination(entries[name][1], f"{where}.{name}")
        return AsyncConfig(**values)

    def destination(self, node: _Node, key: str) -> Destination:
        entries = self.mapping(node, key, ("function", "queue"))
        if len(entries) != 1:
            self.fail(node, key, "expected exactly one of {function: NAME} or {queue: NAME}")
        ((kind, (_k, value)),) = entries.items()
        return Destination(kind, self.string(value, f"{key}.{kind}"))

    def optional(
        self, picked: tuple[str, _Node] | None, default: Any, read: Callable[[str, _Node], Any]
    ) -> Any:
        if picked is None or _is_null(picked[1]):
            return default
        return read(*picked)

    def runtime(self, picked: tuple[str, _Node] | None) -> str:
        if picked is None:
            return "python3.11"
        key, node = picked
        value = self.text(node, key)
        problem = runtime_problem(value)
        if problem is not None:
            self.fail(node, key, problem)
        return value

    def handler(self, entries: _Entries, where: str, runtime: str, node: _Node) -> str:
        key = f"{where}.handler"
        if "handler" not in entries:
            if runtime.startswith("provided"):
                return "bootstrap"
            self.fail(node, where, "missing key 'handler' (MODULE.FUNCTION, e.g. app.handler)")
        value_node = entries["handler"][1]
        value = self.text(value_node, key)
        problem = handler_problem(value)
        if problem is not None:
            self.fail(value_node, key, problem)
        if runtime.startswith("python") and not _is_python_handler(value):
            self.fail(
                value_node,
                key,
                f"malformed handler '{value}': expected MODULE.FUNCTION, where MODULE may be a "
                "dotted or slashed path (e.g. app.handler or src/app.handler)",
            )
        return value

    def environment(self, entries: _Entries, defaults: _Entries, where: str) -> dict[str, str]:
        merged: dict[str, str] = {}
        for source, key in ((defaults, "defaults.environment"), (entries, f"{where}.environment")):
            if "environment" not in source or _is_null(source["environment"][1]):
                continue
            node = source["environment"][1]
            for name, (key_node, value_node) in self.mapping(node, key, None).items():
                if not re.fullmatch(ENV_KEY_PATTERN, name):
                    self.fail(key_node, f"{key}.{name}", ENV_KEY_MESSAGE)
                merged[name] = self.text(value_node, f"{key}.{name}")
        env_node = entries["environment"][1] if "environment" in entries else None
        problem = environment_problem(merged)
        if problem is not None:
            self.fail(env_node or defaults["environment"][1], f"{where}.environment", problem)
        return merged

    def layers(self, picked: tuple[str, _Node] | None) -> tuple[Path, ...]:
        if picked is None or _is_null(picked[1]):
            return ()
        import yaml

        key, node = picked
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, key, f"expected a list of directories, got {_describe(node)}")
        if len(node.value) > MAX_LAYERS:
            constraint = f"Member must have length less than or equal to {MAX_LAYERS}"
            self.fail(node, key, validation_message(len(node.value), "layers", constraint))
        paths = [self.directory(item, f"{key}[{i}]") for i, item in enumerate(node.value)]
        names = [p.name for p in paths]
        for i, item in enumerate(node.value):
            if not re.fullmatch(FUNCTION_NAME_PATTERN, names[i]):
                self.fail(
                    item,
                    f"{key}[{i}]",
                    f"layer directory name '{names[i]}' is not a valid layer name "
                    f"({FUNCTION_NAME_PATTERN}); rename the directory",
                )
            if names.count(names[i]) > 1:
                self.fail(item, f"{key}[{i}]", f"two layers share the name '{names[i]}'")
        return tuple(paths)

    def queues(self, node: _Node) -> dict[str, dict[str, Any]]:
        if _is_null(node):
            return {}
        declared: dict[str, dict[str, Any]] = {}
        nodes: dict[str, _Entries] = {}
        for name, (key_node, value_node) in self.mapping(node, "queues", None).items():
            where = f"queues.{name}"
            problem = queue_name_problem(name, fifo=name.endswith(".fifo"))
            if problem is not None:
                self.fail(key_node, where, QUEUE_NAME_RULE)
            given: dict[str, Any] = {}
            entries: _Entries = {}
            if not _is_null(value_node):
                allowed = (*QUEUE_ATTRIBUTES, *QUEUE_REDRIVE_KEYS)
                entries = self.mapping(value_node, where, allowed)
                for key, (_k, item) in entries.items():
                    if key in QUEUE_REDRIVE_KEYS:
                        continue
                    aws_name, default, low, high = QUEUE_ATTRIBUTES[key]
                    if isinstance(default, bool):
                        given[key] = self.boolean(item, f"{where}.{key}")
                    else:
                        given[key] = self.integer(item, f"{where}.{key}", aws_name, low, high)
            if given.get("content_based_deduplication") and not given.get("fifo"):
                self.fail(
                    entries["content_based_deduplication"][0],
                    f"{where}.content_based_deduplication",
                    "for FIFO queues only (set fifo: true and a name ending with .fifo)",
                )
            if given.get("fifo", False) != name.endswith(".fifo"):
                self.fail(
                    key_node,
                    where,
                    "a FIFO queue's name ends with .fifo, and only a FIFO queue's does "
                    "(set fifo: true, or rename the queue)",
                )
            given.update(self.redrive(entries, where))
            declared[name] = given
            nodes[name] = entries
        for name, given in declared.items():
            if "dead_letter" in given:
                self.check_dead_letter(name, given, declared, nodes[name]["dead_letter"][1])
        return declared

    def redrive(self, entries: _Entries, where: str) -> dict[str, Any]:
        """A queue's `dead_letter` and `max_receive_count` (SQS's RedrivePolicy), if any."""
        if "dead_letter" not in entries:
            if "max_receive_count" in entries:
                self.fail(
                    entries["max_receive_count"][0],
                    f"{where}.max_receive_count",
                    "max_receive_count needs dead_letter: the queue its messages move to",
                )
            return {}
        target = self.string(entries["dead_letter"][1], f"{where}.dead_letter")
        count = DEFAULT_MAX_RECEIVE_COUNT
        if "max_receive_count" in entries:
            low, high = MAX_RECEIVE_COUNT_RANGE
            count = self.integer(
                entries["max_receive_count"][1],
                f"{where}.max_receive_count",
                "maxReceiveCount",
                low,
                high,
            )
        return {"dead_letter": target, "max_receive_count": count}

    def check_dead_letter(
        self, name: str, given: Mapping[str, Any], declared: Mapping[str, Any], node: _Node
    ) -> None:
        """A dead-letter queue is another declared queue, of the same type (SQS's rules)."""
        key = f"queues.{name}.dead_letter"
        target = given["dead_letter"]
        if target == name:
            self.fail(node, key, "a queue cannot be its own dead-letter queue")
        if target not in declared:
            self.fail(node, key, f"no queue '{target}' is declared in the manifest")
        if bool(declared[target].get("fifo")) != bool(given.get("fifo")):
            self.fail(node, key, DEAD_LETTER_TYPE_RULE)

    def check_destinations(
        self,
        entries: _Entries,
        functions: Mapping[str, FunctionSpec],
        queues: Mapping[str, Any],
    ) -> None:
        """Every destination names a declared function or queue, and never itself."""
        for name, spec in functions.items():
            targets = {
                "async.on_success": spec.asynchronous.on_success,
                "async.on_failure": spec.asynchronous.on_failure,
                "dead_letter": spec.dead_letter,
            }
            for where, target in targets.items():
                if target is None:
                    continue
                node = entries[name][1]
                key = f"functions.{name}.{where}"
                if target.kind == "function" and target.name == name:
                    self.fail(
                        node, key, "You can't specify the function as a destination for itself."
                    )
                known = functions if target.kind == "function" else queues
                if target.name not in known:
                    self.fail(
                        node, key, f"no {target.kind} '{target.name}' is declared in the manifest"
                    )

    def check_reserved_total(
        self, node: _Node, functions: Mapping[str, FunctionSpec], account_concurrency: int
    ) -> None:
        total = sum(f.reserved_concurrency or 0 for f in functions.values())
        if total and total > account_concurrency - UNRESERVED_MINIMUM:
            self.fail(
                node,
                "functions",
                UNRESERVED_MINIMUM_MESSAGE,
            )


def _plain(number: float) -> str:
    """1048576.0 -> `1048576`, 0.001 -> `0.001`: bounds as people write them."""
    return str(int(number)) if float(number).is_integer() else repr(number)


def _item(node: _Node, index: int) -> _Node:
    """A list's `index`th node (a single value written for a list is its own item)."""
    import yaml

    return node.value[index] if isinstance(node, yaml.SequenceNode) else node


def _is_null(node: _Node) -> bool:
    import yaml

    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _describe(node: _Node) -> str:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    kind = node.tag.rsplit(":", 1)[-1]
    names = {"str": "string", "int": "integer", "bool": "boolean", "null": "nothing"}
    return f"{names.get(kind, kind)} '{node.value}'"


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
