"""`lambdactl export sam`: through the real CLI, with the project's published versions and
aliases, to stdout or to a file; the file passes cfn-lint run as users run it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from lambdactl.sam import export
from tests.sam.test_export import lint, write_everything


def test_prints_the_template_as_yaml(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("export", "sam")
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("# AWS SAM template written by lambdactl")
    template = yaml.safe_load(result.out.replace("!GetAtt", "").replace("!Sub", ""))
    hello = template["Resources"]["HelloFunction"]["Properties"]
    assert (hello["FunctionName"], hello["CodeUri"], hello["Handler"]) == (
        "hello",
        "src/hello",
        "app.handler",
    )


def test_output_json_is_the_template_as_json(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("export", "sam", "-o", "json")
    assert result.code == 0 and result.err == ""
    template = result.json()
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    role = template["Resources"]["HelloFunction"]["Properties"]["Role"]
    assert role == {"Fn::GetAtt": ["HelloFunctionRole", "Arn"]}


def test_the_alias_that_tracks_the_newest_version_is_auto_published(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("publish", "hello").code == 0
    assert cli("alias", "create", "hello", "old", "-v", "1").code == 0
    Path("src/hello/app.py").write_text("def handler(event, context):\n    return 2\n")
    assert cli("publish", "hello").code == 0
    assert cli("alias", "create", "hello", "live", "-v", "2").code == 0
    template = cli("export", "sam", "-o", "json").json()
    assert template["Resources"]["HelloFunction"]["Properties"]["AutoPublishAlias"] == "live"
    notes = template["Metadata"]["Lambdactl"]["Notes"]
    assert any(note.startswith("hello: alias 'old' -> version 1: ") for note in notes)


def test_template_file_paths_are_relative_to_it(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (project_dir / "deploy").mkdir()
    result = cli("export", "sam", "--template-file", "deploy/template.yaml")
    assert result.code == 0, result
    assert "wrote deploy/template.yaml: 1 functions, 2 resources" in result.out
    assert result.err.startswith("warning: python3.11 (hello): AWS stops creating")
    text = (project_dir / "deploy" / "template.yaml").read_text()
    assert "CodeUri: ../src/hello\n" in text
    again = cli("export", "sam", "-t", "deploy/again.yaml")
    assert again.code == 0
    assert (project_dir / "deploy" / "again.yaml").read_text() == text  # byte-identical


def test_template_file_as_json(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("export", "sam", "-t", "template.json", "-o", "json")
    assert result.code == 0
    assert result.json() == {"TemplateFile": "template.json", "Resources": 2}
    written = json.loads((project_dir / "template.json").read_text())
    assert written["Resources"]["HelloFunction"]["Properties"]["CodeUri"] == "src/hello"


def test_an_unwritable_template_file_is_one_line(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("export", "sam", "-t", "missing/template.yaml")
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: cannot write template missing/template.yaml: No such file or directory"
    ]
    assert not (project_dir / "missing").exists()


def test_a_bad_manifest_is_one_line(cli, write_manifest) -> None:  # type: ignore[no-untyped-def]
    write_manifest("functions:\n  hello: {handler: app.handler}\n")
    result = cli("export", "sam")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "missing key 'code'" in result.err


def test_every_feature_through_the_cli_passes_the_cfn_lint_command(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """The `cfn-lint` command users run, on the file the command wrote: exit 0, silent."""
    write_everything(project_dir)
    assert cli("export", "sam", "-t", "template.yaml").code == 0
    command = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or "cfn-lint"
    linted = subprocess.run(
        [command, "template.yaml"], cwd=project_dir, capture_output=True, text=True
    )
    assert (linted.returncode, linted.stdout, linted.stderr) == (0, "", "")


# -- a project read from a SAM template, exported again ------------------------------------------

PROJECTS = Path(__file__).parent.parent / "fixtures" / "sam" / "projects"


def exported_from(cli, project_dir: Path, name: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The reader's fixture project `name`, read with `-f` and exported (as JSON)."""
    shutil.copytree(PROJECTS / name, project_dir / name)
    result = cli("-f", f"{name}/template.yaml", "export", "sam", "-o", "json")
    assert result.code == 0, result
    template = result.json()
    text = json.dumps(template)
    blocked = tuple(f"Runtime '{runtime}'" for runtime in export.CREATE_BLOCKED)
    findings = [(rule, m) for rule, m in lint(text) if not m.startswith(blocked)]
    assert findings == []  # but for the runtimes AWS's schedule blocks, each a note
    return template  # type: ignore[no-any-return]


def test_a_template_s_auto_publish_alias_is_exported_again(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    template = exported_from(cli, project_dir, "hello")
    hello = template["Resources"]["HelloWorldFunctionFunction"]["Properties"]
    assert (hello["FunctionName"], hello["AutoPublishAlias"]) == ("HelloWorldFunction", "live")


def test_a_template_s_topic_destination_is_exported_again(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    template = exported_from(cli, project_dir, "consumer")
    notifier = template["Resources"]["NotifierFunction"]["Properties"]
    assert notifier["EventInvokeConfig"]["DestinationConfig"]["OnFailure"] == {
        "Type": "SNS",
        "Destination": {"Ref": "FailuresTopic"},
    }
    role = template["Resources"]["NotifierFunctionRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": {"Ref": "FailuresTopic"}} in (
        statements
    )


def test_functions_that_cannot_run_here_are_notes_not_resources(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A template's function whose code is in S3 (or an image, a remote layer...) is not in
    the manifest as the template had it: it is left out, with the reader's reason."""
    template = exported_from(cli, project_dir, "mixed")
    names = [
        r["Properties"]["FunctionName"]
        for r in template["Resources"].values()
        if r["Type"] == export.FUNCTION
    ]
    assert "FromS3" not in names and "Container" not in names
    notes = template["Metadata"]["Lambdactl"]["Notes"]
    reason = "its code is in S3 (s3://my-artifacts/from-s3.zip), not in this project"
    assert f"FromS3: not exported: {reason}" in notes
    assert any(note.startswith("Container: not exported: ") for note in notes)
