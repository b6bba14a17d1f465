"""The grading sandbox: each student's notebook runs, with its Rust kernel, inside bubblewrap.

nbgrader says it does not protect against the code it runs, and graded notebooks are code the
students wrote. Here the notebook is executed (by `execute_notebook.py`, with nbgrader's own
Execute preprocessor) in a sandbox that:

- sees the system, the Rust toolchain, the Python environment, evcxr and the teacher's crate
  **read-only**, at their usual paths (so that the warm build folder's fingerprints still hold);
- writes only a private home (with a private copy of a warm evcxr build folder, see `warm`), a
  private `/tmp`, and the notebook's own working folder (a copy of the assignment's data files);
- does not see the gradebook, the course's other folders, the teacher's notebooks, the other
  students' files, nor the teacher's home;
- has no network: a loopback of its own, so that the notebooks' own servers still work (notebook
  03's Spark Connect server among them: it runs inside the sandbox, as the submission's user,
  not as a shared server that could read the teacher's files), but nothing outside
  (JupyterLab, a broker, any local service) is reachable;
- has its own process namespace (nothing it starts outlives it, it cannot signal the grader),
  no capabilities, a new session, a memory cap per process and, where the machine allows it, a
  memory and process cap for the whole submission.

nbgrader itself (gradebook, source cells, checksums) stays outside: the sandbox only receives the
notebook to run, and returns it with its outputs.
"""
import itertools
import json
import os
import shutil
import subprocess
import sys
import secrets
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Limits. A single allocation (or a process's heap) above MEMORY_PER_PROCESS fails with Rust's
# "memory allocation of N bytes failed"; where cgroups can be used (as root), the whole
# submission is also held to MEMORY_PER_SUBMISSION and PROCESSES processes and threads.
MEMORY_PER_PROCESS = 2 << 30
MEMORY_PER_SUBMISSION = 4 << 30
PROCESSES = 1024
FILE_SIZE = 1 << 30

# What the sandbox calls its home, and where the notebook runs.
HOME = "/home/correction"
WORKDIR = f"{HOME}/tp-streaming"
RUNNER = "/run/tp-grading/execute_notebook.py"
# evcxr's settings in graded runs (grading/evcxr/init.evcxr), and its build folder: a private
# copy of the folder the warm-up built in, so that the notebook's `:dep` finds its dependencies
# compiled and cargo only checks them (2 s instead of 7 s with evcxr's `:cache`).
EVCXR_CONFIG = "/run/tp-grading/evcxr"
BUILD = f"{HOME}/build"

# Files of /etc that programs in the sandbox need (the dynamic loader, users, local time and
# `localhost`, the C compiler's alternatives); the rest of /etc (e.g. /etc/shadow) stays hidden.
ETC = [
    "alternatives", "group", "host.conf", "hosts", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
    "localtime", "nsswitch.conf", "passwd", "timezone",
] + sorted(p.name for p in Path("/etc").glob("java-*"))  # Java's configuration (the JDK's conf/ links there)
# Notebook 03's Spark Connect server, started in the sandbox (see execute_notebook.py): its logs
# and pid files.
SPARK_WORK = "/tmp/spark-work"


class SandboxError(Exception):
    """The sandbox cannot be used, or a run in it failed; the message says why and what to do."""


def _which(name):
    path = shutil.which(name)
    if path is None:
        raise SandboxError(f"`{name}` is not on the PATH")
    return Path(path).resolve()


class Layout:
    """The host paths the sandbox shows read-only, found once from the teacher's set-up."""

    def __init__(self, lab_home, venv):
        self.lab_home = Path(lab_home)
        self.venv = Path(venv)
        # PySpark (Spark itself), where scripts/spark installed it; absent until notebook 03's
        # set-up ran, and then notebook 03's Spark cells fail in the sandbox as they would outside.
        self.spark_venv = Path(os.environ.get("TP_SPARK_VENV", self.lab_home / "spark-venv"))
        self.evcxr = _which("evcxr_jupyter")
        sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True, check=True)
        self.sysroot = Path(sysroot.stdout.strip()).resolve()
        self.cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo")).resolve()
        self.python_homes = {self._python_home(self.venv)}
        if (self.spark_venv / "pyvenv.cfg").exists():
            self.python_homes.add(self._python_home(self.spark_venv))
        self.kernel_spec = self._kernel_spec()

    @staticmethod
    def _python_home(venv):
        """The installation the virtual environment's python links to."""
        config = (venv / "pyvenv.cfg").read_text()
        for line in config.splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home":
                return Path(value.strip()).resolve().parent
        raise SandboxError(f"{venv}/pyvenv.cfg names no Python installation")

    def _kernel_spec(self):
        from jupyter_client.kernelspec import KernelSpecManager

        try:
            spec = KernelSpecManager().get_kernel_spec("rust")
        except Exception as e:
            raise SandboxError(f"the Rust kernelspec is not installed ({e}); run scripts/lab once") from e
        return spec.to_dict()

    def read_only(self):
        """(host path, sandbox path) pairs shown read-only."""
        pairs = [("/usr", "/usr")]
        pairs += [(f"/etc/{name}", f"/etc/{name}") for name in ETC if os.path.lexists(f"/etc/{name}")]
        for path in [
            self.sysroot,
            self.cargo_home / "bin",
            self.cargo_home / "registry",
            self.cargo_home / "git",
            self.evcxr,
            self.venv,
            *sorted(self.python_homes),
            self.lab_home / "evcxr",
            ROOT / "crates",
            ROOT / "Cargo.toml",
            ROOT / "scripts" / "spark",  # notebook 03's server (with the file it sources)
            ROOT / "scripts" / "common.sh",
            self.spark_venv,
        ]:
            if path.exists():
                pairs.append((str(path), str(path)))
        pairs.append((str(HERE / "execute_notebook.py"), RUNNER))
        pairs.append((str(HERE / "evcxr"), EVCXR_CONFIG))
        return pairs


