"""Learner versions of the notebooks (solutions -> placeholders) and output stripping."""

import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lunar_lab.learner import NOTEBOOKS_DIR, learner_version, main, strip_outputs, write_learner_notebooks

EXERCISE = """\
import numpy as np

def run_episode(env, policy, seed):
    obs, _ = env.reset(seed=seed)
    ### BEGIN SOLUTION
    total, steps, done = 0.0, 0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        total += float(reward)
        steps += 1
        done = terminated or truncated
    return total, steps
    ### END SOLUTION

answer = 42"""

# Hand-written: what the learner must see.
EXERCISE_LEARNER = """\
import numpy as np

def run_episode(env, policy, seed):
    obs, _ = env.reset(seed=seed)
    raise NotImplementedError("exercise: run_episode")

answer = 42"""

MARKDOWN = "## Exercise\nWrite `run_episode`. Hint: `### BEGIN SOLUTION` is not special here."


def worked_notebook(*sources):
    cells = [new_markdown_cell(MARKDOWN)]
    for i, source in enumerate(sources, start=1):
        cells.append(new_code_cell(source, execution_count=i,
                                   outputs=[new_output("stream", name="stdout", text="hello\n")]))
    return new_notebook(cells=cells)


def test_solution_replaced_by_placeholder():
    worked = worked_notebook(EXERCISE, "print('hello')")
    learner = learner_version(worked)
    nbformat.validate(learner)
    assert learner.cells[0].source == MARKDOWN  # markdown untouched
    assert learner.cells[1].source == EXERCISE_LEARNER
    assert learner.cells[2].source == "print('hello')"
    for cell in learner.cells[1:]:
        assert cell.outputs == [] and cell.execution_count is None
    assert worked.cells[1].source == EXERCISE and worked.cells[1].outputs  # the input is not modified


@pytest.mark.parametrize("source, expected", [
    # a method: the nearest def, indented like the marker (8 spaces)
    ("class Agent:\n    def act(self, obs):\n        ### BEGIN SOLUTION\n        return 0\n        ### END SOLUTION",
     'class Agent:\n    def act(self, obs):\n        raise NotImplementedError("exercise: act")'),
    # a nested helper defined above the marker does not enclose it
    ("def outer():\n    def helper():\n        return 1\n"
     "    ### BEGIN SOLUTION\n    return helper()\n    ### END SOLUTION",
     'def outer():\n    def helper():\n        return 1\n    raise NotImplementedError("exercise: outer")'),
    # inside an if block of the function; two blocks in one cell
    ("def f(x):\n    if x:\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n"
     "    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION\n",
     'def f(x):\n    if x:\n        raise NotImplementedError("exercise: f")\n'
     '    raise NotImplementedError("exercise: f")\n'),
    # top level: the cell's first def, else "exercise"
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\ndef later():\n    pass",
     'raise NotImplementedError("exercise: later")\ndef later():\n    pass'),
    ("y = 0\n### BEGIN SOLUTION\ny = 1\n### END SOLUTION",
     'y = 0\nraise NotImplementedError("exercise: exercise")'),
])
def test_placeholder_name_and_indent(source, expected):
    assert learner_version(new_notebook(cells=[new_code_cell(source)])).cells[0].source == expected


@pytest.mark.parametrize("source, message", [
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n    ### END SOLUTION", "nested"),
    ("def f():\n    ### BEGIN SOLUTION\n    return 1", "has no"),
    ("def f():\n    return 1\n    ### END SOLUTION", "without"),
])
def test_unbalanced_or_nested_markers(source, message):
    nb = new_notebook(cells=[new_markdown_cell("# title"), new_code_cell("x = 1"), new_code_cell(source)])
    with pytest.raises(ValueError, match=rf"cell 2: .*{message}"):
        learner_version(nb)


