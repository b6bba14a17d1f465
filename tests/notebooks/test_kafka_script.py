"""`scripts/kafka`, as a teacher uses it in a terminal: start a real broker (idempotently), create
a topic (idempotently), produce random lines with their partitions and offsets, status, stop,
reset. On its own port and data folder, so that it never touches the lab's broker."""
import os
import re
import socket
import subprocess

from conftest import ROOT


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
