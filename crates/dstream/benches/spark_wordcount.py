"""PySpark's DStream word count on the benchmark corpus, run by scripts/bench before the Rust
benchmark so that its "vs Spark" column is measured in the same run, on the same machine.

The lab's pipeline, as ../shared/spark/throughput.md measured it: per batch, a `queueStream` of
`sc.textFile(corpus file, minPartitions=2)`, then `flatMap(split(" "))`, `map((w, 1))`,
`reduceByKey(add)`, and every pair collected (each batch checked: its counts add up to N), on
`local[2]`. Time per batch: Spark's own processing delay (file read included), the first batch of
each size excluded (JVM warm-up). Corpus files come from ../shared/spark/gen_corpus.py.

Usage: spark_wordcount.py OUT.json SIZE...   writes {"SIZE": words per second, ...} to OUT.json
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from operator import add
from pathlib import Path

from pyspark import SparkConf, SparkContext
from pyspark.streaming import StreamingContext
from pyspark.streaming.listener import StreamingListener

HERE = Path(__file__).resolve().parent
SPARK_DIR = Path(os.environ.get("DSTREAM_SPARK_DIR") or HERE / "../../../../shared/spark")
BATCHES = {100_000: 7, 1_000_000: 5, 4_000_000: 4}


class Delays(StreamingListener):
    def __init__(self):
        self.delays = []

    def onBatchCompleted(self, batchCompleted):
        self.delays.append(batchCompleted.batchInfo().processingDelay())


def corpus(words, batches, folder):
    files = []
    for batch in range(batches):
        path = folder / f"corpus-{words}-{batch}.txt"
        subprocess.run([sys.executable, str(SPARK_DIR / "gen_corpus.py"), str(words), str(batch), str(path)],
                       check=True, stdout=subprocess.DEVNULL)
        files.append(str(path))
    return files


def measure(sc, words, files):
    ssc = StreamingContext(sc, 2)
    delays = Delays()
    ssc.addStreamingListener(delays)
    totals = []
    rdds = [sc.textFile(f, minPartitions=2) for f in files]
    counts = ssc.queueStream(rdds, oneAtATime=True).flatMap(lambda l: l.split(" ")).map(lambda w: (w, 1)).reduceByKey(add)
    counts.foreachRDD(lambda rdd: totals.append(sum(c for _, c in rdd.collect())))
    ssc.start()
    deadline = time.time() + 600
    while len(delays.delays) < len(files) and time.time() < deadline:
        time.sleep(0.2)
    ssc.stop(stopSparkContext=False, stopGraceFully=False)
    assert totals[: len(files)] == [words] * len(files), f"every batch counts {words} words: {totals}"
    return words / (statistics.median(delays.delays[1 : len(files)]) / 1000)


def main():
    out, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
    # DStream is deprecated since Spark 3.4 (the lab teaches it, and this measures it).
    warnings.filterwarnings("ignore", category=FutureWarning)
    conf = (
        SparkConf()
        .setMaster("local[2]")
        .setAppName("dstream-bench")
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
    )
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    results = {}
    with tempfile.TemporaryDirectory(prefix="dstream-spark-bench-") as folder:
        for words in sizes:
            files = corpus(words, BATCHES.get(words, 4), Path(folder))
            results[str(words)] = measure(sc, words, files)
            print(f"   PySpark {words:>9} words per batch: {results[str(words)] / 1e6:.2f} M words/s", flush=True)
    sc.stop()
    Path(out).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