def bwrap_command(layout, private, command):
    """The bubblewrap command line running `command` in the sandbox whose writable folders are
    under `private` (home/, tmp/)."""
    cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    cmd += ["--hostname", "correction", "--proc", "/proc", "--dev", "/dev"]
    # Debian's merged /usr: /bin, /lib... are links into it.
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{link}"):
            cmd += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
    cmd += ["--bind", str(private / "tmp"), "/tmp", "--bind", str(private / "home"), HOME]
    # Cargo writes its package-cache lock in CARGO_HOME: a writable one, with the teacher's
    # registry read-only inside it, at the same path as outside (cargo's fingerprints hold paths).
    cmd += ["--tmpfs", str(layout.cargo_home)]
    for source, target in layout.read_only():
        cmd += ["--ro-bind", source, target]
    cmd += ["--chdir", WORKDIR, "--clearenv"]
    env = {
        "HOME": HOME,
        "USER": "correction",
        "PATH": f"{layout.sysroot}/bin:{layout.cargo_home}/bin:{layout.venv}/bin:/usr/bin:/bin",
        "TMPDIR": "/tmp",
        "CARGO_HOME": str(layout.cargo_home),
        "CARGO_NET_OFFLINE": "true",
        "XDG_CACHE_HOME": f"{HOME}/.cache",
        "JUPYTER_PATH": f"{HOME}/.local/share/jupyter",
        "LANG": "C.UTF-8",
        "NBGRADER_EXECUTION": "autograde",
        "EVCXR_TMPDIR": BUILD,
        # scripts/spark, in the sandbox: PySpark read-only, logs and pid files in its /tmp. The
        # runner starts the server while the kernel starts, when the notebook uses it.
        "TP_SPARK_VENV": str(layout.spark_venv),
        "TP_SPARK_WORK": SPARK_WORK,
        "TP_GRADING_SPARK": str(ROOT / "scripts" / "spark"),
        # No network here: pip (scripts/spark installs PySpark when it is missing) fails at once.
        "PIP_NO_INDEX": "1",
    }
    if "TZ" in os.environ:
        env["TZ"] = os.environ["TZ"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return cmd + ["--", *command]


class Cgroup:
    """A memory and process cap for one submission, where this process may create cgroups (as
    root, with cgroup v1 or v2 mounted at /sys/fs/cgroup); otherwise nothing (the per-process
    memory limit and the user namespace's process limit still apply)."""

    _ids = itertools.count()

    def __init__(self):
        name = f"tp-grading-{os.getpid()}-{next(self._ids)}"
        base = Path("/sys/fs/cgroup")
        self.dirs = []
        settings = []
        if (base / "cgroup.controllers").exists():
            controllers = (base / "cgroup.subtree_control").read_text().split() if (base / "cgroup.subtree_control").exists() else []
            if {"pids", "memory"} <= set(controllers):
                settings = [(base / name, {"pids.max": PROCESSES, "memory.max": MEMORY_PER_SUBMISSION, "memory.swap.max": 0})]
        else:
            settings = [
                (base / "pids" / name, {"pids.max": PROCESSES}),
                (base / "memory" / name, {"memory.limit_in_bytes": MEMORY_PER_SUBMISSION}),
            ]
        for path, values in settings:
            try:
                path.mkdir()
            except OSError:
                continue
            self.dirs.append(path)
            for key, value in values.items():
                try:
                    (path / key).write_text(str(value))
                except OSError:
                    pass

    @classmethod
    def none(cls):
        """No cgroup at all."""
        group = cls.__new__(cls)
        group.dirs = []
        return group

    def join(self):
        """Moves the calling process into the cgroups (in the child, before exec)."""
        for path in self.dirs:
            with open(path / "cgroup.procs", "w") as f:
                f.write(str(os.getpid()))

    def oom_killed(self):
        """Whether the memory cap killed a process of the submission."""
        for path in self.dirs:
            for name, key in (("memory.events", "oom_kill"), ("memory.oom_control", "oom_kill")):
                try:
                    for line in (path / name).read_text().splitlines():
                        field, _, value = line.partition(" ")
                        if field == key and int(value) > 0:
                            return True
                except (OSError, ValueError):
                    pass
        return False

    def remove(self):
        for path in self.dirs:
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except OSError:  # its last processes are still exiting
                    import time

                    time.sleep(0.1)


def _limits(cgroup):
    def preexec():
        import resource

        cgroup.join()
        resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_PER_PROCESS, MEMORY_PER_PROCESS))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE, FILE_SIZE))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return preexec


