"""Executes one notebook on the Rust kernel the way nbgrader's autograde does, and writes it back
with its outputs. `grading/sandbox.py` runs this file inside the grading sandbox, as the
sandbox's first process; `scripts/grade autograde --unsafe-no-sandbox` uses the same execution
in nbgrader's own process.

    python execute_notebook.py IN.ipynb WORKDIR LOG CELL_TIMEOUT MAX_PROCESSES < NONCE

It reads a line (a nonce) on its standard input, runs the notebook IN.ipynb in WORKDIR, and
writes the nonce, a newline and the executed notebook (JSON) on its standard output. Everything
it starts (the kernel, the students' code) gets LOG as stdout and stderr instead, /dev/null as
stdin, and cannot read this process's memory or file descriptors: students' code cannot forge the
result. If the kernel dies or stops answering, the notebook holds what ran and
`metadata.tp_grading.error` says what happened.
"""
import ctypes
import json
import os
import resource
import sys


def nbgrader_execute():
    """nbgrader's own Execute preprocessor module (nbgrader/preprocessors/execute.py). In the
    sandbox it is loaded without running the `nbgrader` package's `__init__`, which imports all of
    nbgrader (its server extensions, the gradebook's models) to no use here: 0.8 s of every graded
    notebook's start. In nbgrader's own process (--unsafe-no-sandbox), nbgrader is imported already."""
    if "nbgrader.preprocessors" not in sys.modules:
        import importlib.machinery
        import importlib.util

        root = importlib.util.find_spec("nbgrader").submodule_search_locations[0]
        for name, path in (("nbgrader", root), ("nbgrader.preprocessors", os.path.join(root, "preprocessors"))):
            spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            spec.submodule_search_locations = [path]
            sys.modules[name] = importlib.util.module_from_spec(spec)
        from nbgrader.preprocessors.base import NbGraderPreprocessor

        sys.modules["nbgrader.preprocessors"].NbGraderPreprocessor = NbGraderPreprocessor
    from nbgrader.preprocessors import execute

    return execute


def fill_error_details(on_cell_executed):
    """evcxr answers a failed cell (a compile error, an interrupted cell) with an execute_reply
    whose content has status "error" but no ename/evalue/traceback. nbgrader 0.9.6 reads
    reply["content"]["ename"] there, raises KeyError and drops the whole submission. This wraps
    nbgrader's hook to fill those fields in from the cell's own error output (or a generic one)."""

    def wrapped(self, **kwargs):
        content = kwargs["execute_reply"]["content"]
        if content.get("status") == "error" and "ename" not in content:
            errors = [o for o in kwargs["cell"].get("outputs", []) if o.get("output_type") == "error"]
            first = errors[0] if errors else {}
            content["ename"] = first.get("ename", "Error")
            content["evalue"] = first.get("evalue", "the cell failed (compile error or interrupted)")
            content["traceback"] = first.get("traceback", [])
        return on_cell_executed(self, **kwargs)

    return wrapped


def patch_nbgrader():
    """Applies `fill_error_details` to nbgrader's Execute preprocessor (once)."""
    execute = nbgrader_execute().Execute
    if not getattr(execute.on_cell_executed, "_tp_patched", False):
        execute.on_cell_executed = fill_error_details(execute.on_cell_executed)
        execute.on_cell_executed._tp_patched = True


def executor(cell_timeout):
    """nbgrader's Execute preprocessor with the project's settings: a cell gets `cell_timeout`
    seconds, then is interrupted (evcxr kills its worker: that cell and the cells that needed
    its variables score 0) and grading goes on."""
    patch_nbgrader()
    # iopub_timeout: see the same setting in nbgrader_config.py.
    return nbgrader_execute().Execute(
        timeout=cell_timeout, interrupt_on_timeout=True, raise_on_iopub_timeout=False, iopub_timeout=30
    )


