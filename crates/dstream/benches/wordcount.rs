//! Word-count throughput of a `dstream` pipeline against a hand-written baseline, in one process.
//!
//! Run with `cargo bench -p dstream --bench wordcount` (or `scripts/bench`). It:
//! 1. regenerates the benchmark corpus of `../shared/spark/gen_corpus.py` in Rust and checks every
//!    batch is byte-identical to Spark's (sha256 from `corpus_manifest.json`);
//! 2. runs, per batch size (100k, 1M, 4M words), the lab's pipeline as a student writes it
//!    (`queue_stream` of the file's lines → `flat_map(|line| line.split(' '))` → `map(|w| (w, 1))`
//!    → `reduce_by_key(|a, b| a + b)` → `foreach_rdd` keeping the batch's result) and
//!    the baseline (one thread, `&str` keys in an Fx `HashMap`), checks both against the manifest's
//!    word counts, and prints words/s, peak memory and the ratio;
//! 3. measures a lab-sized batch (3 lines) and how late batches fire on the system clock;
//! 4. runs windowed (30 s / 10 s) and stateful word counts over many 100k-word batches, with the
//!    process's memory along the run, and compares incremental and recomputed windows as the
//!    window grows.
//!
//! Numbers are printed, never asserted: speed depends on the machine.

use dstream::{
    Clock, DStream, Duration, ManualClock, PairDStreamExt, Rdd, Stop, StreamingContext, Text, Time,
};
use rustc_hash::FxHashMap;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------- the corpus (gen_corpus.py)

const SYL: [&str; 16] =
    ["ka", "lo", "mi", "ne", "pu", "ra", "si", "to", "va", "ze", "bri", "cha", "dro", "fle", "gra", "sto"];
const VOCABULARY: usize = 10_000;

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

struct Corpus {
    vocabulary: Vec<String>,
    cumulative: Vec<u64>,
}

impl Corpus {
    fn new() -> Self {
        let vocabulary = (0..VOCABULARY).map(word_of_rank).collect();
        let mut total = 0u64;
        let cumulative = (0..VOCABULARY as u64)
            .map(|r| {
                total += (1u64 << 40) / (r + 1);
                total
            })
            .collect();
        Corpus { vocabulary, cumulative }
    }

    /// The file `gen_corpus.py N BATCH` writes, as bytes.
    fn generate(&self, words: u64, batch: u64) -> Vec<u8> {
        let mut rng = SplitMix64(words * 1000 + batch);
        let total = *self.cumulative.last().unwrap();
        let mut left = words;
        let mut out = Vec::with_capacity(words as usize * 6);
        while left > 0 {
            let k = (1 + rng.next() % 12).min(left);
            for i in 0..k {
                let u = rng.next() % total;
                let rank = self.cumulative.partition_point(|&c| c <= u);
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(self.vocabulary[rank].as_bytes());
            }
            out.push(b'\n');
            left -= k;
        }
        out
    }
}

/// Bijective base 16 with the syllables, most significant first.
fn word_of_rank(rank: usize) -> String {
    let mut n = rank + 1;
    let mut parts = Vec::new();
    while n > 0 {
        n -= 1;
        parts.push(SYL[n % 16]);
        n /= 16;
    }
    parts.reverse();
    parts.concat()
}

// ---------------------------------------------------------------- measuring

fn spark_dir() -> PathBuf {
    std::env::var_os("DSTREAM_SPARK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spark"))
}

/// Resets the peak-memory counter of this process (Linux: write 5 to clear_refs).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// (current RSS, peak RSS since the last reset), in MiB.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Rounds of baseline-then-ours per batch size.
const ROUNDS: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The manifest's check: total words, distinct words, top 5.
fn check_counts(counts: &[(String, i64)], expected: &Value, who: &str) {
    let total: i64 = counts.iter().map(|(_, c)| c).sum();
    assert_eq!(total, expected["words_total"].as_i64().unwrap(), "{who}: total words");
    assert_eq!(counts.len() as u64, expected["distinct"].as_u64().unwrap(), "{who}: distinct words");
    let mut top: Vec<&(String, i64)> = counts.iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (i, want) in expected["top5"].as_array().unwrap().iter().enumerate() {
        assert_eq!(top[i].0, want[0].as_str().unwrap(), "{who}: top {i}");
        assert_eq!(top[i].1, want[1].as_i64().unwrap(), "{who}: top {i} count");
    }
}

