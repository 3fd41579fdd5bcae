"""Shell completion through the shells' protocol: `lambdactl` run as a process with
`_LAMBDACTL_COMPLETE` set, as the script `--show-completion` prints makes the shell do.

Function names come from the manifest (and the store: those created through the API);
versions and aliases from the store, read without writing; anything missing or broken means
no suggestions, never a traceback.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runtime import fn, write_functions


def lambdactl(cwd: Path, *args: str) -> None:
    """A command in a process of its own: its store is closed (WAL folded in) when it ends."""
    subprocess.run(
        [sys.executable, "-m", "lambdactl", *args],
        cwd=cwd,
        env=env(),
        check=True,
        timeout=60,
        stdout=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`hello` (versions 1 and 2, aliases `live` and `beta`) and `orders` (nothing published),
    made once; each test gets a copy."""
    root = tmp_path_factory.mktemp("published")
    write_functions(root, {"hello": fn(), "orders": fn()})
    lambdactl(root, "publish", "hello", "-o", "json")
    with (root / "src" / "hello" / "app.py").open("a") as code:
        code.write("# changed\n")
    lambdactl(root, "publish", "hello", "-o", "json")
    lambdactl(root, "alias", "create", "hello", "live", "-v", "1", "-o", "json")
    lambdactl(root, "alias", "create", "hello", "beta", "-v", "$LATEST", "-o", "json")
    return root


@pytest.fixture
def functions(published: Path, project_dir: Path) -> Path:
    shutil.copytree(published, project_dir, dirs_exist_ok=True)
    return project_dir


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("_LAMBDACTL")}
    return {**base, **extra}


def complete(cwd: Path, line: str, **extra: str) -> list[str]:
    """bash's protocol: the words of `line` as bash splits them (`:` is a word of its own),
    the last word being completed (a trailing space: an empty word)."""
    words = line.replace(":", " : ").split()
    if line.endswith(" "):
        words.append("")
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl"],
        cwd=cwd,
        env=env(
            _LAMBDACTL_COMPLETE="complete_bash",
            COMP_WORDS="\n".join(words),
            COMP_CWORD=str(len(words) - 1),
            **extra,
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, ""), done
    return done.stdout.split()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("lambdactl invoke ", ["hello", "orders"]),
        ("lambdactl invoke or", ["orders"]),
        ("lambdactl show ", ["hello", "orders"]),
        ("lambdactl versions h", ["hello"]),
        ("lambdactl publish hello ", ["hello", "orders"]),
        ("lambdactl logs ", ["hello", "orders"]),
        ("lambdactl tail o", ["orders"]),
        ("lambdactl events list --function ", ["hello", "orders"]),
        ("lambdactl alias list ", ["hello", "orders"]),
        # bash splits `hello:` at the colon and replaces only its last piece
        ("lambdactl invoke hello:", [":$LATEST", ":1", ":2", ":beta", ":live"]),
        ("lambdactl invoke hello:l", ["live"]),
        ("lambdactl show hello:", [":$LATEST", ":1", ":2", ":beta", ":live"]),
        ("lambdactl invoke orders:", [":$LATEST"]),
        ("lambdactl invoke hello -q ", ["$LATEST", "1", "2", "beta", "live"]),
        ("lambdactl show hello --qualifier b", ["beta"]),
        ("lambdactl delete-version hello ", ["1", "2"]),
        ("lambdactl alias show hello ", ["beta", "live"]),
        ("lambdactl alias delete hello l", ["live"]),
        ("lambdactl alias update hello live --version ", ["$LATEST", "1", "2"]),
        ("lambdactl alias create hello ", []),  # a new name: nothing to suggest
        ("lambdactl alias create hello canary -v ", ["$LATEST", "1", "2"]),
        ("lambdactl al", ["alias"]),
        ("lambdactl init --runtime node", ["nodejs20.x", "nodejs22.x", "nodejs24.x"]),
        ("lambdactl init new --runtime python3.1", [f"python3.1{n}" for n in range(5)]),
    ],
)
def test_completes_functions_qualifiers_and_aliases(
    functions: Path, line: str, expected: list[str]
) -> None:
    assert sorted(complete(functions, line)) == sorted(expected)