class Sandbox:
    """Runs notebooks in the sandbox; `build` is the grading's evcxr build folder (see `warm`),
    copied into each run's private home."""

    def __init__(self, lab_home, venv, build):
        if shutil.which("bwrap") is None:
            raise SandboxError(
                "bubblewrap (bwrap) is not installed, so the students' code cannot be isolated. "
                "Install it (Debian: sudo apt-get install bubblewrap) and grade again, or pass "
                "--unsafe-no-sandbox to grade without isolation (the students' code then runs as "
                "you, with your files and your network)."
            )
        self.layout = Layout(lab_home, venv)
        self.build = Path(build)
        self._check()

    def _check(self):
        """Fails with what to do if bubblewrap cannot create the sandbox on this machine."""
        with tempfile.TemporaryDirectory(prefix="tp-sandbox-check-") as private:
            private = self._private(Path(private), with_build=False)
            out = subprocess.run(
                bwrap_command(self.layout, private, ["true"]), capture_output=True, text=True, timeout=60
            )
        if out.returncode != 0:
            raise SandboxError(
                f"bubblewrap cannot create the grading sandbox here: {out.stderr.strip() or out.returncode}. "
                "It needs unprivileged user namespaces (for a normal user) or root. On Debian/Ubuntu: "
                "sudo sysctl -w kernel.unprivileged_userns_clone=1 (and, on Ubuntu 24.04 or later, "
                "kernel.apparmor_restrict_unprivileged_userns=0). Or pass --unsafe-no-sandbox to "
                "grade without isolation."
            )

    def _private(self, private, with_build=True):
        """The writable folders of one run, under `private`."""
        home = private / "home"
        (private / "tmp").mkdir(parents=True)
        (home / "tp-streaming").mkdir(parents=True)
        spec_dir = home / ".local/share/jupyter/kernels/rust"
        spec_dir.mkdir(parents=True)
        spec = dict(self.layout.kernel_spec)
        spec["env"] = {**spec.get("env", {}), "EVCXR_CONFIG_DIR": EVCXR_CONFIG}
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=2))
        if with_build and self.build.is_dir():
            shutil.copytree(self.build, home / "build", symlinks=True)
        else:
            (home / "build").mkdir()
        return private

    def run(self, nb, data_dir, cell_timeout, timeout):
        """Executes notebook `nb` in a fresh sandbox whose working folder starts as a copy of the
        files of `data_dir` (no notebooks); returns the executed notebook. Raises SandboxError if
        the run could not finish."""
        with tempfile.TemporaryDirectory(prefix="tp-sandbox-") as private:
            private = self._private(Path(private))
            work = private / "home" / "tp-streaming"
            for entry in Path(data_dir).iterdir():
                if entry.suffix == ".ipynb" or entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    shutil.copytree(entry, work / entry.name, symlinks=False)
                else:
                    shutil.copy(entry, work / entry.name)
            cgroup = Cgroup()
            try:
                executed = self._execute(private, nb, cell_timeout, timeout, cgroup=cgroup)
                oom = cgroup.oom_killed()
                log_tail = _log_tail(private)
            finally:
                cgroup.remove()
        error = executed.metadata.pop("tp_grading", {}).get("error")
        if error:
            cause = " (the submission went over its memory cap)" if oom else ""
            raise SandboxError(f"the Rust kernel died or stopped answering{cause}: {error}. Last lines of its log: {log_tail}")
        if oom:
            mark_memory_cap(executed)
        return executed

    def _execute(self, private, nb, cell_timeout, timeout, cgroup=None, binds=()):
        """Runs execute_notebook.py on `nb` in the sandbox of `private`; returns its result."""
        import nbformat

        nbformat.write(nb, private / "home" / "a-executer.ipynb")
        command = [
            str(self.layout.venv / "bin" / "python"), RUNNER, f"{HOME}/a-executer.ipynb", WORKDIR,
            f"{HOME}/execution.log", str(cell_timeout), str(PROCESSES),
        ]
        cmd = bwrap_command(self.layout, private, command)
        at = cmd.index("--chdir")
        cmd[at:at] = [arg for source, target in binds for arg in ("--bind", str(source), target)]
        nonce = secrets.token_hex(16)
        try:
            out = subprocess.run(
                cmd, input=nonce + "\n", capture_output=True, text=True, timeout=timeout,
                preexec_fn=_limits(cgroup or Cgroup.none()),
            )
        except subprocess.TimeoutExpired:
            raise SandboxError(f"the notebook did not finish within {timeout} s and was stopped") from None
        head, _, body = out.stdout.partition("\n")
        if out.returncode != 0 or head != nonce:
            tail = _log_tail(private)
            how = f"killed by signal {out.returncode - 128}" if out.returncode > 128 else f"exit status {out.returncode}"
            raise SandboxError(
                f"the notebook's run stopped before it finished ({how}; the notebook's own code may have "
                f"killed its kernel). {out.stderr.strip()[-500:]} Last lines of its log: {tail}"
            )
        try:
            return nbformat.reads(body, as_version=4)
        except Exception as e:
            raise SandboxError(f"the executed notebook could not be read back: {e}") from e

    def warm(self, cells):
        """Runs `cells` (the `:dep` cells) in a sandbox whose evcxr build folder is `self.build`
        itself, writable: afterwards each run's copy of it holds the compiled dependencies."""
        import nbformat

        self.build.mkdir(parents=True, exist_ok=True)
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "rust", "display_name": "Rust", "language": "rust"}})
        nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
        with tempfile.TemporaryDirectory(prefix="tp-sandbox-warm-") as private:
            private = self._private(Path(private), with_build=False)
            executed = self._execute(private, nb, 1800, 3600, binds=[(self.build, BUILD)])
        for cell in executed.cells:
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            if errors:
                raise SandboxError(f"warming the build folder: {cell.source!r} failed: {errors[0].get('evalue')}")


def _log_tail(private):
    """The last lines of a run's log (the kernel's and the notebook's error output), for the
    teacher's table when a run fails."""
    log = private / "home" / "execution.log"
    if not log.exists():
        return ""
    return " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])[-700:]


def mark_memory_cap(nb):
    """After the memory cap killed a process: says so on the cells whose worker was killed."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and "SIGKILL" in output.get("evalue", ""):
                output["evalue"] += (
                    f" — la soumission a dépassé la mémoire autorisée pendant la correction "
                    f"({MEMORY_PER_SUBMISSION >> 30} Gio en tout)."
                )


if __name__ == "__main__":
    sys.exit("grading/sandbox.py is used by scripts/grade; it has no command of its own")
