//! Stateless pipelines over Spark's golden input, compared with what real Spark computed
//! (`../shared/spark/golden/`, made by `conformance.py` with PySpark 4.3).
//!
//! Spark's record order is hash-partition order; ours is first-occurrence order (documented in the
//! crate). So results are compared as Spark's `result` field (sorted) against ours sorted, except
//! where the golden file keeps the order (`words`, `transform_distinct_sorted`), which we match
//! exactly.

mod util;

use dstream::{DStream, PairDStreamExt, Rdd, StatCounter};
use serde_json::Value;
use util::{golden_input, golden_lines, py_pair};

const STOP: [&str; 7] = ["the", "a", "an", "and", "or", "is", "are"];

/// Runs `pipeline` over the golden input for as many batches as Spark ran.
fn run<U: dstream::Data>(pipeline: impl FnOnce(DStream<String>) -> DStream<U>) -> Vec<Option<Vec<U>>> {
    let (batches, total) = golden_input();
    dstream::testing::run_batches_emitted(batches, total, pipeline)
}

fn words(lines: DStream<String>) -> DStream<String> {
    lines.flat_map(|line| line.split(' ').map(String::from).collect::<Vec<_>>())
}

fn word_count(words: DStream<String>) -> DStream<(String, i64)> {
    words.map(|w| (w, 1i64)).reduce_by_key(|a, b| a + b)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().expect("a list").iter().map(|s| s.as_str().expect("a string").to_string()).collect()
}

fn pairs(v: &Value) -> Vec<(String, i64)> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|p| (p[0].as_str().expect("a word").to_string(), p[1].as_i64().expect("a count")))
        .collect()
}

fn numbers(v: &Value) -> Vec<i64> {
    v.as_array().expect("a list").iter().map(|n| n.as_i64().expect("an integer")).collect()
}

/// Checks batch by batch: same `emitted`, and `same(ours, golden)` where emitted.
fn check<U>(name: &str, ours: &[Option<Vec<U>>], same: impl Fn(&Vec<U>, &Value) -> bool)
where
    U: std::fmt::Debug,
{
    let golden = golden_lines(name);
    assert_eq!(ours.len(), golden.len(), "{name}: number of batches");
    for (i, (mine, spark)) in ours.iter().zip(&golden).enumerate() {
        let emitted = spark["emitted"].as_bool().expect("emitted");
        assert_eq!(mine.is_some(), emitted, "{name}, batch {i}: emitted");
        if let Some(mine) = mine {
            assert!(
                same(mine, &spark["result"]),
                "{name}, batch {i}:\n ours:  {mine:?}\n spark: {}",
                spark["result"]
            );
        }
    }
}

fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v
}

#[test]
fn lines_match_spark() {
    check("lines", &run(|lines| lines), |mine, spark| sorted(mine) == strings(spark));
}

#[test]
fn words_match_spark_in_order() {
    // `str::split(' ')` is Python's `split(" ")`: empty strings between spaces, tabs kept.
    check("words", &run(words), |mine, spark| *mine == strings(spark));
}

#[test]
fn wordcount_matches_spark() {
    check("wordcount", &run(|l| word_count(words(l))), |mine, spark| sorted(mine) == pairs(spark));
}

#[test]
fn wordcount_is_in_first_occurrence_order() {
    // Deliberate difference: Spark prints ('streaming', 2), ('dstream', 1), ('big', 1), ...
    let out = run(|l| word_count(words(l)));
    let first: Vec<&str> = out[0].as_ref().unwrap().iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(first, ["spark", "streaming", "dstream", "big", "data"]);
}

#[test]
fn stopwords_as_in_the_lab_match_spark() {
    // The lab's filter: lower-case for the test, keep the original word.
    let out = run(|l| word_count(words(l).filter(|w| !STOP.contains(&w.to_lowercase().as_str()))));
    check("wordcount_stopwords", &out, |mine, spark| sorted(mine) == pairs(spark));
}

