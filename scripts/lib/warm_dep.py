"""Runs the notebooks' `:dep dstream` cells once in a fresh Rust kernel (the crate, then the
crate with its `kafka` feature, as the Kafka section loads it), so that evcxr's compilation cache
holds them and a student's `:dep` takes seconds.

Usage: warm_dep.py NOTEBOOK_DIR [plain|kafka|all|spark]   (default all, which is plain and kafka;
the `:dep` path is relative to the notebook's folder). scripts/lab warms `plain` before the lab
opens, and `kafka` then `spark` (notebook 03's `:dep spark-lab`) in the background after.
"""
import sys
import time

import nbformat
from nbclient import NotebookClient

notebooks = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else "all"
CELLS = {
    "plain": ':dep dstream = { path = "../crates/dstream" }',
    "kafka": ':opt 0\n:dep dstream = { path = "../crates/dstream", features = ["kafka"] }',
}
SPARK = ':dep spark-lab = { path = "../crates/spark-lab" }'
if mode not in ("plain", "kafka", "all", "spark"):
    sys.exit(f"unknown mode {mode!r}: plain, kafka, all or spark")
nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "rust", "display_name": "Rust", "language": "rust"}})
if mode == "spark":
    nb.cells = [nbformat.v4.new_code_cell(SPARK)]
else:
    nb.cells = [nbformat.v4.new_code_cell(source) for name, source in CELLS.items() if mode in (name, "all")]
if len(nb.cells) == 2:
    nb.cells[1].source = ":clear\n" + nb.cells[1].source
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


def what(cell):
    return "spark-lab" if "spark-lab" in cell.source else "kafka feature" if "kafka" in cell.source else "dstream"


took = ", ".join(f"{seconds(cell)} ({what(cell)})" for cell in nb.cells)
print(f"    the :dep cells took {took}; {time.time() - start:.1f} s with the kernel's start")