/// The baseline: one thread, borrowed keys, Fx hash map.
fn baseline(lines: &[Text]) -> FxHashMap<&str, i64> {
    let mut counts: FxHashMap<&str, i64> = FxHashMap::default();
    for line in lines {
        for word in line.as_str().split(' ') {
            *counts.entry(word).or_insert(0) += 1;
        }
    }
    counts
}

/// Starts `ssc`, runs `n` batches of 1 s on `clock`, stops; returns each batch's processing time (s).
fn run_to_end(ssc: &StreamingContext, clock: &ManualClock, n: usize) -> Vec<f64> {
    ssc.start().unwrap();
    for i in 1..=n {
        clock.set(Time::from_millis(i as i64 * 1000));
        while ssc.batch_history().len() < i {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
    let times = ssc.batch_history().iter().map(|b| b.processing_delay().as_secs_f64()).collect();
    ssc.stop(Stop::Now).unwrap();
    times
}

/// The pipeline as a student writes it, one batch per element of `batches`; returns each batch's
/// processing time (s) and the last batch's counts.
fn ours(batches: Vec<Vec<Text>>) -> (Vec<f64>, Vec<(String, i64)>) {
    let n = batches.len();
    let clock = ManualClock::new(Time::from_millis(0));
    let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone())).unwrap();
    let result = Arc::new(Mutex::new(None));
    let sink = Arc::clone(&result);
    let lines: DStream<Text> = ssc.queue_stream(batches, true, None);
    let counts = lines.flat_map(|line| line.split(' ')).map(|w| (w, 1i64)).reduce_by_key(|a, b| a + b);
    // The batch's result is kept as it is (an `Rdd` handle); it is copied into `String`s for the
    // check after the run, as the baseline's map is after its timing.
    counts.foreach_rdd(move |rdd: Rdd<(Text, i64)>| *sink.lock().unwrap() = Some(rdd));
    let times = run_to_end(&ssc, &clock, n);
    let last = result.lock().unwrap().take().expect("the last batch's counts");
    let counts = last.iter().map(|(w, c)| (w.to_string(), *c)).collect();
    (times, counts)
}

/// Runs `pipeline` over `batches` 1 s batches on a manual clock (with a checkpoint directory),
/// and returns each batch's processing time (s) and the process's RSS (MiB) after it.
fn run_stateful(
    batches: Vec<Vec<Text>>,
    pipeline: impl FnOnce(DStream<Text>) -> DStream<(Text, i64)>,
) -> (Vec<f64>, Vec<f64>) {
    let n = batches.len();
    let clock = ManualClock::new(Time::from_millis(0));
    let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone())).unwrap();
    let dir = std::env::temp_dir().join(format!("dstream-bench-ckpt-{}", std::process::id()));
    ssc.checkpoint(&dir).unwrap();
    // Checkpoints would dominate the timing of these small batches; they are measured apart.
    ssc.checkpoint_every(1_000_000);
    let rss = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&rss);
    ssc.add_listener(move |_| sink.lock().unwrap().push(memory_mib().0));
    let kept = Arc::new(Mutex::new(0usize));
    let keep = Arc::clone(&kept);
    pipeline(ssc.queue_stream(batches, true, None))
        .foreach_rdd(move |rdd| *keep.lock().unwrap() = rdd.count());
    let times = run_to_end(&ssc, &clock, n);
    let _ = std::fs::remove_dir_all(dir);
    let rss = std::mem::take(&mut *rss.lock().unwrap());
    (times, rss)
}

fn pairs(lines: DStream<Text>) -> DStream<(Text, i64)> {
    lines.flat_map(|line| line.split(' ')).map(|w| (w, 1i64))
}