#[test]
fn stopwords_lowercased_first_match_spark() {
    let out = run(|l| word_count(words(l).map(|w| w.to_lowercase()).filter(|w| !STOP.contains(&w.as_str()))));
    check("wordcount_stopwords_lower", &out, |mine, spark| sorted(mine) == pairs(spark));
}

#[test]
fn word_length_stats_match_spark_and_survive_empty_batches() {
    // Word length in code points, as Python's len(): "🚀" is 1.
    let out =
        run(|l| words(l).map(|w| w.chars().count()).transform(|rdd: Rdd<usize>| Rdd::new(vec![rdd.stats()])));
    let golden = golden_lines("length_stats");
    let close = |a: f64, b: &Value| match b {
        Value::String(s) if s == "NaN" => a.is_nan(),
        Value::String(s) if s == "Infinity" => a == f64::INFINITY,
        Value::String(s) if s == "-Infinity" => a == f64::NEG_INFINITY,
        v => (a - v.as_f64().unwrap()).abs() <= 1e-9 * (1.0 + a.abs()),
    };
    for (i, (mine, spark)) in out.iter().zip(&golden).enumerate() {
        let s: &StatCounter = &mine.as_ref().expect("emitted")[0];
        let r = &spark["result"];
        assert_eq!(s.count(), r["count"].as_u64().unwrap(), "batch {i}: count");
        for (name, value) in [
            ("mean", s.mean()),
            ("stdev", s.stdev()),
            ("sampleStdev", s.sample_stdev()),
            ("variance", s.variance()),
            ("sampleVariance", s.sample_variance()),
            ("max", s.max()),
            ("min", s.min()),
            ("sum", s.sum()),
        ] {
            assert!(close(value, &r[name]), "batch {i}: {name} = {value}, Spark {}", r[name]);
        }
        // PySpark's repr: same fields and layout; integers, nan and inf exactly, mean and stdev to
        // within a tolerance (Spark merges two partitions' partial results, we may merge others,
        // so the last digit can differ: 2.8823529411764706 here, 2.882352941176471 in Spark).
        same_repr(&s.to_string(), spark["repr"].as_str().unwrap(), i);
    }
}

fn same_repr(ours: &str, spark: &str, batch: usize) {
    let fields = |s: &str| -> Vec<(String, String)> {
        let inner = s.strip_prefix('(').and_then(|s| s.strip_suffix(')')).expect("parenthesised");
        inner
            .split(", ")
            .map(|f| {
                let (k, v) = f.split_once(": ").expect("key: value");
                (k.to_string(), v.to_string())
            })
            .collect()
    };
    let (mine, theirs) = (fields(ours), fields(spark));
    assert_eq!(mine.len(), theirs.len(), "batch {batch}: {ours} vs {spark}");
    for ((k1, v1), (k2, v2)) in mine.iter().zip(&theirs) {
        assert_eq!(k1, k2, "batch {batch}: field order");
        let approx = (k1 == "mean" || k1 == "stdev") && v2 != "nan";
        if approx {
            let (a, b): (f64, f64) = (v1.parse().unwrap(), v2.parse().unwrap());
            assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "batch {batch}: {k1} {v1} vs {v2}");
            assert_eq!(v1.contains('.'), v2.contains('.'), "batch {batch}: {k1} printed as a float");
        } else {
            assert_eq!(v1, v2, "batch {batch}: {k1}");
        }
    }
}

#[test]
fn counts_match_spark() {
    check("count_lines", &run(|l| l.count()), |mine, spark| *mine == numbers(spark));
    check("count_words", &run(|l| words(l).count()), |mine, spark| *mine == numbers(spark));
}

#[test]
fn count_by_value_matches_spark() {
    check("countByValue", &run(|l| words(l).count_by_value()), |mine, spark| sorted(mine) == pairs(spark));
}

