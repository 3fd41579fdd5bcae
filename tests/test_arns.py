"""Function references: names, qualifiers, full and partial ARNs."""

from __future__ import annotations

import pytest

from lambdactl import arns
from lambdactl.arns import FunctionRef
from lambdactl.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
    ValidationException,
)
from lambdactl.project import Project

REGION = "us-east-1"
ACCOUNT = "123456789012"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:hello"


def pattern_message(text: str) -> str:
    return (
        f"1 validation error detected: Value '{text}' at 'functionName' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {arns.FUNCTION_REF_PATTERN}"
    )


def parse(text: str, qualifier: str | None = None) -> FunctionRef:
    return arns.parse(text, region=REGION, account=ACCOUNT, qualifier=qualifier)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", FunctionRef("hello")),
        ("hello:3", FunctionRef("hello", "3")),
        ("hello:live", FunctionRef("hello", "live")),
        ("hello:$LATEST", FunctionRef("hello", "$LATEST")),
        (ARN, FunctionRef("hello")),
        (f"{ARN}:3", FunctionRef("hello", "3")),
        (f"{ARN}:live", FunctionRef("hello", "live")),
        (f"{ARN}:$LATEST", FunctionRef("hello", "$LATEST")),
        (f"{ACCOUNT}:function:hello", FunctionRef("hello")),
        (f"{ACCOUNT}:function:hello:3", FunctionRef("hello", "3")),
        (f"{ACCOUNT}:function:hello:live", FunctionRef("hello", "live")),
        ("my-func_2", FunctionRef("my-func_2")),
        ("a" * 64, FunctionRef("a" * 64)),
    ],
)
def test_accepted_forms(text: str, expected: FunctionRef) -> None:
    assert parse(text) == expected


def test_unqualified_has_no_qualifier() -> None:
    assert parse("hello").qualifier is None
    assert parse(ARN).qualifier is None


def test_function_arn() -> None:
    assert arns.function_arn(REGION, ACCOUNT, "hello") == ARN
    assert arns.function_arn(REGION, ACCOUNT, "hello", "3") == f"{ARN}:3"
    assert arns.function_arn(REGION, ACCOUNT, "hello", "$LATEST") == f"{ARN}:$LATEST"
    assert arns.function_arn("eu-west-1", "000000000000", "x", "live") == (
        "arn:aws:lambda:eu-west-1:000000000000:function:x:live"
    )


def test_project_arn_and_ref(project: Project) -> None:
    assert project.arn("hello") == ARN
    assert project.arn("hello", "live") == f"{ARN}:live"
    assert project.ref(f"{ARN}:2") == FunctionRef("hello", "2")
    assert project.ref("hello", "live") == FunctionRef("hello", "live")


def test_region_mismatch() -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        parse(f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:hello")
    assert info.value.message == (
        "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"
    )
    with pytest.raises(ResourceNotFoundException) as info:
        parse(f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:hello:live")
    assert info.value.message == (
        "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"
    )


def test_account_mismatch_is_not_found() -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        parse("arn:aws:lambda:us-east-1:999999999999:function:hello:live")
    assert info.value.message == (
        "Function not found: arn:aws:lambda:us-east-1:999999999999:function:hello:live"
    )
    with pytest.raises(ResourceNotFoundException) as info:
        parse("999999999999:function:hello")
    assert info.value.message == (
        "Function not found: arn:aws:lambda:us-east-1:999999999999:function:hello"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello world",
        "hel/lo",
        "hello.py",
        "hello:",
        "hello:live:extra",
        "hello:$latest",
        "héllo",
        ":hello",
        "arn:aws:s3:::bucket",
        "hello:" + "q!",
    ],
)
def test_invalid_names(text: str) -> None:
    with pytest.raises(ValidationException) as info:
        parse(text)
    assert info.value.message == pattern_message(text)


def test_too_long_reference() -> None:
    text = f"{ARN}:" + "q" * 120  # matches the pattern but is over 170 characters
    with pytest.raises(ValidationException):
        parse(text)


def test_name_over_64_characters_is_refused() -> None:
    with pytest.raises((ValidationException, InvalidParameterValueException)) as info:
        parse("a" * 65)
    assert "Member must have length less than or equal to 64" in info.value.message


def test_separate_qualifier() -> None:
    assert parse("hello", qualifier="live") == FunctionRef("hello", "live")
    assert parse(ARN, qualifier="3") == FunctionRef("hello", "3")
    assert parse("hello:live", qualifier="live") == FunctionRef("hello", "live")
    assert parse(f"{ARN}:$LATEST", qualifier="$LATEST") == FunctionRef("hello", "$LATEST")


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        ("hello:live", "beta"),
        ("hello:1", "2"),
        (f"{ARN}:1", "$LATEST"),
        (f"{ACCOUNT}:function:hello:live", "1"),
    ],
)
def test_conflicting_qualifier(text: str, qualifier: str) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        parse(text, qualifier=qualifier)
    assert info.value.message == (
        "The derived qualifier from the function name does not match the specified qualifier."
    )


@pytest.mark.parametrize("qualifier", ["²", "has space", "a:b"])
def test_separate_qualifier_is_validated(qualifier: str) -> None:
    with pytest.raises(ValidationException):
        parse("hello", qualifier=qualifier)