def test_write_never_overwrites_edited_notebooks(tmp_path):
    src, dest = tmp_path / "notebooks", tmp_path / "my_notebooks"
    src.mkdir()
    nbformat.write(worked_notebook(EXERCISE), src / "00_a.ipynb")
    nbformat.write(worked_notebook("print(1)"), src / "01_b.ipynb")
    (src / "README.md").write_text("not copied")

    written, skipped = write_learner_notebooks(src, dest)
    assert written == [dest / "00_a.ipynb", dest / "01_b.ipynb"] and skipped == []
    assert sorted(p.name for p in dest.iterdir()) == [".lunar_lab_learner.json", "00_a.ipynb", "01_b.ipynb"]
    assert nbformat.read(dest / "00_a.ipynb", as_version=4).cells[1].source == EXERCISE_LEARNER

    # The learner edits 00_a; the course then changes both notebooks.
    edited = nbformat.read(dest / "00_a.ipynb", as_version=4)
    edited.cells[1].source = EXERCISE_LEARNER.replace("raise NotImplementedError", "return 0.0, 0  #")
    nbformat.write(edited, dest / "00_a.ipynb")
    edited_bytes = (dest / "00_a.ipynb").read_bytes()
    nbformat.write(worked_notebook(EXERCISE, "print('new')"), src / "00_a.ipynb")
    nbformat.write(worked_notebook("print(2)"), src / "01_b.ipynb")

    written, skipped = write_learner_notebooks(src, dest)
    assert written == [dest / "01_b.ipynb"] and skipped == [dest / "00_a.ipynb"]
    assert (dest / "00_a.ipynb").read_bytes() == edited_bytes
    assert nbformat.read(dest / "01_b.ipynb", as_version=4).cells[1].source == "print(2)"

    # A notebook without a record (e.g. the learner's own file of that name) is kept too.
    (dest / ".lunar_lab_learner.json").unlink()
    assert write_learner_notebooks(src, dest) == ([], [dest / "00_a.ipynb", dest / "01_b.ipynb"])


def test_command_line(tmp_path):
    src = tmp_path / "notebooks"
    src.mkdir()
    nbformat.write(worked_notebook(EXERCISE), src / "00_a.ipynb")
    run = [sys.executable, "-m", "lunar_lab.learner", str(src), str(tmp_path / "out")]
    assert f"wrote {tmp_path / 'out' / '00_a.ipynb'}" in subprocess.run(run, capture_output=True, text=True,
                                                                          check=True).stdout
    strip = [sys.executable, "-m", "lunar_lab.learner", "--strip", str(src / "00_a.ipynb")]
    assert subprocess.run(strip, capture_output=True, text=True, check=True).stdout.startswith("stripped")
    assert nbformat.read(src / "00_a.ipynb", as_version=4).cells[1].outputs == []


def run_main(capsys, *argv):
    """Run ``python -m lunar_lab.learner ARGV`` in this process: (exit status, stdout, stderr).

    An exception other than the SystemExit of a handled error fails the test (a traceback).
    """
    try:
        status = main([str(a) for a in argv])
    except SystemExit as stop:
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


