"""`--env-vars` files: sam local's format, its rule (only declared variables are overridden),
and one-line errors naming the file and where in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdactl import variables
from lambdactl.errors import UsageError
from lambdactl.manifest import load


def write(tmp_path: Path, data: object) -> str:
    path = tmp_path / "env.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_a_functions_own_values_win_over_parameters(tmp_path: Path) -> None:
    overrides = variables.load(
        write(
            tmp_path,
            {"Parameters": {"STAGE": "local", "TABLE": "all"}, "hello": {"TABLE": "mine"}},
        )
    )
    declared = {"STAGE": "prod", "TABLE": "t", "KEEP": "k"}
    assert overrides.apply("hello", declared) == {"STAGE": "local", "TABLE": "mine", "KEEP": "k"}
    assert overrides.apply("other", declared) == {"STAGE": "local", "TABLE": "all", "KEEP": "k"}


def test_only_declared_variables_are_overridden_as_sam_local_does(tmp_path: Path) -> None:
    overrides = variables.load(write(tmp_path, {"Parameters": {"NEW": "x"}, "hello": {"N": "1"}}))
    assert overrides.apply("hello", {"GREETING": "Hello"}) == {"GREETING": "Hello"}
    assert overrides.apply("hello", {}) == {}


def test_values_are_written_as_sam_local_writes_them(tmp_path: Path) -> None:
    overrides = variables.load(
        write(tmp_path, {"f": {"A": 3, "B": 1.5, "C": True, "D": False, "E": None, "F": "é"}})
    )
    assert dict(overrides.functions["f"]) == {
        "A": "3",
        "B": "1.5",
        "C": "true",
        "D": "false",
        "E": "",
        "F": "é",
    }


def test_bad_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "Parameters": {\n    "A": "1",\n  }\n}\n')
    with pytest.raises(UsageError) as raised:
        variables.load(path)
    assert str(raised.value) == (
        f"{path}:4: invalid JSON: Expecting property name enclosed in double quotes (column 3)"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"hello": {"AWS_REGION": "eu-west-1"}},
            "hello.AWS_REGION: AWS_REGION is reserved: Lambda sets it itself, a function "
            "cannot be given its own",
        ),
        (
            {"Parameters": {"AWS_ACCESS_KEY_ID": "x"}},
            "Parameters.AWS_ACCESS_KEY_ID: AWS_ACCESS_KEY_ID is reserved: Lambda sets it itself, "
            "a function cannot be given its own",
        ),
        ([1], 'expected an object such as {"Parameters": {"NAME": "value"}}, not an array'),
        ({"hello": "x"}, "hello: expected an object of variable names and values, not a string"),
        (
            {"hello": {"A": {"Ref": "B"}}},
            "hello.A: an environment variable's value is a string, number, boolean or null, "
            "not an object",
        ),
        (
            {"hello": {"A": "a\u0000b"}},
            "hello.A: a process's environment cannot hold this value (a NUL character or a "
            "lone surrogate)",
        ),
    ],
)
def test_what_cannot_be_a_variable_is_refused_naming_the_key(
    tmp_path: Path, data: object, message: str
) -> None:
    path = write(tmp_path, data)
    with pytest.raises(UsageError) as raised:
        variables.load(path)
    assert str(raised.value) == f"{path}: {message}"


def test_a_missing_or_binary_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as raised:
        variables.load(str(tmp_path / "nope.json"))
    assert str(raised.value) == f"cannot read --env-vars file {tmp_path / 'nope.json'}: " + (
        "No such file or directory"
    )
    binary = tmp_path / "bin.json"
    binary.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(UsageError) as raised:
        variables.load(str(binary))
    assert str(raised.value) == f"{binary}: not UTF-8 text"


def test_what_no_function_takes_is_named(project_dir: Path, tmp_path: Path) -> None:
    functions = load(project_dir / "functions.yaml").functions  # hello declares GREETING
    path = write(
        tmp_path,
        {
            "Parameters": {"GREETING": "Hi", "UNUSED": "x"},
            "hello": {"GREETING": "Hey", "EXTRA": "y"},
            "gone": {"A": "1"},
        },
    )
    overrides = variables.load(path)
    suffix = "; ignored (only declared variables are overridden)"
    assert overrides.ignored(functions) == [
        f"{path}: Parameters.UNUSED: no function declares UNUSED{suffix}",
        f"{path}: hello.EXTRA: hello does not declare EXTRA{suffix}",
        f"{path}: gone: the project has no function gone{suffix}",
    ]
    assert overrides.ignored(functions, "hello") == [
        f"{path}: hello.EXTRA: hello does not declare EXTRA{suffix}"
    ]
