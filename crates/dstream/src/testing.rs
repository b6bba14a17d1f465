//! Running a pipeline over fixed batches on a manual clock: deterministic results for doc tests,
//! unit tests and notebook graders (like timely's `example`).

use crate::clock::{Clock, ManualClock};
use crate::context::{Stop, StreamingContext};
use crate::dstream::DStream;
use crate::rdd::Data;
use crate::scheduler::BatchInfo;
use crate::time::{Duration, Time};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The batch interval of test runs: batch `i` has time `(i + 1)` seconds after the epoch.
///
/// ```
/// use dstream::testing::{TEST_BATCH_INTERVAL, run_batches_with_history};
/// use dstream::{DStream, Time};
///
/// let (_, history) = run_batches_with_history(vec![vec![1], vec![2]], |s: DStream<i32>| s);
/// assert_eq!(history[1].batch_time(), Time::from_millis(0) + TEST_BATCH_INTERVAL * 2);
/// ```
pub const TEST_BATCH_INTERVAL: Duration = Duration::from_secs(1);

/// How long to wait for one batch before giving up (a pipeline that loops forever).
const BATCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs `pipeline` over `batches` (one batch per interval, fed through
/// `queue_stream(batches, true, None)`) and returns what the resulting stream holds at each batch.
///
/// Runs on a [`ManualClock`] with a 1 s interval, so it takes no longer than the work itself and
/// gives the same result every time. A batch at which the stream emits nothing (a window between
/// two slides) gives an empty `Vec`; see [`run_batches_emitted`] to tell the two apart.
///
/// # Panics
///
/// If the pipeline fails (a function of it panics), with the stream's error message, or if a batch
/// takes longer than a minute.
///
/// A pipeline that needs a checkpoint directory (`update_state_by_key`,
/// `reduce_by_key_and_window_inv`...) and sets none gets a temporary one, removed afterwards.
///
/// # Examples
///
/// ```
/// use dstream::{DStream, PairDStreamExt, testing::run_batches};
///
/// let counts = run_batches(vec![vec!["a b a"], vec![]], |lines: DStream<&str>| {
///     lines.flat_map(|l| l.split(' ').collect::<Vec<_>>()).map(|w| (w, 1)).reduce_by_key(|a, b| a + b)
/// });
/// assert_eq!(counts, vec![vec![("a", 2), ("b", 1)], vec![]]);
/// ```
pub fn run_batches<T: Data, U: Data>(
    batches: Vec<Vec<T>>,
    pipeline: impl FnOnce(DStream<T>) -> DStream<U>,
) -> Vec<Vec<U>> {
    run_batches_with_history(batches, pipeline).0
}

/// Like [`run_batches`], also returning each batch's [`BatchInfo`].
///
/// ```
/// use dstream::{DStream, testing};
/// let (out, history) = testing::run_batches_with_history(vec![vec![1, 2], vec![3]], |s: DStream<i32>| s.count());
/// assert_eq!(out, vec![vec![2], vec![1]]);
/// assert_eq!(history.iter().map(|b| b.num_records()).collect::<Vec<_>>(), vec![2, 1]);
/// ```
pub fn run_batches_with_history<T: Data, U: Data>(
    batches: Vec<Vec<T>>,
    pipeline: impl FnOnce(DStream<T>) -> DStream<U>,
) -> (Vec<Vec<U>>, Vec<BatchInfo>) {
    let n = batches.len();
    let (outputs, history) = run(batches, n, pipeline);
    (outputs.into_iter().map(Option::unwrap_or_default).collect(), history)
}

/// Runs `pipeline` for `n_batches` batches (at least `batches.len()`; the extra ones find the
/// queue empty) and returns, per batch, `Some(records)` when the stream had a batch then and
/// `None` when it did not (Spark's `emitted`).
///
/// ```
/// use dstream::{DStream, testing::run_batches_emitted};
/// let out = run_batches_emitted(vec![vec![1]], 2, |s: DStream<i32>| s.count());
/// assert_eq!(out, vec![Some(vec![1]), Some(vec![0])]);
/// ```
pub fn run_batches_emitted<T: Data, U: Data>(
    batches: Vec<Vec<T>>,
    n_batches: usize,
    pipeline: impl FnOnce(DStream<T>) -> DStream<U>,
) -> Vec<Option<Vec<U>>> {
    run(batches, n_batches, pipeline).0
}

fn run<T: Data, U: Data>(
    batches: Vec<Vec<T>>,
    n_batches: usize,
    pipeline: impl FnOnce(DStream<T>) -> DStream<U>,
) -> (Vec<Option<Vec<U>>>, Vec<BatchInfo>) {
    let n_batches = n_batches.max(batches.len());
    let clock = ManualClock::new(Time::from_millis(0));
    let ssc = StreamingContext::with_clock(TEST_BATCH_INTERVAL, Clock::Manual(clock.clone()))
        .expect("the test interval is positive");
    // Two partitions, like Spark's local[2], whatever the machine.
    ssc.set_default_parallelism(2);
    let output = pipeline(ssc.queue_stream(batches, true, None));
    // A pipeline that needs a checkpoint directory (state, incremental windows) gets a fresh
    // one of its own when it set none: what is tested is the pipeline, not where it keeps its
    // checkpoints.
    let scratch = provide_checkpoint_dir(&ssc);
    let outputs: Arc<Mutex<Vec<Option<Vec<U>>>>> = Arc::new(Mutex::new(vec![None; n_batches]));
    let sink = Arc::clone(&outputs);
    output.foreach_rdd_with_time(move |rdd, time| {
        let index = (time.as_millis() / TEST_BATCH_INTERVAL.as_millis() - 1) as usize;
        if let Some(slot) = sink.lock().unwrap_or_else(|e| e.into_inner()).get_mut(index) {
            *slot = Some(rdd.collect());
        }
    });
    if let Err(err) = ssc.start() {
        panic!("the test pipeline cannot start: {err}");
    }
    for i in 1..=n_batches as i64 {
        let time = Time::from_millis(i * TEST_BATCH_INTERVAL.as_millis());
        clock.set(time);
        if let Err(err) = ssc.wait_for_batch(time, BATCH_TIMEOUT) {
            let _ = ssc.stop(Stop::Now);
            panic!("the test pipeline failed: {err}");
        }
    }
    let history = ssc.batch_history();
    let _ = ssc.stop(Stop::Now);
    if let Some(dir) = scratch {
        let _ = std::fs::remove_dir_all(dir);
    }
    let outputs = std::mem::take(&mut *outputs.lock().unwrap_or_else(|e| e.into_inner()));
    (outputs, history)
}

/// Sets a fresh temporary checkpoint directory on `ssc` if its pipeline requires one and has
/// none; returns it, to be removed after the run.
fn provide_checkpoint_dir(ssc: &StreamingContext) -> Option<std::path::PathBuf> {
    let needed = {
        let state = ssc.shared().lock();
        state.checkpoint_dir.is_none() && state.graph.stateful.iter().any(|op| op.requires_checkpoint())
    };
    if !needed {
        return None;
    }
    let dir = unique_temp_path("dstream-run-batches");
    ssc.checkpoint(&dir).ok()?;
    Some(dir)
}

/// `records`, sorted: compares batches as multisets, for pipelines whose order within a batch
/// is not the point (Spark's order within a batch is its hash partitioning's, so any order is
/// a correct one).
///
/// ```
/// use dstream::testing::sorted;
/// assert_eq!(sorted(vec![("b", 1), ("a", 2)]), sorted(vec![("a", 2), ("b", 1)]));
/// ```
pub fn sorted<T: Ord>(mut records: Vec<T>) -> Vec<T> {
    records.sort();
    records
}

/// A path in the system's temporary folder that no other run uses: `<label>-<pid>-<ns>-<n>`.
fn unique_temp_path(label: &str) -> PathBuf {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("{label}-{}-{nanos}-{n}", std::process::id()))
}

