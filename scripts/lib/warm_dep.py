"""Runs the notebooks' `:dep dstream` cell once in a fresh Rust kernel, so that evcxr's
compilation cache holds the crate and a student's first `:dep` takes seconds.

Usage: warm_dep.py NOTEBOOK_DIR   (the `:dep` path is relative to the notebook's folder)
"""
import sys
import time

import nbformat
from nbclient import NotebookClient

notebooks = sys.argv[1]
nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "rust", "display_name": "Rust", "language": "rust"}})
nb.cells = [nbformat.v4.new_code_cell(':dep dstream = { path = "../crates/dstream" }')]
start = time.time()
client = NotebookClient(nb, timeout=1800, kernel_name="rust", resources={"metadata": {"path": notebooks}})
client.execute()
errors = [o for o in nb.cells[0].outputs if o.get("output_type") == "error"]
if errors:
    sys.exit("the :dep cell failed: " + errors[0].get("evalue", "?"))
timing = nb.cells[0].metadata.get("execution", {})
try:
    from datetime import datetime

    began = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
    ended = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    cell = f"{(ended - began).total_seconds():.1f} s"
except (KeyError, ValueError):
    cell = "?"
print(f"    the :dep cell took {cell} ({time.time() - start:.1f} s with the kernel's start)")
