//! `BatchInfo`: what happened to one batch (Spark's `BatchInfo`), for metrics and listeners.

use crate::time::Time;
use std::time::SystemTime;

/// Timing and size of one processed batch.
///
/// Delays follow Spark's definitions: *scheduling delay* is how long the batch waited, from its
/// boundary, before its output operations started (cutting it from the sources, and the
/// previous batches still running), *processing delay* how long its output operations took,
/// *total delay* both. On the system clock the boundary is the batch time itself.
///
/// # Examples
///
/// ```
/// use dstream::{DStream, testing};
///
/// let (_, history) = testing::run_batches_with_history(vec![vec![1, 2, 3]], |s: DStream<i32>| s);
/// assert_eq!(history[0].num_records(), 3);
/// assert!(history[0].total_delay() >= history[0].processing_delay());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchInfo {
    pub(crate) batch_time: Time,
    pub(crate) num_records: u64,
    pub(crate) input_descriptions: Vec<String>,
    pub(crate) submitted_at: SystemTime,
    pub(crate) processing_started_at: SystemTime,
    pub(crate) processing_ended_at: SystemTime,
}

impl BatchInfo {
    /// A batch processed elsewhere, described by its times: how another engine's micro-batches
    /// (Spark's triggers, say) are drawn with the same [`BatchTimeline`](crate::ui::BatchTimeline).
    /// `submitted_at` is when the batch was due (its boundary), `started`/`ended` when its
    /// processing ran.
    ///
    /// ```
    /// use dstream::{BatchInfo, Time};
    /// use std::time::{Duration, UNIX_EPOCH};
    ///
    /// let due = UNIX_EPOCH + Duration::from_secs(5);
    /// let info = BatchInfo::new(Time::from_millis(5000), 42, due, due, due + Duration::from_millis(600));
    /// assert_eq!(info.num_records(), 42);
    /// assert_eq!(info.processing_delay(), Duration::from_millis(600));
    /// assert_eq!(info.scheduling_delay(), Duration::ZERO);
    /// ```
    pub fn new(
        batch_time: Time,
        num_records: u64,
        submitted_at: SystemTime,
        started: SystemTime,
        ended: SystemTime,
    ) -> Self {
        BatchInfo {
            batch_time,
            num_records,
            input_descriptions: Vec::new(),
            submitted_at,
            processing_started_at: started,
            processing_ended_at: ended,
        }
    }

    /// The batch's time.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let (_, history) = testing::run_batches_with_history(vec![vec!["a", "b"]], |s: DStream<&str>| s);
    /// let info = &history[0];
    /// assert_eq!(info.batch_time().as_millis(), 1000);
    /// ```
    pub fn batch_time(&self) -> Time {
        self.batch_time
    }

    /// How many records the sources delivered for this batch.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let (_, history) = testing::run_batches_with_history(vec![vec!["a", "b"]], |s: DStream<&str>| s);
    /// let info = &history[0];
    /// assert_eq!(info.num_records(), 2);
    /// ```
    pub fn num_records(&self) -> u64 {
        self.num_records
    }

    /// What the sources that describe their batches read, one line each, e.g.
    /// `kafka_direct_stream: offsets phrases-0 [12, 17), phrases-1 [11, 15)` (Spark's input info
    /// "Description" on the Streaming UI's batch page).
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let (_, history) = testing::run_batches_with_history(vec![vec!["a", "b"]], |s: DStream<&str>| s);
    /// let info = &history[0];
    /// assert!(info.input_descriptions().is_empty(), "a queue stream describes nothing");
    /// ```
    pub fn input_descriptions(&self) -> &[String] {
        &self.input_descriptions
    }

    /// The batch's boundary, when it was due (wall clock): its batch time on the system clock;
    /// on a manual clock, when the clock reached it.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let (_, history) = testing::run_batches_with_history(vec![vec!["a", "b"]], |s: DStream<&str>| s);
    /// let info = &history[0];
    /// assert!(info.submitted_at() <= info.processing_started_at());
    /// ```
    pub fn submitted_at(&self) -> SystemTime {
        self.submitted_at
    }

    /// When its first output operation started (wall clock).
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let (_, history) = testing::run_batches_with_history(vec![vec!["a", "b"]], |s: DStream<&str>| s);
    /// let info = &history[0];
    /// assert!(info.processing_started_at() <= info.processing_ended_at());
    /// ```
    pub fn processing_started_at(&self) -> SystemTime {
        self.processing_started_at
    }

    /// When its last output operation ended (wall clock).
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let (_, history) = testing::run_batches_with_history(vec![vec!["a", "b"]], |s: DStream<&str>| s);
    /// let info = &history[0];
    /// assert!(info.processing_ended_at() >= info.submitted_at());
    /// ```
    pub fn processing_ended_at(&self) -> SystemTime {
        self.processing_ended_at
    }

    /// Time from the batch's boundary to the start of its output operations: cutting the batch
    /// from its sources, and waiting for earlier batches.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let (_, history) = testing::run_batches_with_history(vec![vec!["a", "b"]], |s: DStream<&str>| s);
    /// let info = &history[0];
    /// assert!(info.scheduling_delay() <= info.total_delay());
    /// ```
    pub fn scheduling_delay(&self) -> std::time::Duration {
        since(self.submitted_at, self.processing_started_at)
    }

    /// Time spent running the output operations.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let (_, history) = testing::run_batches_with_history(vec![vec!["a", "b"]], |s: DStream<&str>| s);
    /// let info = &history[0];
    /// assert!(info.processing_delay() <= info.total_delay());
    /// ```
    pub fn processing_delay(&self) -> std::time::Duration {
        since(self.processing_started_at, self.processing_ended_at)
    }

    /// Scheduling delay plus processing delay.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let (_, history) = testing::run_batches_with_history(vec![vec!["a", "b"]], |s: DStream<&str>| s);
    /// let info = &history[0];
    /// assert_eq!(info.total_delay(), info.scheduling_delay() + info.processing_delay());
    /// ```
    pub fn total_delay(&self) -> std::time::Duration {
        since(self.submitted_at, self.processing_ended_at)
    }
}

fn since(earlier: SystemTime, later: SystemTime) -> std::time::Duration {
    later.duration_since(earlier).unwrap_or_default()
}