#[test]
fn transform_distinct_sorted_matches_spark_in_order() {
    let out = run(|l| words(l).transform(|rdd| rdd.distinct().sort_by(|w| w.clone())));
    check("transform_distinct_sorted", &out, |mine, spark| *mine == strings(spark));
}

#[test]
fn union_wordcount_matches_spark() {
    let out = run(|l| {
        let w = words(l);
        word_count(w.union(&w.map(|w| w.to_uppercase())))
    });
    check("union_wordcount", &out, |mine, spark| sorted(mine) == pairs(spark));
}

#[test]
fn save_as_text_files_layout_matches_spark() {
    let dir = util::TempDir::new("conformance-save");
    let prefix = dir.0.join("wc").to_str().unwrap().to_string();
    let (batches, total) = golden_input();
    dstream::testing::run_batches_emitted(batches, total, move |lines| {
        let counts = word_count(words(lines));
        counts.save_as_text_files(&prefix, "txt");
        counts
    });
    let golden = golden_lines("saveAsTextFiles");
    for spark in &golden {
        let i = spark["batch"].as_u64().unwrap() as i64;
        let batch_dir = dir.0.join(format!("wc-{}.txt", (i + 1) * 1000));
        assert!(batch_dir.is_dir(), "batch {i}: {} missing", batch_dir.display());
        let mut ours: Vec<String> = std::fs::read_dir(&batch_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        ours.sort();
        // Spark (through Hadoop's local file system) also writes `.crc` checksum files; we don't.
        let theirs: Vec<String> = spark["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .filter(|n| !n.ends_with(".crc"))
            .collect();
        assert_eq!(ours, theirs, "batch {i}: files");
        assert_eq!(std::fs::metadata(batch_dir.join("_SUCCESS")).unwrap().len(), 0);
        // The same records across the part files, each as its string form on one line:
        // Rust's Debug form for us, Python's repr for PySpark.
        let mut our_lines = Vec::new();
        for part in ours.iter().filter(|n| n.starts_with("part-")) {
            let text = std::fs::read_to_string(batch_dir.join(part)).unwrap();
            for line in text.lines() {
                let (word, count): (String, i64) = parse_debug_pair(line);
                our_lines.push(py_pair(&word, count));
            }
        }
        let mut their_lines: Vec<String> =
            spark["part_lines"].as_object().unwrap().values().flat_map(strings).collect();
        our_lines.sort();
        their_lines.sort();
        assert_eq!(our_lines, their_lines, "batch {i}: records");
    }
}

#[test]
fn saved_strings_are_written_as_spark_writes_str_of_them() {
    // Spark's saveAsTextFiles writes str(record): a word as itself. Reading the part files back
    // gives Spark's words of each batch (the golden `words`), empty strings and tabs included.
    let dir = util::TempDir::new("conformance-save-words");
    let prefix = dir.0.join("words").to_str().unwrap().to_string();
    let (batches, total) = golden_input();
    dstream::testing::run_batches_emitted(batches, total, move |lines| {
        let words = words(lines);
        words.save_as_text_files(&prefix, "");
        words
    });
    let saved = dstream::testing::read_saved_batches(&dir.0).unwrap();
    for spark in golden_lines("words") {
        let i = spark["batch"].as_u64().unwrap() as i64;
        let name = format!("words-{}", (i + 1) * 1000);
        let mut theirs = strings(&spark["result"]);
        theirs.sort();
        assert_eq!(saved[&name], theirs, "batch {i}");
    }
}

/// Parses `("word", 4)` as written by our `Debug` form.
fn parse_debug_pair(line: &str) -> (String, i64) {
    let inner = line.strip_prefix('(').and_then(|l| l.strip_suffix(')')).expect("a tuple");
    let (word, count) = inner.rsplit_once(", ").expect("two fields");
    (unescape_debug(word), count.parse().expect("a count"))
}

/// Reads back a string in Rust's `Debug` form (`"tab\tx\u{301}"`).
fn unescape_debug(quoted: &str) -> String {
    let body = quoted.strip_prefix('"').and_then(|s| s.strip_suffix('"')).expect("quoted");
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next().expect("an escape") {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'u' => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
            }
            other => out.push(other),
        }
    }
    out
}