fn stateful_section(corpus: &Corpus) {
    println!("5. windows and state over 100k-word batches (1 s batches, corpus batches 0..7 in turn)");
    let base: Vec<Vec<Text>> = (0..8)
        .map(|b| String::from_utf8(corpus.generate(100_000, b)).unwrap().lines().map(Text::from).collect())
        .collect();
    let batches = |n: usize| -> Vec<Vec<Text>> { (0..n).map(|i| base[i % 8].clone()).collect() };
    let secs = Duration::from_secs;
    let n = 120;
    type Pipeline = Box<dyn FnOnce(DStream<Text>) -> DStream<(Text, i64)>>;
    let variants: Vec<(&str, Pipeline)> = vec![
        (
            "window 30 s / 10 s, recomputed",
            Box::new(move |l| pairs(l).reduce_by_key_and_window(|a, b| a + b, secs(30), secs(10))),
        ),
        (
            "window 30 s / 10 s, incremental",
            Box::new(move |l| {
                pairs(l).reduce_by_key_and_window_inv_filtered(
                    |a, b| a + b,
                    |a, b| a - b,
                    secs(30),
                    secs(10),
                    |(_, c)| *c > 0,
                )
            }),
        ),
        (
            "update_state_by_key (running totals)",
            Box::new(|l| {
                pairs(l).update_state_by_key(|new: Vec<i64>, total: Option<i64>| {
                    Some(total.unwrap_or(0) + new.iter().sum::<i64>())
                })
            }),
        ),
    ];
    println!("   {:<38} | {:>12} | RSS MiB after batch 30 / 60 / 90 / 120", "pipeline", "words/s");
    for (name, pipeline) in variants {
        let (times, rss) = run_stateful(batches(n), pipeline);
        let words_per_s = (n as f64 * 100_000.0) / times.iter().sum::<f64>();
        println!(
            "   {name:<38} | {:>10.1} M | {:.0} / {:.0} / {:.0} / {:.0}",
            words_per_s / 1e6,
            rss[29],
            rss[59],
            rss[89],
            rss[119]
        );
    }
    println!();
    println!("   as the window grows (slide 1 s): median time per batch, recomputed vs incremental");
    for window in [5i64, 20, 60] {
        let count = (window as usize) + 20;
        let (plain, _) = run_stateful(batches(count), move |l| {
            pairs(l).reduce_by_key_and_window(|a, b| a + b, secs(window), secs(1))
        });
        let (incremental, _) = run_stateful(batches(count), move |l| {
            pairs(l).reduce_by_key_and_window_inv_filtered(
                |a, b| a + b,
                |a, b| a - b,
                secs(window),
                secs(1),
                |(_, c)| *c > 0,
            )
        });
        // Only batches with a full window.
        let full = |t: Vec<f64>| median(t[window as usize..].to_vec()) * 1000.0;
        let (p, i) = (full(plain), full(incremental));
        println!("   window {window:>3} s: recomputed {p:>7.2} ms, incremental {i:>7.2} ms ({:.1}x)", p / i);
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported: this runs everything.
    let manifest_path = spark_dir().join("corpus_manifest.json");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(&manifest_path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest_path.display())),
    )
    .unwrap();
    let entries = manifest["entries"].as_array().unwrap();
    let corpus = Corpus::new();

    println!(
        "dstream word-count benchmark ({} cores)",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    println!();
    println!("1. corpus: Rust port of gen_corpus.py, checked against corpus_manifest.json");
    let mut checked = 0;
    for entry in entries {
        let (words, batch) = (entry["words"].as_u64().unwrap(), entry["batch"].as_u64().unwrap());
        if words > 4_000_000 {
            continue; // 8M-word batches: same generator, long to hash; 100k..4M cover it
        }
        let bytes = corpus.generate(words, batch);
        let sha = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(sha, entry["sha256"].as_str().unwrap(), "corpus {words} words, batch {batch}: sha256");
        assert_eq!(bytes.len() as u64, entry["bytes"].as_u64().unwrap());
        checked += 1;
    }
    println!("   {checked} corpus files byte-identical to gen_corpus.py (sha256 match)");
    println!();
    println!(
        "2. word count per batch (median of 3 rounds of 6 batches, in turn; ours = queue_stream -> flat_map -> map -> reduce_by_key -> foreach_rdd keeping the result)"
    );
    println!(
        "   {:>9} | {:>14} {:>10} | {:>14} {:>10} | {:>6} | {:>10}",
        "words", "ours words/s", "peak MiB", "base words/s", "peak MiB", "ratio", "vs Spark"
    );
    // PySpark's words/s, measured earlier in this run by scripts/bench (spark_wordcount.py).
    let spark: Option<Value> = std::env::var_os("DSTREAM_BENCH_SPARK")
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| serde_json::from_str(&text).ok());
    for words in [100_000u64, 1_000_000, 4_000_000] {
        let batch_entries: Vec<&Value> =
            entries.iter().filter(|e| e["words"].as_u64() == Some(words)).take(6).collect();
        // The file's lines, as a text source delivers them.
        let batches: Vec<Vec<Text>> = batch_entries
            .iter()
            .map(|e| {
                let bytes = corpus.generate(words, e["batch"].as_u64().unwrap());
                String::from_utf8(bytes).unwrap().lines().map(Text::from).collect()
            })
            .collect();

        // Baseline and ours in turn, three rounds each on the same in-memory lines, so that both
        // see the same machine (its clock speed and neighbours drift over seconds).
        let (mut base_times, mut our_times) = (Vec::new(), Vec::new());
        let (mut base_peak, mut our_peak) = (0.0f64, 0.0f64);
        for _ in 0..ROUNDS {
            let (rss_before, _) = memory_mib();
            reset_peak_memory();
            let mut base_counts = Vec::new();
            for lines in &batches {
                let start = std::time::Instant::now();
                let counts = baseline(lines);
                base_times.push(start.elapsed().as_secs_f64());
                base_counts = counts.into_iter().map(|(w, c)| (w.to_string(), c)).collect();
            }
            base_peak = base_peak.max(memory_mib().1 - rss_before);
            check_counts(&base_counts, &batch_entries.last().unwrap()["wordcount_check"], "baseline");

            let input = batches.clone();
            let (rss_before, _) = memory_mib();
            reset_peak_memory();
            let (times, our_counts) = ours(input);
            our_times.extend(times);
            our_peak = our_peak.max(memory_mib().1 - rss_before);
            check_counts(&our_counts, &batch_entries.last().unwrap()["wordcount_check"], "dstream");
        }

        let ours_wps = words as f64 / median(our_times);
        let base_wps = words as f64 / median(base_times);
        let vs_spark = match spark.as_ref().and_then(|s| s[words.to_string()].as_f64()) {
            Some(spark_wps) => format!("{:>8.1}x", ours_wps / spark_wps),
            None => format!("{:>9}", "-"),
        };
        println!(
            "   {:>9} | {:>12.1} M {:>10.1} | {:>12.1} M {:>10.1} | {:>5.2}x | {vs_spark}",
            words,
            ours_wps / 1e6,
            our_peak,
            base_wps / 1e6,
            base_peak,
            ours_wps / base_wps,
        );
    }
    println!(
        "   (peak MiB: growth of the process's peak RSS over its RSS before the run, input lines excluded;"
    );
    if spark.is_some() {
        println!(
            "    vs Spark: against PySpark 4.3's DStream word count, local[2], measured before, in this run)"
        );
    } else {
        println!(
            "    vs Spark: run by scripts/bench, which measures PySpark in the same run; `scripts/spark install` adds it)"
        );
    }
    println!();

    println!("3. lab-sized batches (the lab's 3 sentences per batch, word count, 200 batches)");
    let lab = ["spark streaming dstream", "spark spark streaming", "big data spark"];
    let batches: Vec<Vec<Text>> = (0..200).map(|_| lab.iter().map(|s| Text::from(*s)).collect()).collect();
    let (times, counts) = ours(batches);
    assert_eq!(counts[0], ("spark".to_string(), 4));
    let micros: Vec<f64> = times.iter().map(|t| t * 1e6).collect();
    println!(
        "   processing time per batch: median {:.0} µs, max {:.0} µs (target: under 1000 µs)",
        median(micros.clone()),
        micros.iter().cloned().fold(0.0, f64::max)
    );
    println!();

    println!("4. batch firing on the system clock (50 ms batches, 40 batches)");
    let ssc = StreamingContext::new(Duration::from_millis(50)).unwrap();
    ssc.queue_stream(Vec::<Vec<Text>>::new(), true, None).count().foreach_rdd(|_| {});
    ssc.start().unwrap();
    while ssc.batch_history().len() < 40 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    ssc.stop(Stop::Now).unwrap();
    let lags: Vec<f64> = ssc
        .batch_history()
        .iter()
        .map(|b| {
            let boundary =
                std::time::UNIX_EPOCH + std::time::Duration::from_millis(b.batch_time().as_millis() as u64);
            b.submitted_at().duration_since(boundary).unwrap_or_default().as_secs_f64() * 1000.0
        })
        .collect();
    println!(
        "   batch cut after its boundary: median {:.2} ms, max {:.2} ms (target: within 5 ms)",
        median(lags.clone()),
        lags.iter().cloned().fold(0.0, f64::max)
    );
    println!();
    stateful_section(&corpus);
}
