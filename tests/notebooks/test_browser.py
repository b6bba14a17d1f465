"""The lab as a teacher uses it: `scripts/lab` serves JupyterLab, a real browser (headless
Chromium driven by playwright-core) opens the first notebook, runs all its cells, and the
rendered page shows the live batches, the checks and the pictures."""
import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port, make_tree, ROOT

BROWSER = ROOT / "tests" / "browser"


@contextlib.contextmanager
def start_lab(tmp_path, env=None):
    """`scripts/lab` on a scratch copy of the notebooks (JupyterLab autosaves what it runs);
    yields its address and token, and stops it afterwards."""
    notebooks = make_tree(tmp_path)
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Keep every cell in the page, so that all outputs can be read and photographed.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = free_port(), "browser-test-token"
    env = dict(os.environ, **(env or {}))
    env.setdefault("TP_COURSE_DIR", str(tmp_path / "course"))
    served = os.path.commonpath([str(notebooks), env["TP_COURSE_DIR"]])
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "lab"), "--port", str(port), "--token", token, "--notebook-dir", str(notebooks),
         "--", f"--LabApp.user_settings_dir={tmp_path / 'settings'}"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 600
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise AssertionError("scripts/lab did not start: " + (tmp_path / "lab.log").read_text()[-3000:])
                time.sleep(1)
        # The notebooks' folder, as a path of the server's tree.
        yield base, token, os.path.relpath(notebooks, served)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


@pytest.fixture
def lab_server(tmp_path):
    with start_lab(tmp_path) as (base, token, folder):
        yield base, token, folder, tmp_path


def test_teacher_runs_all_cells_of_the_lab_in_a_browser(lab_server):
    base, token, folder, tmp = lab_server
    screenshot = tmp / "01-run-all.png"
    out = subprocess.run(
        ["node", str(BROWSER / "run_all.mjs"), base, token, f"{folder}/01-tp-spark-streaming.ipynb", str(screenshot)],
        capture_output=True, text=True, timeout=1200, cwd=BROWSER,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["executed"] == report["cells"], report
    assert report["errors"] == 0, "no stderr output (no panic) rendered"
    text = report["outputText"]
    assert "Time: " in text and "-" * 43 in text, "the batches, in Spark's layout"
    assert '("spark", ' in text
    assert "Les comptes correspondent aux phrases envoyées." in text
    assert "Tests de la question 3 réussis." in text
    assert report["svgCount"] >= 2, "the batch timeline and the window diagram are drawn"
    assert screenshot.stat().st_size > 10_000
    # The terminal shows no warnings of our making at start-up (JupyterLab's FutureWarning for
    # ServerApp.preferred_dir, nbgrader's missing config...): everything up to "is running at".
    start_up = (tmp / "lab.log").read_text().split(" is running at:")[0]
    warnings = [line for line in start_up.splitlines() if "warn" in line.lower() or "[W " in line]
    assert not warnings, warnings
    # Kept for a human to look at.
    keep = BROWSER / "out"
    keep.mkdir(exist_ok=True)
    (keep / screenshot.name).write_bytes(screenshot.read_bytes())
