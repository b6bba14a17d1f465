"""`scripts/spark`, as a teacher uses it in a terminal: a real Spark Connect server from the pinned
PySpark wheel, on 127.0.0.1, started idempotently, locally and on a standalone cluster of one
Master and one Worker; a clear error for a port already taken; stopped at the end even when a
check fails. On its own ports and work folder, so that it never touches the lab's server."""
import json
import os
import re
import socket
import subprocess

import pytest
from conftest import free_port, ROOT


@pytest.fixture
def spark(tmp_path):
    env = dict(os.environ, TP_SPARK_PORT=str(free_port()), TP_SPARK_MASTER_PORT=str(free_port()),
               TP_SPARK_WORK=str(tmp_path / "spark-work"))

    def run(*args, timeout=600, extra=None):
        return subprocess.run([str(ROOT / "scripts" / "spark"), *args], env={**env, **(extra or {})},
                              capture_output=True, text=True, timeout=timeout)

    try:
        yield run, env, tmp_path / "spark-work" / "logs"
    finally:
        run("stop")


def listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_local_server_starts_once_answers_on_loopback_and_stops(spark):
    run, env, logs = spark
    port = int(env["TP_SPARK_PORT"])
    assert run("status").returncode == 1
    started = run("start")
    assert started.returncode == 0, started.stdout + started.stderr
    assert f"started on sc://127.0.0.1:{port} (master local[2]" in started.stdout
    assert listening(port)
    # Bound on loopback, as the server logs it before the port answers ("Spark Connect server
    # started at" comes a moment after the port answers: CI once read the log before it).
    log = "\n".join(p.read_text() for p in logs.glob("*SparkConnectServer*.out"))
    assert "SparkConnectService: start GRPC service at: 127.0.0.1\n" in log, log[-2000:]
    assert re.search(rf"Successfully started service '[\w.]*SparkConnectService' on port {port}\.", log), log[-2000:]
    assert "already runs" in run("start").stdout
    status = run("status")
    assert status.returncode == 0 and "local[2]" in status.stdout and str(logs) in status.stdout
    stopped = run("stop")
    assert "Spark stopped" in stopped.stdout
    assert not listening(port)
    assert "does not run" in run("stop").stdout


def test_a_taken_port_is_refused_with_what_to_do(spark):
    run, env, _ = spark
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        out = run("start", extra={"TP_SPARK_PORT": str(taken.getsockname()[1])})
    assert out.returncode != 0
    assert "is taken by another program" in out.stderr and "TP_SPARK_PORT=" in out.stderr


def test_the_cluster_has_a_master_and_a_worker_and_the_server_uses_them(spark):
    run, env, logs = spark
    started = run("start", "--cluster")
    assert started.returncode == 0, started.stdout + started.stderr
    master = f"spark://127.0.0.1:{env['TP_SPARK_MASTER_PORT']}"
    assert f"master {master}" in started.stdout
    worker_log = "\n".join(p.read_text() for p in logs.glob("*Worker*.out"))
    assert "Successfully registered with master" in worker_log
    status = run("status")
    assert f"standalone cluster {master}" in status.stdout
    assert "Spark stopped" in run("stop").stdout
    for name in ("Master", "Worker", "SparkConnectServer"):
        assert not list((logs.parent / "pids").glob(f"*{name}*.pid")), f"the {name} is stopped"


def test_the_benchmarks_pyspark_word_count_runs_and_counts_every_word(tmp_path):
    """scripts/bench's PySpark side (crates/dstream/benches/spark_wordcount.py), on the smallest
    size: it checks inside that every batch counts its 100,000 words, and writes a speed (what
    that speed is, is the benchmark's business, not this test's)."""
    python = subprocess.run([str(ROOT / "scripts" / "spark"), "python", "-c", "import sys; print(sys.executable)"],
                            capture_output=True, text=True, timeout=600)
    assert python.returncode == 0, python.stderr
    out = tmp_path / "spark.json"
    run = subprocess.run([python.stdout.strip(), str(ROOT / "crates" / "dstream" / "benches" / "spark_wordcount.py"),
                          str(out), "100000"], capture_output=True, text=True, timeout=900,
                         env=dict(os.environ, SPARK_LOCAL_IP="127.0.0.1"))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "PySpark    100000 words per batch:" in run.stdout
    speeds = json.loads(out.read_text())
    assert set(speeds) == {"100000"} and speeds["100000"] > 0
