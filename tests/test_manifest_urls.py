"""The manifest's function URL key, `url:`, with AWS's constraints on each setting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lambdactl import manifest
from lambdactl.errors import ManifestError
from lambdactl.manifest import Cors, UrlConfig

WriteManifest = Callable[[str], Path]

BASE = """\
functions:
  hello:
    handler: app.handler
    code: src/hello
{body}
"""
URL_LINE = 5
"""The line of `url:` in BASE."""


def load(write_manifest: WriteManifest, body: str) -> UrlConfig | None:
    loaded = manifest.load(write_manifest(BASE.format(body=body)), remember=False)
    return loaded.functions["hello"].url


def error(write_manifest: WriteManifest, body: str) -> ManifestError:
    with pytest.raises(ManifestError) as info:
        load(write_manifest, body)
    return info.value


def test_no_url_by_default(write_manifest: WriteManifest) -> None:
    assert load(write_manifest, "") is None


def test_url_true_is_aws_defaults(write_manifest: WriteManifest) -> None:
    assert load(write_manifest, "    url: true") == UrlConfig("NONE", None, "BUFFERED", None)


def test_url_false_or_empty_is_none(write_manifest: WriteManifest) -> None:
    assert load(write_manifest, "    url: false") is None
    assert load(write_manifest, "    url:") is None


def test_every_setting(write_manifest: WriteManifest) -> None:
    config = load(
        write_manifest,
        "    url:\n"
        "      auth: AWS_IAM\n"
        "      invoke_mode: RESPONSE_STREAM\n"
        "      qualifier: live\n"
        "      cors:\n"
        "        allow_origins: ['https://www.example.com', 'http://localhost:60905']\n"
        "        allow_methods: [GET, POST, DELETE]\n"
        "        allow_headers: [Date, Keep-Alive, X-Custom-Header]\n"
        "        expose_headers: [X-Custom-Header]\n"
        "        allow_credentials: true\n"
        "        max_age: 300",
    )
    assert config == UrlConfig(
        auth="AWS_IAM",
        invoke_mode="RESPONSE_STREAM",
        qualifier="live",
        cors=Cors(
            allow_origins=("https://www.example.com", "http://localhost:60905"),
            allow_methods=("GET", "POST", "DELETE"),
            allow_headers=("Date", "Keep-Alive", "X-Custom-Header"),
            expose_headers=("X-Custom-Header",),
            allow_credentials=True,
            max_age=300,
        ),
    )


def test_a_single_value_is_a_list_of_one(write_manifest: WriteManifest) -> None:
    config = load(write_manifest, "    url: {cors: {allow_origins: '*', allow_methods: '*'}}")
    assert config is not None and config.cors == Cors(allow_origins=("*",), allow_methods=("*",))


def test_url_survives_the_manifest_cache(write_manifest: WriteManifest, project_dir: Path) -> None:
    (project_dir / ".lambda").mkdir()
    path = write_manifest(BASE.format(body="    url: {qualifier: live, cors: {max_age: 5}}"))
    first = manifest.load(path)
    again = manifest.load(path)  # read back from .lambda/manifest.json
    assert again.functions["hello"].url == first.functions["hello"].url
    assert again.functions["hello"].url == UrlConfig(cors=Cors(max_age=5), qualifier="live")


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        (
            "    url: {auth: IAM}",
            "url.auth",
            "1 validation error detected: Value 'IAM' at 'authType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [NONE, AWS_IAM]",
        ),
        (
            # AWS's own message lists the modes in this order (recorded November 2025)
            "    url: {invoke_mode: UNKNOWN}",
            "url.invoke_mode",
            "1 validation error detected: Value 'UNKNOWN' at 'invokeMode' failed to satisfy "
            "constraint: Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]",
        ),
        (
            "    url: {qualifier: '2'}",
            "url.qualifier",
            "1 validation error detected: Value '2' at 'qualifier' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            r"((?!^\d+$)^[0-9a-zA-Z-_]+$)",
        ),
        (
            "    url: {qualifier: $LATEST}",
            "url.qualifier",
            "1 validation error detected: Value '$LATEST' at 'qualifier' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            r"((?!^\d+$)^[0-9a-zA-Z-_]+$)",
        ),
        (
            "    url: {cors: {max_age: 86401}}",
            "url.cors.max_age",
            "1 validation error detected: Value '86401' at 'cors.maxAge' failed to satisfy "
            "constraint: Member must have value less than or equal to 86400",
        ),
        (
            "    url: {cors: {max_age: -1}}",
            "url.cors.max_age",
            "1 validation error detected: Value '-1' at 'cors.maxAge' failed to satisfy "
            "constraint: Member must have value greater than or equal to 0",
        ),
        (
            "    url: {cors: {allow_methods: [GET, FETCH]}}",
            "url.cors.allow_methods[1]",
            "1 validation error detected: Value 'FETCH' at 'cors.allowMethods' failed to "
            "satisfy constraint: Member must satisfy enum value set: "
            "[GET, PUT, HEAD, POST, PATCH, DELETE, *]",
        ),
        (
            # AWS's model allows methods of 6 characters at most: OPTIONS fails that first
            "    url: {cors: {allow_methods: [GET, OPTIONS]}}",
            "url.cors.allow_methods[1]",
            "1 validation error detected: Value 'OPTIONS' at 'cors.allowMethods' failed to "
            "satisfy constraint: Member must have length less than or equal to 6",
        ),
        (
            "    url: {cors: {allow_methods: [GET, PUT, HEAD, POST, PATCH, DELETE, '*']}}",
            "url.cors.allow_methods",
            "1 validation error detected: Value '[GET, PUT, HEAD, POST, PATCH, DELETE, *]' at "
            "'cors.allowMethods' failed to satisfy constraint: Member must have length less "
            "than or equal to 6",
        ),
        (
            "    url: {cors: {allow_origins: ['']}}",
            "url.cors.allow_origins[0]",
            "1 validation error detected: Value '' at 'cors.allowOrigins' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1",
        ),
        (
            "    url: {cors: {allow_headers: [" + "x" * 1025 + "]}}",
            "url.cors.allow_headers[0]",
            f"1 validation error detected: Value '{'x' * 1025}' at 'cors.allowHeaders' failed "
            "to satisfy constraint: Member must have length less than or equal to 1024",
        ),
        ("    url: {cors: {allow_credentials: yes please}}", "url.cors.allow_credentials", None),
        ("    url: {cors: {allow_origin: ['*']}}", "url.cors.allow_origin", "unknown key"),
        ("    url: {path: /x}", "url.path", "unknown key 'path'"),
        ("    url: yes please", "url", "expected true or false, got string 'yes please'"),
        ("    url: [a]", "url", "expected a mapping, got a list"),
    ],
)
def test_bad_settings_are_located(
    write_manifest: WriteManifest, body: str, key: str, message: str | None
) -> None:
    problem = error(write_manifest, body)
    assert problem.line == URL_LINE
    assert problem.key == f"functions.hello.{key}"
    if message is not None:
        assert problem.detail.startswith(message)


def test_too_many_origins(write_manifest: WriteManifest) -> None:
    origins = ", ".join(f"'http://o{i}'" for i in range(101))
    problem = error(write_manifest, f"    url: {{cors: {{allow_origins: [{origins}]}}}}")
    assert problem.key == "functions.hello.url.cors.allow_origins"
    assert problem.detail.endswith("Member must have length less than or equal to 100")


def test_bad_item_is_located_on_its_own_line(write_manifest: WriteManifest) -> None:
    problem = error(
        write_manifest,
        "    url:\n      cors:\n        allow_methods:\n          - GET\n          - FETCH",
    )
    assert (problem.line, problem.key) == (9, "functions.hello.url.cors.allow_methods[1]")


def test_qualifier_hint_says_alias(write_manifest: WriteManifest) -> None:
    problem = error(write_manifest, "    url: {qualifier: '7'}")
    assert problem.hint is not None and "alias" in problem.hint
