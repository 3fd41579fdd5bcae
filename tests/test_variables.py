"""`--env-vars` files: sam local's JSON and `.env`, told apart by content; what they override
and add; which functions an edit of one changes; one-line errors naming the file and where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdactl import variables
from lambdactl.errors import UsageError
from lambdactl.manifest import ENV_KEY_MESSAGE, RESERVED_KEYS_MESSAGE, load


def write(tmp_path: Path, data: object, name: str = "env.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_a_functions_own_values_win_over_parameters_which_win_over_the_manifest(
    tmp_path: Path,
) -> None:
    overrides = variables.load(
        write(
            tmp_path,
            {"Parameters": {"STAGE": "local", "TABLE": "all"}, "hello": {"TABLE": "mine"}},
        )
    )
    declared = {"STAGE": "prod", "TABLE": "t", "KEEP": "k"}
    assert overrides.apply("hello", declared) == {"STAGE": "local", "TABLE": "mine", "KEEP": "k"}
    assert overrides.apply("other", declared) == {"STAGE": "local", "TABLE": "all", "KEEP": "k"}


def test_variables_the_manifest_does_not_declare_are_added(tmp_path: Path) -> None:
    overrides = variables.load(write(tmp_path, {"Parameters": {"NEW": "x"}, "hello": {"OWN": "1"}}))
    assert overrides.apply("hello", {"GREETING": "Hello"}) == {
        "GREETING": "Hello",
        "NEW": "x",
        "OWN": "1",
    }
    assert overrides.apply("other", {}) == {"NEW": "x"}


def test_values_are_written_as_sam_local_writes_them(tmp_path: Path) -> None:
    overrides = variables.load(
        write(
            tmp_path,
            {"f": {"AA": 3, "BB": 1.5, "CC": True, "DD": False, "EE": None, "FF": "é"}},
        )
    )
    assert dict(overrides.functions["f"]) == {
        "AA": "3",
        "BB": "1.5",
        "CC": "true",
        "DD": "false",
        "EE": "",
        "FF": "é",
    }


DOTENV = r"""
# a comment, then a blank line

