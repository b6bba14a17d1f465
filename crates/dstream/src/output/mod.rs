//! Output operations: what a stream does with each batch (print, call a function, save files).
//!
//! Every output operation is a `ForEachDStream`, as in Spark; an output's batches are computed
//! only because the output asks for them. A batch's outputs run one after the other, in the order
//! they were declared.

mod collect;
mod foreach;
pub(crate) mod pprint;
pub(crate) mod save;

pub use collect::{CollectedBatches, DEFAULT_KEPT_BATCHES};

use crate::dstream::DStream;
use crate::error::{Error, ErrorKind, Result};
use crate::rdd::{Data, Rdd};
use crate::time::Time;
use std::fmt::Debug;

impl<T: Data> DStream<T> {
    /// Prints the first 10 records of each batch (Spark's `pprint()`).
    ///
    /// The layout is Spark's: a line of 43 dashes, `Time: ` and the batch time in local time,
    /// dashes again, at most 10 records in their `Debug` form (`("spark", 4)`), `...` if there
    /// were more, and an empty line. Empty batches print the header too.
    ///
    /// ```no_run
    /// # use dstream::{Duration, PairDStreamExt, StreamingContext};
    /// # let ssc = StreamingContext::new(Duration::from_secs(5))?;
    /// # let counts = ssc.queue_stream(vec![vec![("spark".to_string(), 4)]], true, None);
    /// counts.pprint();
    /// // -------------------------------------------
    /// // Time: 2026-11-25 09:39:20
    /// // -------------------------------------------
    /// // ("spark", 4)
    /// //
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn pprint(&self)
    where
        T: Debug,
    {
        self.pprint_n(10);
    }

    /// Prints the first `n` records of each batch, then `...` if there were more.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// testing::run_batches(vec![vec![1, 2, 3]], |s: DStream<i32>| {
    ///     s.pprint_n(2); // prints 1, 2, then "..."
    ///     s
    /// });
    /// ```
    pub fn pprint_n(&self, n: usize)
    where
        T: Debug,
    {
        foreach::register(self, "pprint", move |rdd, time| {
            use std::io::Write;
            let text = pprint::format_batch(&time.to_local_string(), rdd.iter(), n);
            // One write for the whole block, so concurrent prints do not interleave with it.
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            Ok(())
        });
    }

