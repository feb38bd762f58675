r"""Learner versions of the course notebooks, and output stripping for the worked ones.

In a worked notebook each exercise solution sits between a ``### BEGIN SOLUTION`` and a
``### END SOLUTION`` line; the learner version replaces it by a ``raise NotImplementedError``.

Command line::

    python -m lunar_lab.learner notebooks my_notebooks       # write learner versions
    python -m lunar_lab.learner --strip notebooks/*.ipynb    # clear outputs before committing
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
from pathlib import Path

import nbformat

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CHECK_OUTPUT = "# NBVAL_CHECK_OUTPUT"
MANIFEST = ".lunar_lab_learner.json"  # in the learner folder: {notebook name: sha256 of the file we wrote}
_DEF = re.compile(r"\s*(?:async\s+)?(?:def|class)\s+(\w+)")


def learner_version(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    r"""Return a copy of ``nb`` with every solution block replaced by a placeholder.

    In each code cell, the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION``
    (inclusive; markers may be indented) become one line
    ``raise NotImplementedError("exercise: <name>")`` indented like the BEGIN marker, where
    <name> is the nearest enclosing ``def``/``class`` (else the cell's first ``def``, else
    ``exercise``). All code-cell outputs and execution counts are cleared; other cells are
    unchanged. ``nb`` itself is not modified.

    Args:
        nb: a notebook (nbformat v4), e.g. from ``nbformat.read(path, as_version=4)``.

    Returns:
        The learner version, a new notebook.

    Raises:
        ValueError: a cell has nested or unbalanced markers (the message names the cell index).

    Example:
        >>> from nbformat.v4 import new_code_cell, new_notebook
        >>> src = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
        >>> print(learner_version(new_notebook(cells=[new_code_cell(src)])).cells[0].source)
        def double(x):
            raise NotImplementedError("exercise: double")
    """
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.source = _replace_solutions(cell.source, index)
            cell.outputs, cell.execution_count = [], None
    return nb


def _replace_solutions(source: str, index: int) -> str:
    lines, out, begin = source.splitlines(keepends=True), [], None
    for n, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise ValueError(f"cell {index}: nested {BEGIN!r} on line {n + 1} (line {begin + 1} is open)")
            begin = n
        elif marker == END:
            if begin is None:
                raise ValueError(f"cell {index}: {END!r} on line {n + 1} without a {BEGIN!r} above it")
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            newline = line[len(line.rstrip("\r\n")):]
            out.append(f'{indent}raise NotImplementedError("exercise: {_exercise_name(lines, begin)}"){newline}')
            begin = None
        elif begin is None:
            out.append(line)
    if begin is not None:
        raise ValueError(f"cell {index}: {BEGIN!r} on line {begin + 1} has no {END!r}")
    return "".join(out)


def _exercise_name(lines: list[str], begin: int) -> str:
    """The innermost def/class enclosing line ``begin``, else the first def of the cell, else 'exercise'."""
    limit = len(lines[begin]) - len(lines[begin].lstrip())
    for line in reversed(lines[:begin]):
        indent = len(line) - len(line.lstrip())
        if not line.strip() or line.lstrip().startswith("#") or indent >= limit:
            continue
        match = _DEF.match(line)
        if match:
            return match.group(1)
        limit = indent  # an enclosing if/for/with...: keep looking further out
    first = next((m.group(1) for m in map(_DEF.match, lines) if m), None)
    return first or "exercise"


def write_learner_notebooks(src_dir, dest_dir) -> tuple[list[Path], list[Path]]:
    """Write the learner version of every ``*.ipynb`` in ``src_dir`` (sorted) into ``dest_dir``.

    A notebook the learner has edited is never overwritten: the sha256 of each file written
    is recorded in ``dest_dir/.lunar_lab_learner.json``; an existing file whose hash differs
    from the record (or has no record) is skipped, an unchanged one is rewritten (so course
    updates reach notebooks not yet started). Nothing but the notebooks is copied. Every
    notebook is converted and the record read before anything is written; each file is
    written whole or not at all (a temporary file, then renamed).

    Args:
        src_dir: folder of worked notebooks (e.g. :data:`NOTEBOOKS_DIR`).
        dest_dir: the learner's folder; created if missing.

    Returns:
        ``(written, skipped)``: the destination paths written and those left as they were.

    Raises:
        ValueError: a notebook is not a valid notebook or has unbalanced or nested solution
            markers (names the file and cell); the record in ``dest_dir`` is damaged (not a
            JSON object of notebook name: sha256); ``dest_dir`` is a file.
        FileNotFoundError: ``src_dir`` does not exist.
        OSError: ``dest_dir`` cannot be created or written (e.g. read-only); the notebooks
            written before the error are recorded.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     written, skipped = write_learner_notebooks(NOTEBOOKS_DIR, tmp)
        ...     [p.name for p in written] == sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")), skipped
        (True, [])
    """
    src_dir, dest_dir = Path(src_dir), Path(dest_dir)
    if not src_dir.is_dir():
        raise FileNotFoundError(f"no notebooks folder {src_dir}")
    if dest_dir.exists() and not dest_dir.is_dir():
        raise ValueError(f"{dest_dir} is a file; the learner notebooks need a folder")
    versions = {}  # convert everything before writing anything, so an error leaves dest_dir as it was
    for src in sorted(src_dir.glob("*.ipynb")):
        try:
            versions[src.name] = (nbformat.writes(learner_version(_parse_notebook(src.read_bytes()))) + "\n").encode()
        except ValueError as err:
            raise ValueError(f"{src}: {err}") from None
    manifest_path = dest_dir / MANIFEST
    manifest = _read_manifest(manifest_path)
    dest_dir.mkdir(parents=True, exist_ok=True)
    written, skipped = [], []
    try:
        for name, data in versions.items():
            dest = dest_dir / name
            if dest.exists() and _sha256(dest.read_bytes()) != manifest.get(name):
                skipped.append(dest)
                continue
            _write_whole(dest, data)
            manifest[name] = _sha256(data)
            written.append(dest)
    finally:  # record what was written, also when a later file could not be
        if written:
            _write_whole(manifest_path, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    return written, skipped


def _read_manifest(path: Path) -> dict[str, str]:
    """The record {notebook name: sha256} in ``path``; {} if there is none. ValueError if it is damaged."""
    if not path.exists():
        return {}  # no record: every existing notebook counts as edited and is kept
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError) as err:  # a folder, unreadable, not UTF-8 or not JSON
        manifest = err
    if not (isinstance(manifest, dict) and all(isinstance(v, str) for v in manifest.values())):
        reason = (manifest if isinstance(manifest, Exception) else "a value is not a sha256 string"
                  if isinstance(manifest, dict) else f"a JSON {type(manifest).__name__}")
        raise ValueError(f"{path}, the record of the notebooks written there, is damaged ({reason}; it must be a JSON "
                         f"object of notebook name: sha256). Delete it and run again: every notebook already in "
                         f"{path.parent} then counts as edited and is kept as it is")
    return manifest


def _write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so ``path`` is never left half written."""
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    except OSError as err:  # name the file asked for, not the temporary one
        raise OSError(err.errno, err.strerror, str(path)) from None
    finally:
        partial.unlink(missing_ok=True)