def start_spark(nb, log):
    """Starts notebook 03's Spark Connect server in the sandbox (scripts/spark start, named by
    TP_GRADING_SPARK) while the kernel starts, when the notebook loads spark-lab: its own start
    cell then finds it starting and waits for it, 10 to 30 s sooner than if it started it. Returns
    the starting process, or None."""
    script = os.environ.get("TP_GRADING_SPARK")
    uses_spark = any(c.cell_type == "code" and ":dep spark-lab" in c.source for c in nb.cells)
    installed = os.path.isdir(os.environ.get("TP_SPARK_VENV", "/nonexistent"))
    if not script or not uses_spark or not installed or not os.path.exists(script):
        return None
    import subprocess

    return subprocess.Popen([script, "start"], stdin=subprocess.DEVNULL, stdout=log, stderr=log)


def spark_pids():
    """The pids in scripts/spark's pid files (the Spark daemons it started)."""
    folder = os.path.join(os.environ.get("TP_SPARK_WORK", "/nonexistent"), "pids")
    pids = set()
    try:
        for name in os.listdir(folder):
            with open(os.path.join(folder, name)) as f:
                pids.add(int(f.read().strip() or 0))
    except (OSError, ValueError):
        pass
    return pids


def reap_orphans(keep=()):
    """Makes this process the sandbox's subreaper and kills, as they appear, the processes that
    lost their parent (a `sleep &` from a shell, what a dead worker left): only the kernel, the
    processes of `keep` and the Spark daemons of scripts/spark (see `start_spark`) are children of
    ours on purpose. An orphan that kept the worker's stderr open would otherwise make evcxr wait
    for it at every later cell."""
    import threading
    import time

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    me = os.getpid()
    with open("/proc/self/cmdline", "rb") as f:
        ours = f.read()  # a child between fork and exec (the kernel being started) still has it

    def orphans():
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmdline = f.read()
            except (OSError, ValueError, IndexError):
                continue
            if ppid == me and b"--control_file" not in cmdline and cmdline != ours:
                yield int(entry)

    def loop():
        while True:
            spared = set(keep) | spark_pids()
            for pid in [p for p in orphans() if p not in spared]:
                try:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
            time.sleep(0.2)

    threading.Thread(target=loop, daemon=True).start()


def main():
    import nbformat

    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    source, workdir, log, cell_timeout, processes = sys.argv[1:]
    nonce = sys.stdin.readline().strip()
    # The result goes out on a descriptor of our own (Python's descriptors are not inherited);
    # the kernel and what it starts get the log and /dev/null instead.
    result = os.fdopen(os.dup(1), "w", encoding="utf-8")
    logged = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(logged, 1)
    os.dup2(logged, 2)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    # Not dumpable: other processes of the sandbox (same user) cannot open /proc/<us>/fd or
    # /proc/<us>/mem, nor ptrace us (PR_SET_DUMPABLE = 4).
    ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    # The sandbox's own user namespace counts its processes and threads: this caps them (a fork
    # bomb stops here). Without CAP_SYS_RESOURCE, nothing started from here can raise it again.
    limit = int(processes)
    resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))
    spark = start_spark(nbformat.read(source, as_version=4), logged)
    reap_orphans(keep=[spark.pid] if spark else [])
    for attempt in (1, 2):
        nb = nbformat.read(source, as_version=4)
        try:
            executor(int(cell_timeout)).preprocess(nb, {"metadata": {"path": workdir}})
        except Exception as e:  # the kernel died or stopped answering: say so, keep what ran
            # A kernel that died before its first reply ran none of the notebook (a rare start-up
            # failure of the machine, not the student's doing): it gets one more start.
            if attempt == 1 and "before replying to kernel_info" in str(e):
                print(f"the kernel did not start ({e}); starting it again", flush=True)
                continue
            nb.metadata["tp_grading"] = {"error": f"{type(e).__name__}: {e}"}
        break
    result.write(nonce + "\n" + json.dumps(nb))
    result.close()


if __name__ == "__main__":
    main()
