"""Shared fixtures: a scratch copy of the notebooks (so that runs never write into the
repository), and a helper that executes a notebook on the real evcxr kernel with Jupyter's own
client, nbclient."""
import os
import shutil
import socket
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def make_tree(base: Path) -> Path:
    """`base/notebooks` with the notebooks and their data, and `base/crates` and `base/scripts`
    pointing at the repository's, so that `:dep dstream = { path = "../crates/dstream" }` resolves
    and `../scripts/kafka` runs (keeping the broker's data in `base/kafka-data`)."""
    target = base / "notebooks"
    shutil.copytree(NOTEBOOKS, target, ignore=shutil.ignore_patterns("sorties", ".ipynb_checkpoints"))
    (base / "crates").symlink_to(ROOT / "crates")
    (base / "scripts").symlink_to(ROOT / "scripts")
    return target


def free_port():
    """A TCP port free on 127.0.0.1 now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def tree(tmp_path_factory):
    return make_tree(tmp_path_factory.mktemp("lab"))


def execute(path: Path, env=None, timeout=900):
    """Executes the notebook at `path` (in its folder) and returns it with its outputs; a cell
    that runs longer than `timeout` seconds is an error."""
    nb = nbformat.read(path, as_version=4)
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        start = time.time()
        client = NotebookClient(
            nb, timeout=timeout, kernel_name="rust", allow_errors=True, resources={"metadata": {"path": str(path.parent)}}
        )
        client.execute()
        nb.metadata["test_seconds"] = round(time.time() - start, 1)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def outputs(cell):
    return cell.get("outputs", [])


def stdout(cell):
    return "".join(o.get("text", "") for o in outputs(cell) if o.get("output_type") == "stream" and o.get("name") == "stdout")


def problems(cell):
    """Error outputs and stderr text of a cell (a panic shows as stderr with evcxr)."""
    found = []
    for o in outputs(cell):
        if o.get("output_type") == "error":
            found.append(f"error: {o.get('ename')}: {o.get('evalue')}")
        elif o.get("output_type") == "stream" and o.get("name") == "stderr":
            found.append("stderr: " + o.get("text", ""))
    return found


def graded_tests(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
