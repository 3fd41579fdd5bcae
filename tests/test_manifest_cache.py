"""The manifest read back from `.lambda/manifest.json` without YAML: only while it would
read the same, and never instead of an error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lambdactl import cache, manifest
from lambdactl.errors import ManifestError

FULL = """\
region: eu-west-1
account: "123456789012"
defaults: {runtime: python3.12, timeout: 7, environment: {STAGE: dev}}
logs: {retention_days: 2.5}
queues:
  jobs: {visibility_timeout: 5}
  orders.fifo: {fifo: true, content_based_deduplication: true}
functions:
  hello:
    handler: app.handler
    code: src/hello
    description: Greets
    memory: 256
    layers: [layers/common]
    reserved_concurrency: 3
    logging: {format: JSON, application_level: DEBUG, max_size_mb: 1.5}
    async: {maximum_retry_attempts: 1, retry_delays: [0.5, 1], on_failure: {queue: jobs}}
    dead_letter: {queue: jobs}
  other: {handler: app.handler, code: src/hello, environment: {PORT: "8080"}}
"""


@pytest.fixture
def full(project_dir: Path, write_manifest) -> Path:  # type: ignore[no-untyped-def]
    (project_dir / "layers" / "common").mkdir(parents=True)
    (project_dir / ".lambda").mkdir()
    return write_manifest(FULL)


def test_the_second_load_reads_the_record_and_gets_the_same_manifest(full, monkeypatch):
    first = manifest.load(full)
    assert first == manifest.parse(FULL, full)
    assert (full.parent / ".lambda" / "manifest.json").is_file()
    # Not called (it would raise TypeError): patched in reader.py, where the reader calls it.
    monkeypatch.setattr(manifest.reader, "_read_yaml", None)
    second = manifest.load(full)
    assert second == first
    assert isinstance(second.functions["hello"].layers, tuple)
    assert second.functions["hello"].asynchronous.retry_delays == (0.5, 1.0)


def test_any_edit_reads_the_yaml_again_even_with_the_same_size_and_time(full):
    manifest.load(full)
    stat = full.stat()
    full.write_text(FULL.replace("memory: 256", "memory: 512"))
    os.utime(full, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert full.stat().st_size == stat.st_size
    assert manifest.load(full).functions["hello"].config.memory == 512


def test_a_removed_code_directory_is_still_an_error_with_its_line(full, project_dir):
    manifest.load(full)
    (project_dir / "layers" / "common").rmdir()
    with pytest.raises(ManifestError) as info:
        manifest.load(full)
    assert info.value.line == 14
    assert "directory 'layers/common' does not exist" in str(info.value)


def test_a_retargeted_symlink_is_resolved_again(full, project_dir):
    (project_dir / "v1").mkdir()
    (project_dir / "v2").mkdir()
    (project_dir / "current").symlink_to(project_dir / "v1")
    full.write_text(FULL.replace("code: src/hello\n    desc", "code: current\n    desc"))
    assert manifest.load(full).functions["hello"].code == (project_dir / "v1").resolve()
    (project_dir / "current").unlink()
    (project_dir / "current").symlink_to(project_dir / "v2")
    assert manifest.load(full).functions["hello"].code == (project_dir / "v2").resolve()


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\xff\xfe", b"[]", b'{"key": 1}', b'{"key": null, "value": {"manifest": 1}}'],
)
def test_a_damaged_record_is_read_past_and_replaced(full, garbage, monkeypatch):
    first = manifest.load(full)
    record = full.parent / ".lambda" / "manifest.json"
    record.write_bytes(garbage)
    assert manifest.load(full) == first
    monkeypatch.setattr(manifest.reader, "_read_yaml", None)
    assert manifest.load(full) == first  # the record was written again


def test_a_tampered_record_cannot_name_other_classes(full):
    manifest.load(full)
    record = full.parent / ".lambda" / "manifest.json"
    record.write_text(record.read_text().replace('"@": "Destination"', '"@": "Path"'))
    assert manifest.load(full) == manifest.parse(FULL, full)


def test_no_record_without_a_state_directory_nor_where_none_can_be_written(
    project_dir, write_manifest
):
    path = write_manifest(FULL.replace("layers: [layers/common]", ""))
    manifest.load(path)
    assert not (project_dir / ".lambda").exists()  # validate never creates .lambda/
    (project_dir / ".lambda" / "manifest.json").mkdir(parents=True)  # cannot be replaced
    assert manifest.load(path) == manifest.load(path)


def test_the_same_text_elsewhere_is_another_manifest(full, project_dir):
    first = manifest.load(full)
    copy = project_dir / "copy"
    (copy / "src" / "hello").mkdir(parents=True)
    (copy / "layers" / "common").mkdir(parents=True)
    (copy / ".lambda").mkdir()
    (copy / ".lambda" / "manifest.json").write_bytes(
        (project_dir / ".lambda" / "manifest.json").read_bytes()
    )
    (copy / "functions.yaml").write_text(FULL)
    second = manifest.load(copy / "functions.yaml")
    assert second.functions["hello"].code == (copy / "src" / "hello").resolve()
    assert second != first


def test_the_record_is_keyed_by_every_module_of_the_package(full):
    """Editing the schema, the reader or the loader reads manifests again, not only one file."""
    stamped = manifest.loading._cache_key(FULL, full)["reader"][0]
    package = Path(manifest.__file__).parent
    for module in ("__init__", "schema", "reader", "loading"):
        assert cache.stamp(package / f"{module}.py") in stamped
