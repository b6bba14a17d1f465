"""`scripts/kafka`, as a teacher uses it in a terminal: start a real broker (idempotently), create
a topic (idempotently), produce random lines with their partitions and offsets, status, stop,
reset. On its own port and data folder, so that it never touches the lab's broker."""
import os
import re
import subprocess
import time

from conftest import free_port, ROOT


def test_the_kafka_script_runs_a_broker_creates_topics_and_produces_lines(tmp_path):
    port, data = free_port(), tmp_path / "kafka-data"
    env = dict(os.environ, TP_KAFKA_PORT=str(port), TP_KAFKA_DATA=str(data))

    def kafka(*args, timeout=600):
        return subprocess.run([str(ROOT / "scripts" / "kafka"), *args], env=env, capture_output=True, text=True, timeout=timeout)

    assert kafka("status").returncode == 1
    try:
        started = kafka("start")
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"started on 127.0.0.1:{port}" in started.stdout
        assert "already runs" in kafka("start").stdout
        assert "created with 2 partitions" in kafka("topic", "lignes", "2").stdout
        assert "exists already" in kafka("topic", "lignes", "2").stdout

        produced = kafka("produce", "--topic", "lignes", "--rate", "50", "--limit", "8", "--seed", "3")
        assert produced.returncode == 0, produced.stdout + produced.stderr
        sent = re.findall(r"^\[kafka \d\d:\d\d:\d\d\] lignes-(\d)@(\d+): (.+)$", produced.stdout, re.M)
        assert len(sent) == 8, produced.stdout
        offsets = sorted((int(p), int(o)) for p, o, _ in sent)
        assert offsets == [(p, o) for p in (0, 1) for o in range(4)], "4 lines per partition, offsets 0 to 3"
        phrases = set((ROOT / "notebooks" / "donnees" / "phrases.txt").read_text().splitlines())
        assert all(line in phrases for _, _, line in sent)
        assert "8 lines sent." in produced.stdout

        bad = kafka("produce", "--rate", "zero")
        assert bad.returncode == 2 and "--rate must be a whole number" in bad.stderr

        status = kafka("status")
        assert status.returncode == 0 and "Topics: lignes" in status.stdout
    finally:
        stopped = kafka("stop")
    assert "Kafka broker stopped" in stopped.stdout
    assert "does not run" in kafka("stop").stdout
    assert (data / "tansu.db").is_file(), "the data stays after a stop"
    kafka("reset")
    assert not data.exists()


def test_before_tansu_is_built_the_notebook_is_told_in_french_and_a_terminal_waits(tmp_path):
    """A machine where Tansu is not installed yet, while scripts/lab builds it in the background
    (its lock held): the notebook's cells learn it in French, with the log to watch, at once;
    `scripts/kafka start` in a terminal waits for the build, showing its progress. A fresh home,
    and a PATH without cargo's folder, stand for that machine."""
    home = tmp_path / "home"
    lab_home = home / ".local" / "share" / "tp-spark-streaming"
    (lab_home / "logs").mkdir(parents=True)
    log = lab_home / "logs" / "background.log"
    log.write_text("   Compiling tokio v1.40.0\n   Compiling tansu-sans-io v0.6.0\n")
    env = dict(os.environ, HOME=str(home), PATH="/usr/bin:/bin", TP_KAFKA_PORT=str(free_port()),
               TP_KAFKA_DATA=str(tmp_path / "data"), TP_WAIT_POLL="1")
    env.pop("TP_LAB_HOME", None)

    def kafka(*args):
        return subprocess.run([str(ROOT / "scripts" / "kafka"), *args], env=env, capture_output=True, text=True, timeout=120)

    nothing = kafka("ready")
    assert nothing.returncode == 1 and "n'est pas installé, et aucune compilation n'est en cours" in nothing.stdout

    # The background build holds its lock, as scripts/lib/prepare_later does.
    holder = subprocess.Popen(["flock", str(lab_home / "background.lock"), "sleep", "4"])
    try:
        time.sleep(0.5)
        ready = kafka("ready")
        assert ready.returncode == 1, ready.stdout + ready.stderr
        assert "n'est pas encore prêt : scripts/lab le compile en arrière-plan depuis" in ready.stdout
        assert "2 compilées pour l'instant" in ready.stdout and f"tail -f {log}" in ready.stdout
        notebook = kafka("start", "--no-wait")
        assert notebook.returncode == 1 and "n'est pas encore prêt" in notebook.stderr, notebook.stderr
        terminal = kafka("start")
    finally:
        holder.wait()
    assert "Tansu is being built in the background" in terminal.stdout, terminal.stdout
    assert "2 crates compiled so far; Compiling tansu-sans-io v0.6.0" in terminal.stdout
    # Once the lock is free and Tansu still missing, it builds it itself: here there is no cargo.
    assert "did not finish" in terminal.stdout and "cargo is not installed" in terminal.stderr
    assert terminal.returncode != 0
