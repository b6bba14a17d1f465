"""The set-up as a teacher or student without root uses it: `scripts/lab` run by a normal user
(created for the test, see as_normal_user.sh) on a machine where the slow builds (evcxr_jupyter,
Tansu) are done — the set-up's fast path. Everything lands in that user's home (the virtual
environment, the kernelspec, evcxr's cache, the background preparation's log), JupyterLab opens
with its token and shows no warning of ours at start-up, the kernel compiles `dstream` for that
user, and the background preparation (the kafka feature's warm-up, then notebook 03's PySpark and
Spark Connect client) runs and finishes as that user. Nothing needs root at run time (protoc is
the machine's, installed by scripts/test as root)."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port, make_tree, ROOT

USER = "tp-etudiant"
AS_USER = ROOT / "tests" / "notebooks" / "as_normal_user.sh"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creates a normal user (run as root)")


def as_user(*args, timeout=1800, **kwargs):
    return subprocess.run([str(AS_USER), USER, *args], capture_output=True, text=True, timeout=timeout, **kwargs)


def test_a_normal_user_opens_the_lab_and_the_background_preparation_runs_as_them():
    assert as_user("true").returncode == 0
    home = Path(os.path.expanduser(f"~{USER}"))
    lab_home = home / ".local" / "share" / "tp-spark-streaming"
    log = lab_home / "logs" / "background.log"
    # A fresh start for what this test checks: no background log, no warm-up record.
    shutil.rmtree(lab_home / "logs", ignore_errors=True)
    for marker in [*(lab_home / "evcxr").glob("kafka-warm.*"), *(lab_home / "evcxr").glob("spark-warm.*")]:
        marker.unlink()
    # The user's own copy of the notebooks, as in a clone of their own.
    work = Path(tempfile.mkdtemp(prefix="tp-lab-user-"))
    notebooks = make_tree(work)
    for path in [work, *work.rglob("*")]:
        if not path.is_symlink():
            shutil.chown(path, USER, USER)
    port, token = free_port(), "normal-user-token"
    out_path = work / "lab.out"
    with open(out_path, "w") as out:
        lab = subprocess.Popen(
            [str(AS_USER), USER, "env", f"TP_COURSE_DIR={work / 'course'}", str(ROOT / "scripts" / "lab"),
             "--port", str(port), "--token", token, "--notebook-dir", str(notebooks)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.time() + 1200
        while True:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                break
            except OSError:
                assert lab.poll() is None and time.time() < deadline, "scripts/lab did not start:\n" + out_path.read_text()[-3000:]
                time.sleep(1)
        assert status.status == 200
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token=wrong", timeout=5)
        text = out_path.read_text()
        assert f"Open: http://127.0.0.1:{port}/lab/tree/" in text and f"token={token}" in text
        start_up = text.split(" is running at:")[0]
        assert not [line for line in start_up.splitlines() if "warn" in line.lower() or "[W " in line], start_up[-3000:]
        # The user's own files, in the user's home.
        assert (lab_home / "venv" / "bin" / "jupyter").is_file()
        assert (home / ".local" / "share" / "jupyter" / "kernels" / "rust" / "kernel.json").is_file()
        assert "the :dep cells took" in text, "the kernel compiled dstream for this user before the lab opened"
        assert f"tail -f {log}" in text, "the terminal names the background preparation's log"
        # The background preparation runs as the user, and finishes (Tansu is installed: the
        # warm-ups are left, and PySpark the first time: 520 MB, then the Spark Connect client's
        # 160 crates at low priority).
        deadline = time.time() + 1800
        while "background preparation done" not in (log.read_text() if log.exists() else ""):
            assert time.time() < deadline, log.read_text() if log.exists() else "no background log"
            time.sleep(2)
        assert log.stat().st_uid == Path(home).stat().st_uid
        assert list((lab_home / "evcxr").glob("kafka-warm.*")), "the warm-up is recorded, so the next run skips it"
        ready = as_user(str(ROOT / "scripts" / "kafka"), "ready")
        assert ready.returncode == 0 and "est installé" in ready.stdout, ready.stdout + ready.stderr
        assert list((lab_home / "evcxr").glob("spark-warm.*")), "notebook 03's warm-up is recorded"
        assert (lab_home / "spark-venv" / "bin" / "python").is_file(), "PySpark is the user's"
        ready = as_user(str(ROOT / "scripts" / "spark"), "ready")
        assert ready.returncode == 0 and "sont prêts" in ready.stdout, ready.stdout + ready.stderr
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