    /// Calls `f` with each batch's [`Rdd`] (Spark's `foreachRDD`).
    ///
    /// `f` returns nothing, or a [`dstream::Result<()>`](crate::Result): then `?` works inside it
    /// (on the crate's calls, file and parsing errors, or `Err("message".into())`), and an `Err`
    /// stops the context like a panic would, with an error naming the batch and the message.
    ///
    /// ```
    /// use dstream::{Duration, ManualClock, Clock, Stop, StreamingContext, Time};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let clock = ManualClock::new(Time::from_millis(0));
    /// let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
    /// let sizes = Arc::new(Mutex::new(Vec::new()));
    /// let sink = sizes.clone();
    /// ssc.queue_stream(vec![vec![1, 2, 3]], true, None)
    ///     .foreach_rdd(move |rdd| sink.lock().unwrap().push(rdd.count()));
    /// ssc.start()?;
    /// clock.advance(Duration::from_secs(1));
    /// while sizes.lock().unwrap().is_empty() { std::thread::yield_now(); }
    /// ssc.stop(Stop::Now)?;
    /// assert_eq!(sizes.lock().unwrap()[0], 3);
    /// # Ok::<(), dstream::Error>(())
    /// ```
    ///
    /// With `?` inside (the lab's `save_results`):
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let dir = testing::TempDir::new()?;
    /// let out = dir.path().join("results");
    /// testing::run_batches(vec![vec!["spark"], vec![]], |lines: DStream<&str>| {
    ///     lines.foreach_rdd(move |rdd| {
    ///         if !rdd.is_empty() {
    ///             rdd.save_as_text_file(&out)?;
    ///         }
    ///         Ok(())
    ///     });
    ///     lines
    /// });
    /// assert!(dir.path().join("results/_SUCCESS").exists());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn foreach_rdd<R: OutputResult>(&self, f: impl Fn(Rdd<T>) -> R + Send + Sync + 'static) {
        foreach::register(self, "foreach_rdd", move |rdd, _| f(rdd).into_result("foreach_rdd"));
    }

    /// Like [`foreach_rdd`](DStream::foreach_rdd), with the batch time as well (Spark's
    /// `foreachRDD(lambda time, rdd: ...)`).
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let dir = testing::TempDir::new()?;
    /// let prefix = dir.path().join("counts").display().to_string();
    /// testing::run_batches(vec![vec![("spark", 1)]], |counts: DStream<(&str, i32)>| {
    ///     counts.foreach_rdd_with_time(move |rdd, time| rdd.save_as_text_file(format!("{prefix}-{}", time.as_millis())));
    ///     counts
    /// });
    /// assert!(dir.path().join("counts-1000/part-00000").exists());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn foreach_rdd_with_time<R: OutputResult>(
        &self,
        f: impl Fn(Rdd<T>, Time) -> R + Send + Sync + 'static,
    ) {
        foreach::register(self, "foreach_rdd", move |rdd, time| f(rdd, time).into_result("foreach_rdd"));
    }

    /// Saves each batch as a directory `<prefix>-<batch time in ms>.<suffix>` (Spark's
    /// `saveAsTextFiles`; without the `.` when `suffix` is empty), laid out and written as
    /// [`Rdd::save_as_text_file`] does: `part-00000`, `part-00001`, ... and `_SUCCESS`, strings
    /// without quotes, other records in the form `pprint` shows.
    ///
    /// Each directory appears complete or not at all. A failure to write stops the stream with an
    /// error naming the directory.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let dir = std::env::temp_dir().join(format!("dstream-doc-save-{}", std::process::id()));
    /// let prefix = dir.join("counts");
    /// let p = prefix.clone();
    /// testing::run_batches(vec![vec![("spark", 4)]], move |s: DStream<(&str, i32)>| {
    ///     s.save_as_text_files(p.to_str().unwrap(), "txt");
    ///     s
    /// });
    /// let part = std::fs::read_to_string(dir.join("counts-1000.txt/part-00000")).unwrap();
    /// assert_eq!(part, "(\"spark\", 4)\n");
    /// assert!(dir.join("counts-1000.txt/_SUCCESS").exists());
    /// # std::fs::remove_dir_all(dir).ok();
    /// ```
    pub fn save_as_text_files(&self, prefix: &str, suffix: &str)
    where
        T: Debug,
    {
        let (prefix, suffix) = (prefix.to_string(), suffix.to_string());
        foreach::register(self, "save_as_text_files", move |rdd, time| {
            let dir = save::batch_dir_name(&prefix, &suffix, time);
            rdd.save_as_text_file(dir)
        });
    }
}

/// What a function given to [`foreach_rdd`](DStream::foreach_rdd) may return: nothing (`()`), or a
/// [`dstream::Result<()>`](crate::Result) whose `Err` fails the batch.
///
/// # Examples
///
/// ```
/// use dstream::OutputResult;
///
/// assert!(().into_result("foreach_rdd").is_ok());
/// let failed: dstream::Result<()> = Err("disk full".into());
/// let err = failed.into_result("foreach_rdd").unwrap_err();
/// assert_eq!(err.to_string(), "the function given to foreach_rdd returned an error: disk full");
/// ```
#[diagnostic::on_unimplemented(
    message = "a function given to `foreach_rdd` returns `()` or `dstream::Result<()>`, not `{Self}`",
    label = "this returns `{Self}`",
    note = "end the function with `;` to return nothing, or with `Ok(())` to use `?` inside it"
)]
pub trait OutputResult {
    /// `Ok` for `()`; the error itself, told as the function's, for an `Err`.
    fn into_result(self, operation: &str) -> Result<()>;
}

impl OutputResult for () {
    fn into_result(self, _: &str) -> Result<()> {
        Ok(())
    }
}

impl OutputResult for Result<()> {
    fn into_result(self, operation: &str) -> Result<()> {
        self.map_err(|e| {
            let kind = if e.kind() == ErrorKind::Io { ErrorKind::Io } else { ErrorKind::UserCode };
            Error::new(kind, format!("the function given to {operation} returned an error: {e}"))
        })
    }
}