def folder_state(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def learner_folder(tmp_path):
    """A source folder of two notebooks and a learner folder written from it, with 00_a then edited."""
    src, dest = tmp_path / "notebooks", tmp_path / "mine"
    src.mkdir()
    nbformat.write(worked_notebook(EXERCISE), src / "00_a.ipynb")
    nbformat.write(worked_notebook("print(1)"), src / "01_b.ipynb")
    write_learner_notebooks(src, dest)
    edited = nbformat.read(dest / "00_a.ipynb", as_version=4)
    edited.cells[1].source = "my own answer"
    nbformat.write(edited, dest / "00_a.ipynb")
    nbformat.write(worked_notebook("print(2)"), src / "01_b.ipynb")  # a course update to pass on
    return src, dest


@pytest.mark.parametrize("damage", ["[]", '{"00_a.ipynb": 5}', '{"00_a.ipyn', b"\xff\xfe\x00", "folder"])
def test_damaged_manifest_is_an_error_and_nothing_is_written(tmp_path, capsys, damage):
    src, dest = learner_folder(tmp_path)
    manifest = dest / ".lunar_lab_learner.json"
    manifest.unlink()
    if damage == "folder":
        manifest.mkdir()
    else:
        manifest.write_bytes(damage if isinstance(damage, bytes) else damage.encode())
    before = folder_state(dest)

    status, out, err = run_main(capsys, src, dest)
    assert status == 2 and out == ""
    assert err.startswith(f"python -m lunar_lab.learner: error: {manifest}, the record of the notebooks written there, "
                          "is damaged ("), err
    assert "Delete it and run again" in err
    assert folder_state(dest) == before and manifest.exists()  # 01_b was not updated either


@pytest.mark.parametrize("content, message", [
    (None, "is a folder; give the notebooks in it, e.g. {path}/*.ipynb"),
    ("{}", "{path}: not a valid notebook (Notebook could not be converted"),
    ('{"cells": 5}', "{path}: not a valid notebook ("),
    ("not json", "{path}: not a valid notebook ("),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "markdown", "id": "a", '
     '"source": 3, "metadata": {}}]}', "{path}: not a valid notebook (3 is not valid under any of the given schemas)"),
])
def test_strip_refuses_a_folder_or_a_non_notebook(tmp_path, capsys, content, message):
    path = tmp_path / "bad.ipynb"
    if content is None:
        path = tmp_path / "notebooks"
        path.mkdir()
        nbformat.write(worked_notebook("print(1)"), path / "00_a.ipynb")
    else:
        path.write_text(content)
    before = folder_state(tmp_path)
    status, out, err = run_main(capsys, "--strip", path)
    assert status == 2 and out == ""
    assert err.startswith("python -m lunar_lab.learner: error: ") and message.format(path=path) in err, err
    assert folder_state(tmp_path) == before


def test_unwritable_destination_is_an_error(tmp_path, capsys):
    src = tmp_path / "notebooks"
    src.mkdir()
    nbformat.write(worked_notebook("print(1)"), src / "00_a.ipynb")
    (tmp_path / "a_file").write_text("")
    status, out, err = run_main(capsys, src, tmp_path / "a_file" / "mine")
    assert (status, out) == (2, "")
    assert err == f"python -m lunar_lab.learner: error: {tmp_path / 'a_file' / 'mine'}: Not a directory\n"
    status, _, err = run_main(capsys, src, tmp_path / "a_file")
    assert (status, err) == (2, f"python -m lunar_lab.learner: error: {tmp_path / 'a_file'} is a file; "
                                "the learner notebooks need a folder\n")


def test_read_only_destination_is_an_error(tmp_path, capsys):
    src, dest = learner_folder(tmp_path)
    before = folder_state(dest)
    dest.chmod(0o555)
    try:
        if os.access(dest, os.W_OK):
            pytest.skip("this user (root) may write into a read-only folder")
        status, out, err = run_main(capsys, src, dest)
    finally:
        dest.chmod(0o755)
    assert (status, out) == (2, "")
    assert err == f"python -m lunar_lab.learner: error: {dest / '01_b.ipynb'}: Permission denied\n"
    assert folder_state(dest) == before


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_failed_write_leaves_the_old_notebook_whole(tmp_path):
    """A write that fails part-way (here a file-size limit of 0 bytes, as on a full disk)."""
    src, dest = learner_folder(tmp_path)
    before = folder_state(dest)
    limit = ("import resource, runpy, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
             "resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0)); "
             f"sys.argv = ['learner', {str(src)!r}, {str(dest)!r}]; runpy.run_module('lunar_lab.learner', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", limit], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr == f"python -m lunar_lab.learner: error: {dest / '01_b.ipynb'}: File too large\n"
    assert folder_state(dest) == before  # no half-written notebook, no temporary file left


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_notebooks_written_before_a_failed_write_are_recorded(tmp_path):
    src, dest = tmp_path / "notebooks", tmp_path / "mine"
    src.mkdir()
    nbformat.write(worked_notebook("print(1)"), src / "00_small.ipynb")
    nbformat.write(worked_notebook("x = 1\n" * 2000), src / "01_big.ipynb")  # about 14 kB
    limit = ("import resource, runpy, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
             "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096)); "
             f"sys.argv = ['learner', {str(src)!r}, {str(dest)!r}]; runpy.run_module('lunar_lab.learner', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", limit], capture_output=True, text=True)
    assert done.stderr == f"python -m lunar_lab.learner: error: {dest / '01_big.ipynb'}: File too large\n"
    assert sorted(p.name for p in dest.iterdir()) == [".lunar_lab_learner.json", "00_small.ipynb"]
    # 00_small is on record as the course's, so it is not mistaken for the learner's own next time.
    assert write_learner_notebooks(src, dest) == ([dest / "00_small.ipynb", dest / "01_big.ipynb"], [])