PLAIN=value
export EXPORTED=yes
SPACED = around equals   
TRAILING=abc   # a comment
HASH=a#b
LEADING_HASH=#x
EMPTY=
COMMENT_ONLY= # nothing
SINGLE='lit\n $X "q" # kept'  # dropped
DOUBLE="a\tb\nc \"q\" \\ \d # kept" # dropped
MULTI="line one
line two"
AFTER=1
LAST=first
LAST=second
"""


def test_a_dotenv_file_gives_every_function_its_variables(tmp_path: Path) -> None:
    overrides = variables.load(write(tmp_path, DOTENV.replace("\n", "\r\n"), ".env"))
    assert dict(overrides.parameters) == {
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SPACED": "around equals",
        "TRAILING": "abc",
        "HASH": "a#b",
        "LEADING_HASH": "#x",
        "EMPTY": "",
        "COMMENT_ONLY": "",
        "SINGLE": 'lit\\n $X "q" # kept',
        "DOUBLE": 'a\tb\nc "q" \\ \\d # kept',
        "MULTI": "line one\nline two",
        "AFTER": "1",
        "LAST": "second",
    }
    assert overrides.functions == {}
    assert overrides.apply("any", {"PLAIN": "manifest", "KEEP": "k"})["PLAIN"] == "value"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("env.txt", '\n  {"Parameters": {"AA": "1"}}', {"AA": "1"}),  # content decides
        ("vars", "AA=1\n", {"AA": "1"}),
        ("vars.env", "# {not json}\nAA={x}\n", {"AA": "{x}"}),
        ("vars.json", "", None),  # the suffix forces JSON: an empty file is bad JSON
    ],
)
def test_the_format_is_told_by_content_or_a_json_suffix(
    tmp_path: Path, name: str, text: str, expected: dict[str, str] | None
) -> None:
    path = write(tmp_path, text, name)
    if expected is None:
        with pytest.raises(UsageError, match="vars.json:1: invalid JSON"):
            variables.load(path)
    else:
        assert dict(variables.load(path).parameters) == expected


def test_bad_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "Parameters": {\n    "AA": "1",\n  }\n}\n')
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
            f"hello.AWS_REGION: {RESERVED_KEYS_MESSAGE}AWS_REGION",
        ),
        (
            {"Parameters": {"AWS_ACCESS_KEY_ID": "x"}},
            f"Parameters.AWS_ACCESS_KEY_ID: {RESERVED_KEYS_MESSAGE}AWS_ACCESS_KEY_ID",
        ),
        ({"hello": {"1ST": "x"}}, f"hello.1ST: {ENV_KEY_MESSAGE}"),
        ({"hello": {"A": "x"}}, f"hello.A: {ENV_KEY_MESSAGE}"),  # AWS wants two characters
        ([1], 'expected an object such as {"Parameters": {"NAME": "value"}}, not an array'),
        ({"hello": "x"}, "hello: expected an object of variable names and values, not a string"),
        (
            {"hello": {"AA": {"Ref": "B"}}},
            "hello.AA: an environment variable's value is a string, number, boolean or null, "
            "not an object",
        ),
        (
            {"hello": {"AA": "a\u0000b"}},
            "hello.AA: a process's environment cannot hold this value (a NUL character or a "
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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("AA=1\nJUST A LINE\n", "2: expected NAME=value (or a # comment)"),
        ("=value\n", "1: expected NAME=value (or a # comment)"),
        ("\n\nAWS_REGION=eu-west-1\n", f"3: AWS_REGION: {RESERVED_KEYS_MESSAGE}AWS_REGION"),
        ("MY-VAR=1\n", f"1: MY-VAR: {ENV_KEY_MESSAGE}"),
        ('AA="open\nBB=2\n', "1: AA: the value's closing \" is missing"),
        ("AA='x' y\n", "1: AA: text after the closing ' (only a # comment may follow it)"),
        (
            'AA="oops\nBB="x"\n',
            '2: AA: text after the closing " of the value begun on line 1 (only a # comment '
            "may follow it)",
        ),
        (
            "AA=a\x00b\n",
            "1: AA: a process's environment cannot hold this value (a NUL character or a "
            "lone surrogate)",
        ),
    ],
)
def test_a_bad_dotenv_line_is_named_by_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text, ".env")
    with pytest.raises(UsageError) as raised:
        variables.load(path)
    assert str(raised.value) == f"{path}:{message}"


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


def test_only_a_function_the_project_does_not_have_is_warned_about(
    project_dir: Path, tmp_path: Path
) -> None:
    functions = load(project_dir / "functions.yaml").functions  # hello declares GREETING
    path = write(
        tmp_path,
        {"Parameters": {"UNUSED": "x"}, "hello": {"EXTRA": "y"}, "gone": {"AA": "1"}},
    )
    assert variables.load(path).unknown(functions) == [
        f"{path}: gone: the project has no function gone; ignored"
    ]
    assert variables.load(write(tmp_path, "AA=1\n", ".env")).unknown(functions) == []


def test_changed_names_the_functions_whose_environment_an_edit_changes(  # type: ignore[no-untyped-def]
    write_manifest, tmp_path: Path
) -> None:
    write_manifest(
        """\
        functions:
          one: {handler: app.handler, code: src/hello, environment: {STAGE: prod}}
          two: {handler: app.handler, code: src/hello}
          three: {handler: app.handler, code: src/hello}
        """
    )
    functions = load(tmp_path / "project" / "functions.yaml").functions

    def file(data: object) -> variables.Overrides:
        return variables.load(write(tmp_path, data))

    assert variables.changed(None, None, functions) == []
    assert variables.changed(None, file({"two": {"AA": "1"}}), functions) == ["two"]
    assert variables.changed(file({"two": {"AA": "1"}}), None, functions) == ["two"]
    everyone = file({"Parameters": {"AA": "1"}})
    assert variables.changed(None, everyone, functions) == ["one", "three", "two"]
    moved = file({"Parameters": {"AA": "1"}, "two": {"AA": "1"}})
    assert variables.changed(everyone, moved, functions) == []  # the same values either way
    assert variables.changed(None, file({"one": {"STAGE": "prod"}}), functions) == []
    dotenv = variables.load(write(tmp_path, "AA=1\nBB=2\n", ".env"))
    assert variables.changed(everyone, dotenv, functions) == ["one", "three", "two"]
    assert variables.changed(dotenv, dotenv, functions) == []
    assert variables.changed(None, file({"gone": {"AA": "1"}}), functions) == []


def test_a_mapping_gives_variables_to_all_functions_or_to_one() -> None:
    given = variables.from_mapping("marker", {"STAGE": "test", "NUM": 3, "hello": {"ON": True}})
    assert given.parameters == {"STAGE": "test", "NUM": "3"}
    assert given.functions == {"hello": {"ON": "true"}}
    assert given.apply("hello", {"A": "1"}) == {"A": "1", "STAGE": "test", "NUM": "3", "ON": "true"}
    with pytest.raises(UsageError) as refused:
        variables.from_mapping("marker", {"hello": {"AWS_REGION": "x"}})
    assert str(refused.value) == f"marker: hello.AWS_REGION: {RESERVED_KEYS_MESSAGE}AWS_REGION"
    with pytest.raises(UsageError, match=r"^marker: 1BAD: "):
        variables.from_mapping("marker", {"1BAD": "x"})
