"""Runs the notebooks' `:dep dstream` cells once in a fresh Rust kernel (the crate, then the
crate with its `kafka` feature, as the Kafka section loads it), so that evcxr's compilation cache
holds them and a student's `:dep` takes seconds.

Usage: warm_dep.py NOTEBOOK_DIR   (the `:dep` path is relative to the notebook's folder)
"""
import sys
import time

import nbformat
from nbclient import NotebookClient

notebooks = sys.argv[1]
nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "rust", "display_name": "Rust", "language": "rust"}})
nb.cells = [
    nbformat.v4.new_code_cell(':dep dstream = { path = "../crates/dstream" }'),
    nbformat.v4.new_code_cell(':clear\n:opt 0\n:dep dstream = { path = "../crates/dstream", features = ["kafka"] }'),
]
start = time.time()
client = NotebookClient(nb, timeout=1800, kernel_name="rust", resources={"metadata": {"path": notebooks}})
client.execute()
for cell in nb.cells:
    errors = [o for o in cell.outputs if o.get("output_type") == "error"]
    if errors:
        sys.exit(f"the cell {cell.source!r} failed: " + errors[0].get("evalue", "?"))


def seconds(cell):
    timing = cell.metadata.get("execution", {})
    try:
        from datetime import datetime

        began = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        ended = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
        return f"{(ended - began).total_seconds():.1f} s"
    except (KeyError, ValueError):
        return "?"


print(
    f"    the :dep cells took {seconds(nb.cells[0])}, and {seconds(nb.cells[1])} with the kafka feature "
    f"({time.time() - start:.1f} s with the kernel's start)"
)