def _parse_notebook(data: bytes) -> nbformat.NotebookNode:
    """The notebook in the bytes of a ``.ipynb`` file (nbformat v4); ValueError if it is not UTF-8 nbformat JSON."""
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except (ValueError, TypeError, KeyError, AttributeError, nbformat.ValidationError) as err:  # nbformat's upgrades
        raise ValueError(f"not a valid notebook ({str(err).splitlines()[0]})") from None
    return nb


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def strip_outputs(path) -> bool:
    """Clear the outputs and execution counts of every code cell of the notebook at ``path``, in place.

    What executing leaves in the metadata goes too: the notebook's ``widgets`` state (the
    progress bars' ipywidgets) and each cell's ``execution`` timings.

    Cells with a line ``# NBVAL_CHECK_OUTPUT`` keep their outputs (nbval compares them) and
    get the fixed execution count 1: nbval refuses a cell with outputs and no execution count
    ("Unrun reference cell has outputs"), and a fixed number keeps the diffs quiet.

    Args:
        path: a ``.ipynb`` file.

    Returns:
        True if the file changed.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` is a folder or not a valid notebook (the message names it).
        OSError: ``path`` cannot be read or written (it is then left as it was).
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give the notebooks in it, e.g. {path / '*.ipynb'}")
    before = path.read_bytes()
    try:
        nb = _parse_notebook(before)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if CHECK_OUTPUT in (line.strip() for line in cell.source.splitlines()):
            cell.execution_count = 1
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = 1
        else:
            cell.outputs, cell.execution_count = [], None
    after = (nbformat.writes(nb) + "\n").encode("utf-8")
    if after != before:
        _write_whole(path, after)
    return after != before


def main(argv: list[str] | None = None) -> int:
    """``python -m lunar_lab.learner``: ``SRC DEST`` writes learner notebooks, ``--strip FILE...`` strips outputs.

    Returns the exit status: 0, or 2 with an ``error:`` line on stderr (no traceback) for a
    missing, damaged or unwritable file or folder, or bad markers.
    """
    parser = argparse.ArgumentParser(prog="python -m lunar_lab.learner", description=__doc__.splitlines()[0])
    parser.add_argument("--strip", action="store_true", help="strip the outputs of the FILEs in place")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="SRC DEST (folders), or with --strip: FILE...")
    args = parser.parse_args(argv)
    if not args.strip and len(args.paths) != 2:
        parser.error("give SRC DEST (two folders), or --strip FILE...")
    try:
        if args.strip:
            for path in args.paths:
                print(f"{'stripped' if strip_outputs(path) else 'unchanged'} {path}")
            return 0
        written, skipped = write_learner_notebooks(*args.paths)
    except (ValueError, OSError) as err:  # OSError: e.g. a read-only destination or an unreadable file
        message = f"{err.filename}: {err.strerror}" if getattr(err, "strerror", None) else err
        parser.exit(2, f"{parser.prog}: error: {message}\n")
    for path in written:
        print(f"wrote {path}")
    for path in skipped:
        print(f"kept {path} (edited by the learner)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