/// Re-runs this test binary as a child that really prints with `pprint`, and compares its stdout
/// with Spark's `pprint.txt`.
#[test]
fn pprint_output_matches_spark_layout() {
    if std::env::var_os("DSTREAM_PPRINT_CHILD").is_some() {
        return; // we are the child: `pprint_child` does the printing
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", "pprint_child", "--nocapture", "--test-threads=1"])
        .env("DSTREAM_PPRINT_CHILD", "1")
        .env("TZ", "Europe/Paris")
        .output()
        .expect("the test binary runs");
    assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let printed = stdout
        .split_once("<<<PPRINT\n")
        .and_then(|(_, rest)| rest.split_once("PPRINT>>>"))
        .map(|(text, _)| text)
        .expect("the child's markers");
    // Batch i runs at (i + 1) s after the epoch: 01:00:0x in Paris (UTC+1 in January).
    let (_, total) = golden_input();
    let mut normalised = printed.to_string();
    for i in (0..total).rev() {
        let shown = format!("Time: 1970-01-01 01:00:{:02}\n", i + 1);
        normalised = normalised.replace(&shown, &format!("Time: <batch {i}>\n"));
    }
    let golden = std::fs::read_to_string(util::spark_dir().join("golden/pprint.txt")).unwrap();
    let ours = blocks(&normalised);
    let theirs = blocks(&golden);
    assert_eq!(ours.len(), theirs.len(), "number of pprint blocks");
    for (mine, spark) in ours.iter().zip(&theirs) {
        // Same header, same number of records shown, same "..." and blank line; the records
        // themselves are the same set when all are shown (Spark's order differs from ours).
        assert_eq!(mine.header, spark.header);
        assert_eq!(mine.records.len(), spark.records.len(), "{}", spark.header);
        assert_eq!(mine.more, spark.more, "{}", spark.header);
        if !spark.more {
            let as_python: Vec<String> = mine
                .records
                .iter()
                .map(|r| {
                    let (w, c) = parse_debug_pair(r);
                    py_pair(&w, c)
                })
                .collect();
            assert_eq!(sorted(&as_python), sorted(&spark.records), "{}", spark.header);
        }
    }
}

/// Not a test of its own: the child half of `pprint_output_matches_spark_layout`.
#[test]
fn pprint_child() {
    if std::env::var_os("DSTREAM_PPRINT_CHILD").is_none() {
        return;
    }
    println!("<<<PPRINT");
    let (batches, total) = golden_input();
    dstream::testing::run_batches_emitted(batches, total, |lines| {
        let counts = word_count(words(lines));
        counts.pprint();
        counts.pprint_n(3);
        counts
    });
    println!("PPRINT>>>");
}

struct Block {
    header: String,
    records: Vec<String>,
    more: bool,
}

/// Splits pprint output into blocks, checking each block's frame (rules and final blank line).
fn blocks(text: &str) -> Vec<Block> {
    let rule = "-".repeat(43);
    let mut lines = text.lines().peekable();
    let mut out = Vec::new();
    while let Some(first) = lines.next() {
        assert_eq!(first, rule, "a block starts with 43 dashes");
        let header = lines.next().expect("a Time: line").to_string();
        assert!(header.starts_with("Time: "), "{header}");
        assert_eq!(lines.next(), Some(rule.as_str()));
        let mut records = Vec::new();
        let mut more = false;
        for line in lines.by_ref() {
            match line {
                "" => break,
                "..." => more = true,
                record => records.push(record.to_string()),
            }
        }
        out.push(Block { header, records, more });
    }
    out
}