def test_strip_keeps_checked_outputs_only(tmp_path):
    checked = "# NBVAL_CHECK_OUTPUT\n6 * 7"
    nb = worked_notebook("print('hello')", checked)
    nb.cells[2].outputs = [new_output("execute_result", data={"text/plain": "42"}, execution_count=2)]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.cells[1].metadata["execution"] = {"iopub.status.busy": "2026-11-21T20:00:00.000Z"}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)

    assert strip_outputs(path) is True
    stripped = nbformat.read(path, as_version=4)
    nbformat.validate(stripped)
    assert stripped.cells[0].source == MARKDOWN
    assert stripped.cells[1].outputs == [] and stripped.cells[1].execution_count is None
    assert "widgets" not in stripped.metadata and "execution" not in stripped.cells[1].metadata
    assert stripped.cells[2].source == checked
    assert [o.data for o in stripped.cells[2].outputs] == [{"text/plain": "42"}]
    # nbval fails a cell with outputs and no execution count ("Unrun reference cell has outputs"),
    # so the checked cell gets a fixed count rather than None.
    assert stripped.cells[2].execution_count == 1
    assert strip_outputs(path) is False  # idempotent


def test_placeholder_raises_and_check_says_not_implemented_yet():
    from lunar_lab.checks.core import NotImplementedYet
    from lunar_lab.checks.nb00 import check_episode_return

    from lunar_lab.envs import make_env

    namespace = {}
    exec(learner_version(worked_notebook(EXERCISE)).cells[1].source, namespace)
    env = make_env(seed=0)
    with pytest.raises(NotImplementedError, match="exercise: run_episode"):
        namespace["run_episode"](env, lambda obs: 0, 0)
    env.close()
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_episode_return(namespace["run_episode"])


def _solution_lines(source):
    """(lines inside solution blocks, lines outside them), stripped and non-blank."""
    inside, outside, in_block = set(), set(), False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped in ("### BEGIN SOLUTION", "### END SOLUTION"):
            in_block = stripped == "### BEGIN SOLUTION"
        elif stripped:
            (inside if in_block else outside).add(stripped)
    return inside, outside


@pytest.mark.parametrize("path", sorted(NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_real_notebooks_have_no_solutions_left(path):
    worked = nbformat.read(path, as_version=4)
    learner = learner_version(worked)
    nbformat.validate(learner)
    assert len(learner.cells) == len(worked.cells)
    for before, after in zip(worked.cells, learner.cells):
        if before.cell_type != "code":
            assert after == before
            continue
        assert "### BEGIN SOLUTION" not in after.source and "### END SOLUTION" not in after.source
        inside, outside = _solution_lines(before.source)
        leaked = (inside - outside) & {line.strip() for line in after.source.splitlines()}
        assert not leaked, f"solution lines left in the learner version: {leaked}"
        assert after.outputs == [] and after.execution_count is None
