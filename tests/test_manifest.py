"""`functions.yaml` loading and validation (`lambdactl.manifest`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lambdactl import manifest
from lambdactl.errors import ManifestError, UsageError

WriteManifest = Callable[[str], Path]

RUNTIME_ENUM = (
    "python3.9, python3.10, python3.11, python3.12, python3.13, python3.14, "
    "nodejs20.x, nodejs22.x, nodejs24.x, provided, provided.al2, provided.al2023"
)
ENV_KEY_MESSAGE = (
    "1 validation error detected: Value at 'environment.variables' failed to satisfy "
    "constraint: Map keys must satisfy constraint: [Member must satisfy regular expression "
    "pattern: [a-zA-Z]([a-zA-Z0-9_])+]"
)
FOUR_KB_PREFIX = (
    "Lambda was unable to configure your environment variables because the environment "
    "variables you have provided exceeded the 4KB limit. String measured: {"
)


def load_error(write_manifest: WriteManifest, text: str) -> ManifestError:
    """Write `text` as the manifest, load it, and return the `ManifestError` it raises."""
    path = write_manifest(text)
    with pytest.raises(ManifestError) as info:
        manifest.load(path)
    return info.value


def one_function(*lines: str, handler: str | None = "app.handler") -> str:
    """A manifest with function `hello` (code src/hello) plus `lines` in its body.

    Line numbers: 1 `functions:`, 2 `  hello:`, 3 handler (if any), then code, then `lines`.
    """
    body = []
    if handler is not None:
        body.append(f"    handler: {handler}")
    body.append("    code: src/hello")
    body.extend(f"    {line}" for line in lines)
    return "functions:\n  hello:\n" + "\n".join(body) + "\n"


# --------------------------------------------------------------------------------------------
# Valid manifests


def test_minimal_manifest_gets_all_defaults(write_manifest: WriteManifest, project_dir: Path):
    path = write_manifest(
        """\
        functions:
          hello:
            handler: app.handler
            code: src/hello
        """
    )
    loaded = manifest.load(path)
    assert loaded.path == path.resolve()
    assert loaded.root == project_dir.resolve()
    assert loaded.state_dir == project_dir.resolve() / ".lambda"
    assert loaded.region == "us-east-1"
    assert loaded.account == "000000000000"
    assert list(loaded.functions) == ["hello"]
    spec = loaded.functions["hello"]
    assert spec.name == "hello"
    assert spec.code == (project_dir / "src" / "hello").resolve()
    assert spec.layers == ()
    assert spec.reserved_concurrency is None
    assert spec.config == manifest.FunctionConfig(
        runtime="python3.11",
        handler="app.handler",
        memory=128,
        timeout=3,
        environment={},
        description="",
    )


def test_conftest_manifest_loads(project_dir: Path):
    loaded = manifest.load(project_dir / "functions.yaml")
    assert loaded.account == "123456789012"
    hello = loaded.functions["hello"].config
    assert hello.environment == {"GREETING": "Hello"}
    assert hello.description == "Greets"


def test_full_manifest_defaults_overrides_env_merge_and_paths(
    write_manifest: WriteManifest, project_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    for layer in ("common", "a", "b"):
        (project_dir / "layers" / layer).mkdir(parents=True)
    (project_dir / "src" / "big").mkdir()
    path = write_manifest(
        """\
        region: eu-west-1
        account: "210987654321"
        defaults:
          runtime: python3.12
          memory: 256
          timeout: 10
          environment: {STAGE: dev, SHARED: base}
          layers: [layers/common]
        functions:
          hello:
            handler: app.handler
            code: src/hello
          big:
            handler: src/app.handler
            code: ./src/big/
            runtime: python3.13
            memory: 10240
            timeout: 900
            environment:
              SHARED: override
              PORT: 8080
            description: The big one
            layers: [layers/a, layers/b]
            reserved_concurrency: 10
        """
    )
    # Load from elsewhere: relative paths resolve against the manifest, not the cwd.
    elsewhere = project_dir / "src" / "hello"
    monkeypatch.chdir(elsewhere)
    loaded = manifest.load(path)
    root = project_dir.resolve()

    assert loaded.region == "eu-west-1"
    assert loaded.account == "210987654321"
    assert list(loaded.functions) == ["hello", "big"]

    hello = loaded.functions["hello"]
    assert hello.code == root / "src" / "hello"
    assert hello.layers == (root / "layers" / "common",)
    assert hello.reserved_concurrency is None
    assert hello.config == manifest.FunctionConfig(
        runtime="python3.12",
        handler="app.handler",
        memory=256,
        timeout=10,
        environment={"STAGE": "dev", "SHARED": "base"},
        description="",
    )

    big = loaded.functions["big"]
    assert big.code == root / "src" / "big"
    assert big.layers == (root / "layers" / "a", root / "layers" / "b")
    assert big.reserved_concurrency == 10
    assert big.config.runtime == "python3.13"
    assert big.config.handler == "src/app.handler"
    assert big.config.memory == 10240
    assert big.config.timeout == 900
    assert big.config.description == "The big one"
    assert dict(big.config.environment) == {"STAGE": "dev", "SHARED": "override", "PORT": "8080"}


def test_unquoted_scalars_keep_their_text(write_manifest: WriteManifest):
    path = write_manifest(
        """\
        account: 000000000001
        functions:
          hello:
            handler: app.handler
            code: src/hello
            description: 42
            environment:
              PORT: 8080
              RATIO: 1.50
              ENABLED: true
              OCTAL: 0755
              EMPTY: ""
        """
    )
    loaded = manifest.load(path)
    assert loaded.account == "000000000001"
    config = loaded.functions["hello"].config
    assert config.description == "42"
    assert dict(config.environment) == {
        "PORT": "8080",
        "RATIO": "1.50",
        "ENABLED": "true",
        "OCTAL": "0755",
        "EMPTY": "",
    }
    assert all(isinstance(v, str) for v in config.environment.values())


def test_unquoted_account_of_twelve_plain_digits(write_manifest: WriteManifest):
    path = write_manifest("account: 123456789012\n" + one_function())
    assert manifest.load(path).account == "123456789012"


def test_functions_yml_is_read_like_yaml(project_dir: Path):
    (project_dir / "functions.yaml").rename(project_dir / "functions.yml")
    loaded = manifest.load(project_dir / "functions.yml")
    assert list(loaded.functions) == ["hello"]


def test_boundary_values_accepted(write_manifest: WriteManifest):
    path = write_manifest(
        """\
        functions:
          low:
            handler: app.handler
            code: src/hello
            memory: 128
            timeout: 1
            reserved_concurrency: 0
          high:
            handler: app.handler
            code: src/hello
            memory: 10240
            timeout: 900
            reserved_concurrency: 900
        """
    )
    loaded = manifest.load(path)
    low, high = loaded.functions["low"], loaded.functions["high"]
    assert (low.config.memory, low.config.timeout, low.reserved_concurrency) == (128, 1, 0)
    assert (high.config.memory, high.config.timeout, high.reserved_concurrency) == (
        10240,
        900,
        900,
    )


@pytest.mark.parametrize("handler", ["src/app.handler", "pkg.mod.handler", "a.b", "x/y/z.fn"])
def test_valid_python_handlers(write_manifest: WriteManifest, handler: str):
    path = write_manifest(one_function(handler=handler))
    assert manifest.load(path).functions["hello"].config.handler == handler


@pytest.mark.parametrize("runtime", ["provided", "provided.al2", "provided.al2023"])
def test_provided_runtime_without_handler_gets_bootstrap(
    write_manifest: WriteManifest, runtime: str
):
    path = write_manifest(one_function(f"runtime: {runtime}", handler=None))
    config = manifest.load(path).functions["hello"].config
    assert config.runtime == runtime
    assert config.handler == "bootstrap"


def test_provided_runtime_from_defaults_without_handler_gets_bootstrap(
    write_manifest: WriteManifest,
):
    path = write_manifest("defaults:\n  runtime: provided.al2023\n" + one_function(handler=None))
    config = manifest.load(path).functions["hello"].config
    assert (config.runtime, config.handler) == ("provided.al2023", "bootstrap")


def test_provided_runtime_keeps_an_explicit_handler(write_manifest: WriteManifest):
    path = write_manifest(one_function("runtime: provided.al2", handler="my-binary"))
    assert manifest.load(path).functions["hello"].config.handler == "my-binary"


def test_function_name_of_64_chars_accepted(write_manifest: WriteManifest):
    name = "a" * 63 + "-"
    path = write_manifest(f"functions:\n  {name}:\n    handler: app.h\n    code: src/hello\n")
    assert list(manifest.load(path).functions) == [name]


def test_environment_of_exactly_4096_bytes_accepted(write_manifest: WriteManifest):
    value = "x" * (4096 - len('{"BIG":""}'))
    path = write_manifest(one_function("environment:", f"  BIG: {value}"))
    env = manifest.load(path).functions["hello"].config.environment
    assert len(json.dumps(dict(env), separators=(",", ":")).encode()) == 4096
    assert env["BIG"] == value


def test_five_layers_accepted(write_manifest: WriteManifest, project_dir: Path):
    for i in range(5):
        (project_dir / "layers" / f"l{i}").mkdir(parents=True)
    listed = ", ".join(f"layers/l{i}" for i in range(5))
    path = write_manifest(one_function(f"layers: [{listed}]"))
    layers = manifest.load(path).functions["hello"].layers
    assert [p.name for p in layers] == ["l0", "l1", "l2", "l3", "l4"]


def test_function_config_round_trips_through_dict():
    config = manifest.FunctionConfig(
        runtime="python3.12", handler="a.b", memory=512, timeout=7, environment={"K1": "v"}
    )
    data = config.to_dict()
    assert data == {
        "runtime": "python3.12",
        "handler": "a.b",
        "memory": 512,
        "timeout": 7,
        "environment": {"K1": "v"},
        "description": "",
    }
    assert manifest.FunctionConfig.from_dict({**data, "added_later": 1}) == config


# --------------------------------------------------------------------------------------------
# Bad manifests: YAML and shape


def test_yaml_syntax_error_names_the_line(write_manifest: WriteManifest):
    error = load_error(
        write_manifest,
        """\
        region: us-east-1
        functions:
          hello:
            handler: app: handler
            code: src/hello
        """,
    )
    assert error.line == 4
    assert error.key is None
    assert error.detail == "invalid YAML: mapping values are not allowed here"
    assert error.file == "functions.yaml"
    assert str(error) == "functions.yaml:4: invalid YAML: mapping values are not allowed here"
    assert error.exit_code == 2


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_manifest(write_manifest: WriteManifest, text: str):
    error = load_error(write_manifest, text)
    assert error.line is None
    assert error.key is None
    assert error.detail == "the manifest is empty; it needs a 'functions:' mapping"
    assert str(error) == "functions.yaml: the manifest is empty; it needs a 'functions:' mapping"


def test_unreadable_manifest(project_dir: Path):
    path = project_dir / "functions.yaml"
    path.write_bytes(b"functions: \xff\xfe\n")
    with pytest.raises(ManifestError) as info:
        manifest.load(path)
    assert info.value.detail.startswith("cannot read manifest: ")
    assert info.value.line is None


def test_unknown_top_level_key_close_match(write_manifest: WriteManifest):
    error = load_error(write_manifest, "regoin: us-east-1\n" + one_function())
    assert (error.line, error.key) == (1, "regoin")
    assert error.detail == "unknown key 'regoin'"
    assert error.hint == "did you mean 'region'?"


def test_unknown_top_level_key_far_from_any(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function() + "zzz: 1\n")
    assert (error.line, error.key) == (5, "zzz")
    assert error.detail == "unknown key 'zzz'"
    assert error.hint == (
        "allowed: region, account, account_concurrency, idle_timeout, cpu_throttling, "
        "defaults, functions, queues, streams, logs"
    )


def test_unknown_function_key_close_match(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function("handlr: app.handler", handler=None))
    assert (error.line, error.key) == (4, "functions.hello.handlr")
    assert error.detail == "unknown key 'handlr'"
    assert error.hint == "did you mean 'handler'?"


def test_unknown_function_key_far_from_any(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function("xyzzy: 1"))
    assert (error.line, error.key) == (5, "functions.hello.xyzzy")
    assert error.detail == "unknown key 'xyzzy'"
    assert error.hint == (
        "allowed: handler, code, runtime, memory, timeout, environment, description, role, "
        "layers, reserved_concurrency, async, dead_letter, logging, url, events"
    )


def test_a_role_is_an_iam_role_arn(write_manifest: WriteManifest):
    """The execution role `deploy` gives the function (none: it makes one)."""
    arn = "arn:aws:iam::123456789012:role/service-role/reader"
    loaded = manifest.load(write_manifest(one_function(f"role: {arn}")))
    assert loaded.functions["hello"].config.role == arn
    error = load_error(write_manifest, one_function("role: reader"))
    assert (error.line, error.key) == (5, "functions.hello.role")
    assert error.detail == (
        "1 validation error detected: Value 'reader' at 'role' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: "
        r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
    )


def test_unknown_defaults_key(write_manifest: WriteManifest):
    error = load_error(write_manifest, "defaults:\n  handler: app.handler\n" + one_function())
    assert (error.line, error.key) == (2, "defaults.handler")
    assert error.detail == "unknown key 'handler'"


def test_duplicate_function_key(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function("memory: 256", "memory: 512"))
    assert (error.line, error.key) == (6, "functions.hello.memory")
    assert error.detail == "duplicate key"


def test_duplicate_function_name(write_manifest: WriteManifest):
    text = one_function() + "  hello:\n    handler: app.handler\n    code: src/hello\n"
    error = load_error(write_manifest, text)
    assert (error.line, error.key) == (5, "functions.hello")
    assert error.detail == "duplicate key"


def test_duplicate_top_level_key(write_manifest: WriteManifest):
    error = load_error(write_manifest, "region: us-east-1\nregion: eu-west-1\n" + one_function())
    assert (error.line, error.key) == (2, "region")
    assert error.detail == "duplicate key"


def test_duplicate_environment_key(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function("environment:", "  K1: a", "  K1: b"))
    assert (error.line, error.key) == (7, "functions.hello.environment.K1")
    assert error.detail == "duplicate key"


@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("big", "string 'big'"),
        ('"256"', "string '256'"),
        ("true", "boolean 'true'"),
        ("12.5", "float '12.5'"),
        ("[1, 2]", "a list"),
        ("{a: 1}", "a mapping"),
    ],
)
def test_memory_wrong_type(write_manifest: WriteManifest, value: str, described: str):
    error = load_error(write_manifest, one_function(f"memory: {value}"))
    assert (error.line, error.key) == (5, "functions.hello.memory")
    if described.startswith("a "):
        assert error.detail == f"expected a single value, got {described}"
    else:
        assert error.detail == f"expected a whole number, got {described}"


def test_function_not_a_mapping(write_manifest: WriteManifest):
    error = load_error(write_manifest, "functions:\n  hello: 5\n")
    assert (error.line, error.key) == (2, "functions.hello")
    assert error.detail == "expected a mapping, got integer '5'"


def test_top_level_not_a_mapping(write_manifest: WriteManifest):
    error = load_error(write_manifest, "- a\n- b\n")
    assert (error.line, error.key) == (1, None)
    assert error.detail == "expected a mapping, got a list"


def test_handler_wrong_type(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function(handler="[app.handler]"))
    assert (error.line, error.key) == (3, "functions.hello.handler")
    assert error.detail == "expected a string, got a list"


# --------------------------------------------------------------------------------------------
# Bad manifests: ranges with AWS's wording


@pytest.mark.parametrize(
    ("key", "value", "aws_field", "constraint"),
    [
        ("memory", 64, "memorySize", "greater than or equal to 128"),
        ("memory", 127, "memorySize", "greater than or equal to 128"),
        ("memory", 10241, "memorySize", "less than or equal to 10240"),
        ("timeout", 0, "timeout", "greater than or equal to 1"),
        ("timeout", 901, "timeout", "less than or equal to 900"),
        ("reserved_concurrency", -1, "reservedConcurrentExecutions", "greater than or equal to 0"),
        (
            "reserved_concurrency",
            1001,
            "reservedConcurrentExecutions",
            "less than or equal to 1000",
        ),
    ],
)
def test_out_of_range_values_use_aws_wording(
    write_manifest: WriteManifest, key: str, value: int, aws_field: str, constraint: str
):
    error = load_error(write_manifest, one_function(f"{key}: {value}"))
    assert (error.line, error.key) == (5, f"functions.hello.{key}")
    assert error.detail == (
        f"1 validation error detected: Value '{value}' at '{aws_field}' failed to satisfy "
        f"constraint: Member must have value {constraint}"
    )


def test_memory_64_exact_aws_message(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function("memory: 64"))
    assert error.detail == (
        "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 128"
    )
    assert str(error) == "functions.yaml:5: functions.hello.memory: " + error.detail


def test_out_of_range_default_is_reported_at_the_default(write_manifest: WriteManifest):
    error = load_error(write_manifest, "defaults:\n  timeout: 901\n" + one_function())
    assert (error.line, error.key) == (2, "defaults.timeout")
    assert "Value '901' at 'timeout'" in error.detail


def test_function_override_beats_bad_default(write_manifest: WriteManifest):
    # The function's own value is used, so the out-of-range default is never read.
    path = write_manifest("defaults:\n  memory: 64\n" + one_function("memory: 512"))
    assert manifest.load(path).functions["hello"].config.memory == 512


def test_total_reserved_concurrency_over_900(write_manifest: WriteManifest):
    error = load_error(
        write_manifest,
        """\
        functions:
          a: {handler: app.handler, code: src/hello, reserved_concurrency: 500}
          b: {handler: app.handler, code: src/hello, reserved_concurrency: 401}
        """,
    )
    assert error.key == "functions"
    assert error.line == 2  # where the functions mapping starts
    assert error.detail == (
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [100]."
    )


def test_total_reserved_concurrency_of_900_accepted(write_manifest: WriteManifest):
    path = write_manifest(
        """\
        functions:
          a: {handler: app.handler, code: src/hello, reserved_concurrency: 500}
          b: {handler: app.handler, code: src/hello, reserved_concurrency: 400}
          c: {handler: app.handler, code: src/hello}
        """
    )
    loaded = manifest.load(path)
    assert [f.reserved_concurrency for f in loaded.functions.values()] == [500, 400, None]


# --------------------------------------------------------------------------------------------
# Bad manifests: code, handler, runtime, name


def test_missing_code_directory(write_manifest: WriteManifest, project_dir: Path):
    text = "functions:\n  hello:\n    handler: app.handler\n    code: src/nope\n"
    error = load_error(write_manifest, text)
    assert (error.line, error.key) == (4, "functions.hello.code")
    resolved = (project_dir / "src" / "nope").resolve()
    assert error.detail == f"directory 'src/nope' does not exist (resolved to {resolved})"


def test_code_pointing_to_a_file(write_manifest: WriteManifest, project_dir: Path):
    text = "functions:\n  hello:\n    handler: app.handler\n    code: src/hello/app.py\n"
    error = load_error(write_manifest, text)
    assert (error.line, error.key) == (4, "functions.hello.code")
    resolved = (project_dir / "src" / "hello" / "app.py").resolve()
    assert error.detail == (
        f"directory 'src/hello/app.py' is not a directory (resolved to {resolved})"
    )


def test_missing_code_key(write_manifest: WriteManifest):
    error = load_error(write_manifest, "functions:\n  hello:\n    handler: app.handler\n")
    assert (error.line, error.key) == (3, "functions.hello")
    assert error.detail == "missing key 'code' (the function's code directory)"


def test_missing_handler(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function(handler=None))
    # The function's mapping node starts at its first key (line 3).
    assert (error.line, error.key) == (3, "functions.hello")
    assert error.detail == "missing key 'handler' (MODULE.FUNCTION, e.g. app.handler)"


@pytest.mark.parametrize("handler", ["app", "app.", ".handler", "app/.handler", "app.x/y"])
def test_malformed_python_handler(write_manifest: WriteManifest, handler: str):
    error = load_error(write_manifest, one_function(handler=f'"{handler}"'))
    assert (error.line, error.key) == (3, "functions.hello.handler")
    assert error.detail == (
        f"malformed handler '{handler}': expected MODULE.FUNCTION, where MODULE may be a "
        "dotted or slashed path (e.g. app.handler or src/app.handler)"
    )


def test_handler_with_a_space(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function(handler='"app .handler"'))
    assert (error.line, error.key) == (3, "functions.hello.handler")
    assert error.detail == (
        "1 validation error detected: Value 'app .handler' at 'handler' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: [^\s]+"
    )


def test_handler_longer_than_128(write_manifest: WriteManifest):
    handler = "m" * 120 + ".handler"  # 128 chars is fine, 129 is not
    assert manifest.load(write_manifest(one_function(handler=handler)))
    error = load_error(write_manifest, one_function(handler="m" + handler))
    assert error.key == "functions.hello.handler"
    assert error.detail.endswith("Member must have length less than or equal to 128")


def test_unknown_runtime_uses_aws_enum_message(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function("runtime: python4"))
    assert (error.line, error.key) == (5, "functions.hello.runtime")
    assert error.detail == (
        "Value python4 at 'runtime' failed to satisfy constraint: Member must satisfy enum "
        f"value set: [{RUNTIME_ENUM}] or be a valid ARN"
    )


@pytest.mark.parametrize(
    "runtime", ["python3.8", "python3.7", "python2.7", "nodejs18.x", "nodejs16.x", "nodejs"]
)
def test_deprecated_runtime_uses_aws_message(write_manifest: WriteManifest, runtime: str):
    error = load_error(write_manifest, one_function(f"runtime: {runtime}"))
    assert (error.line, error.key) == (5, "functions.hello.runtime")
    assert error.detail == (
        f"The runtime parameter of {runtime} is no longer supported for creating or updating "
        "AWS Lambda functions. We recommend you use a supported runtime while creating or "
        "updating functions."
    )


def test_deprecated_runtime_in_defaults(write_manifest: WriteManifest):
    error = load_error(write_manifest, "defaults:\n  runtime: python3.8\n" + one_function())
    assert (error.line, error.key) == (2, "defaults.runtime")
    assert error.detail.startswith("The runtime parameter of python3.8 is no longer supported")


@pytest.mark.parametrize("name", ["bad name", "bad.name", "bad:name", "bäd"])
def test_invalid_function_name_pattern(write_manifest: WriteManifest, name: str):
    text = f"functions:\n  x: {{handler: a.b, code: src/hello}}\n  {name}:\n    handler: a.b\n"
    error = load_error(write_manifest, text)
    assert (error.line, error.key) == (3, f"functions.{name}")
    assert error.detail == (
        f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+"
    )


def test_function_name_of_65_chars(write_manifest: WriteManifest):
    name = "f" * 65
    error = load_error(write_manifest, f"functions:\n  {name}:\n    handler: a.b\n")
    assert (error.line, error.key) == (2, f"functions.{name}")
    assert error.detail == (
        f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy "
        "constraint: Member must have length less than or equal to 64"
    )


def test_all_digit_function_name_is_valid(write_manifest: WriteManifest):
    path = write_manifest("functions:\n  123:\n    handler: app.handler\n    code: src/hello\n")
    assert list(manifest.load(path).functions) == ["123"]


# --------------------------------------------------------------------------------------------
# Bad manifests: environment


def test_reserved_environment_key_aws_region(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function("environment: {AWS_REGION: eu-west-1}"))
    assert (error.line, error.key) == (5, "functions.hello.environment")
    assert error.detail == (
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported "
        "for modification. Reserved keys used in this request: AWS_REGION"
    )


def test_reserved_environment_key_from_defaults(write_manifest: WriteManifest):
    text = "defaults:\n  environment: {AWS_SESSION_TOKEN: x}\n" + one_function()
    error = load_error(write_manifest, text)
    assert (error.line, error.key) == (2, "functions.hello.environment")
    assert error.detail.endswith("Reserved keys used in this request: AWS_SESSION_TOKEN")


@pytest.mark.parametrize("key", ["1BAD", "A", "BAD-KEY", "_X"])
def test_environment_key_pattern(write_manifest: WriteManifest, key: str):
    error = load_error(write_manifest, one_function("environment:", f"  {key}: v"))
    assert (error.line, error.key) == (6, f"functions.hello.environment.{key}")
    assert error.detail == ENV_KEY_MESSAGE


def test_environment_key_pattern_in_defaults(write_manifest: WriteManifest):
    error = load_error(write_manifest, "defaults:\n  environment: {A: v}\n" + one_function())
    assert (error.line, error.key) == (2, "defaults.environment.A")
    assert error.detail == ENV_KEY_MESSAGE


def test_environment_over_4kb(write_manifest: WriteManifest):
    value = "x" * (4097 - len('{"BIG":""}'))
    error = load_error(write_manifest, one_function("environment:", f"  BIG: {value}"))
    assert (error.line, error.key) == (6, "functions.hello.environment")
    assert error.detail.startswith(FOUR_KB_PREFIX)
    assert error.detail == FOUR_KB_PREFIX + f'"BIG":"{value}"}}'


def test_environment_limit_counts_utf8_bytes(write_manifest: WriteManifest):
    value = "é" * 2044  # 2054 characters of JSON, but 4098 bytes
    error = load_error(write_manifest, one_function("environment:", f"  BIG: {value}"))
    assert error.detail.startswith(FOUR_KB_PREFIX)
    assert "String measured: {" in error.detail


def test_environment_limit_counts_defaults_too(write_manifest: WriteManifest):
    half = "y" * 2100
    text = f"defaults:\n  environment: {{D1: {half}}}\n" + one_function(
        f"environment: {{F1: {half}}}"
    )
    error = load_error(write_manifest, text)
    assert (error.line, error.key) == (7, "functions.hello.environment")
    assert error.detail == FOUR_KB_PREFIX + f'"D1":"{half}","F1":"{half}"}}'


def test_environment_value_null_rejected(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function("environment:", "  K1:"))
    assert (error.line, error.key) == (6, "functions.hello.environment.K1")
    assert error.detail == "expected a string, got nothing ''"


def test_boolean_looking_environment_key_is_a_name(write_manifest: WriteManifest):
    path = write_manifest(one_function("environment: {ON: '1'}"))
    assert dict(manifest.load(path).functions["hello"].config.environment) == {"ON": "1"}


def test_impossible_date_environment_value_keeps_its_text(write_manifest: WriteManifest):
    path = write_manifest(one_function("environment: {BUILD: 2024-02-30}"))
    env = manifest.load(path).functions["hello"].config.environment
    assert dict(env) == {"BUILD": "2024-02-30"}


def test_real_date_environment_value_keeps_its_text(write_manifest: WriteManifest):
    path = write_manifest(one_function("environment: {BUILD: 2024-02-28}"))
    env = manifest.load(path).functions["hello"].config.environment
    assert dict(env) == {"BUILD": "2024-02-28"}


def test_unknown_yaml_tag_is_a_manifest_error(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function("memory: !Ref Memory"))
    assert (error.line, error.key) == (5, "functions.hello.memory")


# --------------------------------------------------------------------------------------------
# Bad manifests: layers, region, account, functions


def test_more_than_five_layers(write_manifest: WriteManifest, project_dir: Path):
    for i in range(6):
        (project_dir / "layers" / f"l{i}").mkdir(parents=True)
    listed = ", ".join(f"layers/l{i}" for i in range(6))
    error = load_error(write_manifest, one_function(f"layers: [{listed}]"))
    assert (error.line, error.key) == (5, "functions.hello.layers")
    assert error.detail.startswith("1 validation error detected: Value '")
    assert error.detail.endswith(
        "' at 'layers' failed to satisfy constraint: "
        "Member must have length less than or equal to 5"
    )


def test_layer_directory_missing(write_manifest: WriteManifest, project_dir: Path):
    (project_dir / "layers" / "ok").mkdir(parents=True)
    error = load_error(write_manifest, one_function("layers:", "  - layers/ok", "  - layers/gone"))
    assert (error.line, error.key) == (7, "functions.hello.layers[1]")
    resolved = (project_dir / "layers" / "gone").resolve()
    assert error.detail == f"directory 'layers/gone' does not exist (resolved to {resolved})"


def test_layers_not_a_list(write_manifest: WriteManifest):
    error = load_error(write_manifest, one_function("layers: layers/common"))
    assert (error.line, error.key) == (5, "functions.hello.layers")
    assert error.detail == "expected a list of directories, got string 'layers/common'"


def test_two_layers_with_the_same_name(write_manifest: WriteManifest, project_dir: Path):
    (project_dir / "one" / "lib").mkdir(parents=True)
    (project_dir / "two" / "lib").mkdir(parents=True)
    error = load_error(write_manifest, one_function("layers: [one/lib, two/lib]"))
    assert (error.line, error.key) == (5, "functions.hello.layers[0]")
    assert error.detail == "two layers share the name 'lib'"


@pytest.mark.parametrize("region", ["useast1", "US-EAST-1", "us-east", "us-east-12"])
def test_invalid_region(write_manifest: WriteManifest, region: str):
    error = load_error(write_manifest, f"region: {region}\n" + one_function())
    assert (error.line, error.key) == (1, "region")
    assert error.detail == f"'{region}' is not an AWS region name (like us-east-1)"


@pytest.mark.parametrize("region", ["eu-central-1", "us-gov-west-1", "ap-southeast-2"])
def test_valid_regions(write_manifest: WriteManifest, region: str):
    assert manifest.load(write_manifest(f"region: {region}\n" + one_function())).region == region


@pytest.mark.parametrize("account", ['"12345"', "12345678901", '"1234567890123"', "abcdefghijkl"])
def test_account_not_12_digits(write_manifest: WriteManifest, account: str):
    error = load_error(write_manifest, f"region: us-east-1\naccount: {account}\n" + one_function())
    assert (error.line, error.key) == (2, "account")
    assert error.detail == f"'{account.strip(chr(34))}' is not a 12-digit account id"


@pytest.mark.parametrize("text", ["region: us-east-1\n", "region: us-east-1\nfunctions:\n"])
def test_functions_missing(write_manifest: WriteManifest, text: str):
    error = load_error(write_manifest, text)
    assert (error.line, error.key) == (1, "functions")
    assert error.detail == "missing: declare at least one function"


def test_functions_empty_mapping_rejected(write_manifest: WriteManifest):
    error = load_error(write_manifest, "functions: {}\n")
    assert error.key == "functions"


def test_merge_key_can_be_overridden(write_manifest: WriteManifest):
    path = write_manifest(
        """\
        functions:
          hello:
            <<: {memory: 256, timeout: 5}
            memory: 512
            handler: app.handler
            code: src/hello
        """
    )
    config = manifest.load(path).functions["hello"].config
    assert (config.memory, config.timeout) == (512, 5)


def test_merge_key_without_override(write_manifest: WriteManifest):
    path = write_manifest(
        """\
        functions:
          hello:
            <<: {memory: 256, timeout: 5}
            handler: app.handler
            code: src/hello
        """
    )
    config = manifest.load(path).functions["hello"].config
    assert (config.memory, config.timeout) == (256, 5)


# --------------------------------------------------------------------------------------------
# manifest.find


def test_find_searches_upward_from_a_subdirectory(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    sub = project_dir / "src" / "hello" / "deeper"
    sub.mkdir()
    expected = project_dir.resolve() / "functions.yaml"
    assert manifest.find(start=sub) == expected
    monkeypatch.chdir(sub)
    assert manifest.find() == expected


def test_find_prefers_the_nearest_manifest(project_dir: Path):
    sub = project_dir / "nested"
    sub.mkdir()
    (sub / "functions.yml").write_text("functions: {}\n")
    assert manifest.find(start=sub) == sub.resolve() / "functions.yml"


def test_find_prefers_yaml_over_yml_in_one_directory(project_dir: Path):
    (project_dir / "functions.yml").write_text("functions: {}\n")
    assert manifest.find(start=project_dir) == project_dir.resolve() / "functions.yaml"


def test_find_explicit_path(project_dir: Path, tmp_path: Path):
    other = tmp_path / "other" / "custom.yaml"
    other.parent.mkdir()
    other.write_text("functions: {}\n")
    assert manifest.find(start=project_dir, explicit=str(other)) == other.resolve()


def test_find_explicit_relative_path(project_dir: Path):
    assert manifest.find(explicit="functions.yaml") == project_dir.resolve() / "functions.yaml"


def test_find_explicit_directory(project_dir: Path, tmp_path: Path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "functions.yml").write_text("functions: {}\n")
    found = manifest.find(start=project_dir, explicit=str(other))
    assert found == other.resolve() / "functions.yml"


def test_find_environment_variable(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    other = tmp_path / "env" / "functions.yaml"
    other.parent.mkdir()
    other.write_text("functions: {}\n")
    monkeypatch.setenv("LAMBDACTL_MANIFEST", str(other))
    assert manifest.find() == other.resolve()
    monkeypatch.setenv("LAMBDACTL_MANIFEST", str(other.parent))
    assert manifest.find() == other.resolve()
    # An explicit argument wins over the environment variable.
    assert manifest.find(explicit=str(project_dir)) == project_dir.resolve() / "functions.yaml"


def test_find_empty_environment_variable_falls_back_to_search(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("LAMBDACTL_MANIFEST", "")
    assert manifest.find() == project_dir.resolve() / "functions.yaml"


def test_find_not_found_is_a_usage_error(tmp_path: Path):
    empty = tmp_path / "empty" / "sub"
    empty.mkdir(parents=True)
    if any((d / n).exists() for d in empty.parents for n in manifest.MANIFEST_NAMES):
        pytest.skip("a manifest exists above the temporary directory")
    with pytest.raises(UsageError) as info:
        manifest.find(start=empty)
    assert not isinstance(info.value, ManifestError)
    assert info.value.exit_code == 2
    assert info.value.message == f"no functions.yaml in {empty.resolve()} or any parent directory"
    assert info.value.hint == (
        "pass --manifest PATH, set LAMBDACTL_MANIFEST, or run `lambdactl init`"
    )


def test_find_explicit_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(UsageError) as info:
        manifest.find(explicit=str(missing))
    assert info.value.exit_code == 2
    assert info.value.message == f"manifest not found: {missing}"
    monkeypatch.setenv("LAMBDACTL_MANIFEST", str(tmp_path))  # a directory without a manifest
    with pytest.raises(UsageError) as info:
        manifest.find()
    assert info.value.message == f"manifest not found: {tmp_path}"


def test_limits_keys(write_manifest: WriteManifest):
    loaded = manifest.load(
        write_manifest(
            one_function() + "account_concurrency: 150\nidle_timeout: 2.5\ncpu_throttling: false\n"
        )
    )
    assert (loaded.account_concurrency, loaded.idle_timeout, loaded.cpu_throttling) == (
        150,
        2.5,
        False,
    )
    assert loaded.unreserved_concurrency == 150
    defaults = manifest.load(write_manifest(one_function()))
    assert (defaults.account_concurrency, defaults.idle_timeout, defaults.cpu_throttling) == (
        1000,
        300.0,
        True,
    )


def test_reservations_must_leave_100_unreserved_of_the_account_limit(write_manifest: WriteManifest):
    error = load_error(
        write_manifest, one_function("reserved_concurrency: 60") + "account_concurrency: 150\n"
    )
    assert error.key == "functions"
    assert "below its minimum value of [100]" in error.detail


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("cpu_throttling: maybe\n", "expected true or false"),
        ("idle_timeout: 0\n", "out of range"),
        ("idle_timeout: soon\n", "expected a number"),
        ("account_concurrency: 0\n", "greater than or equal to 1"),
    ],
)
def test_limits_keys_are_validated(write_manifest: WriteManifest, text: str, problem: str):
    error = load_error(write_manifest, one_function() + text)
    assert problem in error.detail
    assert error.key == text.split(":")[0]