def test_the_manifest_option_is_followed(functions: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert complete(elsewhere, f"lambdactl -f {functions} invoke hello:l") == ["live"]


def test_zsh_and_fish_get_whole_words(functions: Path) -> None:
    for shell, extra in (("zsh", {}), ("fish", {"_TYPER_COMPLETE_FISH_ACTION": "get-args"})):
        done = subprocess.run(
            [sys.executable, "-m", "lambdactl"],
            cwd=functions,
            env=env(
                _LAMBDACTL_COMPLETE=f"complete_{shell}",
                _TYPER_COMPLETE_ARGS="lambdactl invoke hello:l",
                **extra,
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (done.returncode, done.stderr) == (0, "")
        assert "live" in done.stdout and "beta" not in done.stdout, done.stdout


def test_through_bash_with_the_script_lambdactl_prints(functions: Path, tmp_path: Path) -> None:
    """The script from `_LAMBDACTL_COMPLETE=source_bash` (what --show-completion prints),
    sourced by a real bash that calls its completion function as it would on TAB."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "lambdactl").write_text(
        f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m lambdactl "$@"\n'
    )
    (bin_dir / "lambdactl").chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    script = subprocess.run(
        ["lambdactl"],
        env=env(PATH=path, _LAMBDACTL_COMPLETE="source_bash"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "complete -o default -F _lambdactl_completion lambdactl" in script
    tab = '\n_lambdactl_completion lambdactl\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    shell = (
        script
        + "\nCOMP_WORDS=(lambdactl invoke hello : l); COMP_CWORD=4"
        + tab
        + 'COMP_WORDS=(lambdactl alias show hello ""); COMP_CWORD=4'
        + tab
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", shell],
        cwd=functions,
        env=env(PATH=path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.split() == ["live", "beta", "live"]


def _state(project_dir: Path) -> dict[str, tuple[int, int]]:
    state = project_dir / ".lambda"
    return {
        str(p.relative_to(state)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(state.rglob("*"))
        if p.is_file()
    }


def test_completion_writes_nothing(functions: Path) -> None:
    before = _state(functions)
    assert "state.db" in before and "state.db-wal" not in before  # all in the database file
    assert complete(functions, "lambdactl invoke hello:l") == ["live"]
    assert complete(functions, "lambdactl alias show hello ") == ["beta", "live"]
    assert _state(functions) == before


def test_completion_reads_what_a_running_process_has_not_folded_in(functions: Path) -> None:
    """While another process has the store open, recent writes are in its WAL file: they are
    suggested, and nothing but SQLite's shared-memory index is touched."""
    writer = sqlite3.connect(functions / ".lambda" / "state.db")
    try:
        writer.execute("SELECT count(*) FROM versions").fetchone()  # WAL and -shm appear
        lambdactl(functions, "alias", "create", "hello", "canary", "-v", "2", "-o", "json")
        before = _state(functions)
        assert "state.db-wal" in before
        assert complete(functions, "lambdactl alias show hello ") == ["beta", "canary", "live"]
        after = _state(functions)
        assert after.keys() == before.keys()
        assert {k: v for k, v in after.items() if not k.endswith("-shm")} == {
            k: v for k, v in before.items() if not k.endswith("-shm")
        }
    finally:
        writer.close()


def test_no_state_yet_means_functions_only_and_none_created(project_dir: Path) -> None:
    assert complete(project_dir, "lambdactl invoke ") == ["hello"]
    assert complete(project_dir, "lambdactl invoke hello:") == [":$LATEST"]
    assert complete(project_dir, "lambdactl alias show hello ") == []
    assert not (project_dir / ".lambda").exists()


@pytest.mark.parametrize(
    "damage",
    [
        "no manifest",
        "broken manifest",
        "invalid manifest",
        "garbage state.db",
    ],
)
def test_what_is_broken_gives_fewer_suggestions_never_an_error(
    functions: Path, tmp_path: Path, damage: str
) -> None:
    cwd = functions
    manifest = functions / "functions.yaml"
    if damage == "no manifest":
        cwd = tmp_path / "empty"
        cwd.mkdir()
    elif damage == "broken manifest":
        manifest.write_text("functions:\n  hello: [1, 2\n")
    elif damage == "invalid manifest":
        manifest.write_text("functions:\n  hello: {handler: app.handler, code: nowhere}\n")
    else:
        (functions / ".lambda" / "state.db").write_bytes(b"not a database" * 100)
    names = complete(cwd, "lambdactl invoke ")
    assert names == (["hello", "orders"] if damage == "garbage state.db" else [])
    assert complete(cwd, "lambdactl invoke hello:") == (
        [":$LATEST"] if damage == "garbage state.db" else []
    )
    assert complete(cwd, "lambdactl alias show hello ") == []
    assert complete(cwd, "lambdactl inv") == ["invoke"]  # commands complete regardless


def test_install_and_show_completion(project_dir: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    detection_off = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1", "HOME": str(home)}
    shown = subprocess.run(
        [sys.executable, "-m", "lambdactl", "--show-completion", "bash"],
        env=env(**detection_off),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert "_LAMBDACTL_COMPLETE=complete_bash" in shown.stdout
    installed = subprocess.run(
        [sys.executable, "-m", "lambdactl", "--install-completion", "bash"],
        env=env(**detection_off),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert installed.returncode == 0, installed.stderr
    assert (
        "_LAMBDACTL_COMPLETE=complete_bash"
        in (home / ".bash_completions" / "lambdactl.sh").read_text()
    )


def test_the_plain_path_loads_nothing_for_completion(project_dir: Path) -> None:
    """Completion costs start-up nothing: `lambdactl version` (and --help) import neither the
    manifest nor the store, and typer's completion modules come with typer itself."""
    code = (
        "import sys\n"
        "from lambdactl.cli import run\n"
        "for argv in (['version'], ['--help']):\n"
        "    try:\n"
        "        run(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "loaded = [m for m in ('lambdactl.manifest', 'lambdactl.store', 'yaml', 'sqlite3')\n"
        "          if m in sys.modules]\n"
        "print(loaded, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project_dir, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "[]"


def test_functions_created_through_the_api_complete_too(functions: Path) -> None:
    from lambdactl import functions as service
    from lambdactl import versions
    from lambdactl.functions import Configuration
    from lambdactl.project import Project
    from tests.uploads import create_request

    project = Project.open(functions / "functions.yaml")
    try:
        request = create_request()
        service.create(project, "made", Configuration.from_request(request), code=request["Code"])
        versions.publish(project, "made")
    finally:
        project.close()
    assert sorted(complete(functions, "lambdactl invoke ")) == ["hello", "made", "orders"]
    assert complete(functions, "lambdactl invoke made:") == [":$LATEST", ":1"]