/// A fresh, empty folder in the system's temporary folder, removed with everything in it when
/// the value is dropped: where a test saves batches and reads them back.
///
/// ```
/// use dstream::testing::TempDir;
/// let dir = TempDir::new()?;
/// std::fs::write(dir.path().join("notes.txt"), "spark")?;
/// let kept = dir.path().to_path_buf();
/// drop(dir);
/// assert!(!kept.exists());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates the folder.
    ///
    /// ```
    /// use dstream::testing::TempDir;
    /// let dir = TempDir::new()?;
    /// assert!(dir.path().is_dir());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> std::io::Result<TempDir> {
        let path = unique_temp_path("dstream-test");
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }

    /// Where the folder is.
    ///
    /// ```
    /// use dstream::testing::TempDir;
    /// let dir = TempDir::new()?;
    /// std::fs::write(dir.path().join("a.txt"), "spark")?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// What a folder of saved batches holds: for each directory in `dir` (one per saved batch, as
/// [`Rdd::save_as_text_file`](crate::Rdd::save_as_text_file) and
/// [`DStream::save_as_text_files`] write them), its name and the lines of its `part-*` files,
/// sorted (the order of records within a batch is not the point). Files directly in `dir` are
/// left out.
///
/// ```
/// use dstream::{DStream, testing::{self, TempDir}};
/// let dir = TempDir::new()?;
/// let prefix = dir.path().join("counts").display().to_string();
/// testing::run_batches(vec![vec![("b", 1), ("a", 2)]], |s: DStream<(&str, i32)>| {
///     s.save_as_text_files(&prefix, "");
///     s
/// });
/// let saved = testing::read_saved_batches(dir.path())?;
/// assert_eq!(saved["counts-1000"], [r#"("a", 2)"#, r#"("b", 1)"#]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_saved_batches(dir: impl AsRef<Path>) -> std::io::Result<BTreeMap<String, Vec<String>>> {
    let mut saved = BTreeMap::new();
    for entry in std::fs::read_dir(dir.as_ref())? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let mut lines = Vec::new();
        for part in std::fs::read_dir(entry.path())? {
            let part = part?;
            if part.file_name().to_string_lossy().starts_with("part-") {
                lines.extend(std::fs::read_to_string(part.path())?.lines().map(str::to_string));
            }
        }
        lines.sort();
        saved.insert(entry.file_name().to_string_lossy().into_owned(), lines);
    }
    Ok(saved)
}
