"""Notebook 03 on the real kernel against a real Spark Connect server (scripts/spark, on ports and
a work folder of its own, stopped at the end even when a check fails): the lab's word count as a
Structured Streaming query counts what the line server sent, as dstream does; the tables and the
progress timeline are rich outputs; a server that is not running is told in French, with what
to run."""
import os
import re
import subprocess

import nbformat
import pytest
from conftest import execute, free_port, outputs, problems, ROOT, stdout

NOTEBOOK = "03-structured-streaming-spark.ipynb"


@pytest.fixture(scope="module")
def spark_env(tmp_path_factory):
    work = tmp_path_factory.mktemp("spark-work")
    env = {"TP_SPARK_PORT": str(free_port()), "TP_SPARK_MASTER_PORT": str(free_port()), "TP_SPARK_WORK": str(work)}
    script = [str(ROOT / "scripts" / "spark")]
    try:
        yield env
    finally:
        subprocess.run([*script, "stop"], env={**os.environ, **env}, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def spark_nb(tree, spark_env):
    # The notebook's own cell starts the server (scripts/spark start, on the ports above).
    return execute(tree / NOTEBOOK, env=spark_env)


def cell_with(nb, text):
    return next(c for c in nb.cells if c.cell_type == "code" and text in c.source)


def test_notebook_runs_without_errors(spark_nb):
    for cell in spark_nb.cells:
        if cell.cell_type == "code":
            assert not problems(cell), (cell.source[:200], problems(cell))


def test_spark_counts_what_the_line_server_sent_as_dstream_does(spark_nb):
    cell = cell_with(spark_nb, "selon_dstream")
    printed = stdout(cell)
    # The cell asserts that both maps are equal; here: that there was something to compare.
    distinct = re.search(r"(\d+) mots différents selon Spark, (\d+) selon dstream", printed)
    assert distinct, printed
    assert int(distinct.group(1)) == int(distinct.group(2)) > 10, printed
    assert "Mêmes comptes" in printed, printed


def test_every_line_sent_is_read_once_by_the_triggers(spark_nb):
    printed = stdout(cell_with(spark_nb, "progress_of(&requete)"))
    rows = [int(n) for n in re.findall(r"batch +\d+ : +(\d+) lignes lues", printed)]
    assert len(rows) >= 4, printed  # 20 s of stream, a trigger every 5 s
    assert sum(rows) == 100, printed  # the server's limit


def test_tables_and_timeline_are_html(spark_nb):
    readings = cell_with(spark_nb, "Snapshots::new()")
    html = [o["data"]["text/html"] for o in outputs(readings) if "text/html" in o.get("data", {})]
    assert len(html) == 1 and html[0].count("<table>") == 4, html
    assert "<td>spark</td>" in html[0]
    timeline = cell_with(spark_nb, "timeline(&requete")
    assert any("<svg" in o.get("data", {}).get("text/html", "") for o in outputs(timeline))


def test_query_is_stopped_at_the_end(spark_nb):
    assert "Requête active : non." in stdout(cell_with(spark_nb, "requete.stop()"))


def test_a_server_that_is_not_running_is_told_in_french_with_what_to_run(tree, tmp_path):
    # The notebook up to its connection, on a port where nothing listens, without the cell that
    # starts the server.
    nb = nbformat.read(tree / NOTEBOOK, as_version=4)
    upto = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "connect()?" in c.source)
    nb.cells = [c for c in nb.cells[: upto + 1] if "spark_script(&[\"start\"])" not in c.source]
    path = tree / "sans-serveur.ipynb"
    nbformat.write(nb, path)
    ran = execute(path, env={"TP_SPARK_PORT": str(free_port())})
    message = " ".join(problems(ran.cells[-1]))
    assert "ne répond pas" in message and "scripts/spark start" in message, message
