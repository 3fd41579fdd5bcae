"""A SAM template as the manifest: `load` tells one from a functions.yaml, reads it with the
options remembered in `.lambda/`, and caches it keyed on the text, those options and the
template engine's and reader's code."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdactl import cache, layout, manifest
from lambdactl.sam import options

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String, Default: Hello}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Environment: {Variables: {GREETING: !Ref Greeting}}
"""


@pytest.fixture
def template(project_dir: Path) -> Path:
    (project_dir / "sam" / "src").mkdir(parents=True)
    (project_dir / "sam" / "src" / "app.py").write_text("def handler(e, c):\n    return e\n")
    (project_dir / "sam" / ".lambda").mkdir()
    path = project_dir / "sam" / "template.yaml"
    path.write_text(TEMPLATE)
    return path


def test_a_template_is_read_with_the_remembered_options(template: Path) -> None:
    loaded = manifest.load(template)
    assert loaded.functions["Fn"].config.environment == {"GREETING": "Hello"}
    assert (loaded.region, loaded.account) == ("us-east-1", "000000000000")
    options.remember(
        template.parent / ".lambda",
        options.Options({"Greeting": "Hej"}, region="eu-west-1", account="123456789012"),
    )
    again = manifest.load(template)  # the same text: the options are part of the cache key
    assert again.functions["Fn"].config.environment == {"GREETING": "Hej"}
    assert (again.region, again.account) == ("eu-west-1", "123456789012")


def test_the_second_load_is_the_record(template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = manifest.load(template)
    assert (template.parent / ".lambda" / "manifest.json").is_file()
    from lambdactl.sam import template as engine

    monkeypatch.setattr(engine, "load", None)  # not called: read back from the record
    assert manifest.load(template) == first


def test_the_record_is_keyed_by_the_sam_package(template: Path) -> None:
    stamps = manifest.loading._sam_stamp()
    package = Path(manifest.__file__).parent.parent / "sam"
    for module in ("template", "reader", "options"):
        assert cache.stamp(package / f"{module}.py") in stamps


def test_what_is_a_template(project_dir: Path, template: Path) -> None:
    assert manifest.is_template_file(template)
    assert not manifest.is_template_file(project_dir / "functions.yaml")
    other = project_dir / "sam" / "stack.yaml"
    other.write_text(TEMPLATE)
    assert manifest.is_template_file(other)
    assert manifest.load(other).functions["Fn"].config.handler == "app.handler"
    plain = project_dir / "sam" / "app.yaml"
    plain.write_text((project_dir / "functions.yaml").read_text())
    assert not manifest.is_template_file(plain)


def test_the_upward_search_finds_a_template_and_prefers_functions_yaml(
    project_dir: Path, template: Path
) -> None:
    deeper = template.parent / "src"
    assert layout.find(start=deeper) == template
    (template.parent / "template.yaml").rename(template.parent / "template.yml")
    assert layout.find(start=deeper) == template.parent / "template.yml"
    (template.parent / "functions.yaml").write_text("functions: {}\n")
    assert layout.find(start=deeper) == template.parent / "functions.yaml"
    assert layout.find(explicit=str(template.parent)) == (template.parent / "functions.yaml")
