//! `collect_batches`: an output operation that keeps what each batch held, for a notebook to read
//! during or after the run (Structured Streaming's memory sink, for DStreams).

use crate::dstream::DStream;
use crate::rdd::Data;
use crate::time::Time;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

/// How many batches [`DStream::collect_batches`] keeps: the last 1,000 (83 minutes of 5 s
/// batches); older ones are dropped, and counted.
///
/// ```
/// use dstream::{DStream, DEFAULT_KEPT_BATCHES, testing};
///
/// let batches: Vec<Vec<i32>> = (0..DEFAULT_KEPT_BATCHES as i32 + 5).map(|i| vec![i]).collect();
/// let mut kept = None;
/// testing::run_batches(batches, |s: DStream<i32>| {
///     kept = Some(s.collect_batches());
///     s
/// });
/// let kept = kept.unwrap();
/// assert_eq!(kept.batches().len(), DEFAULT_KEPT_BATCHES);
/// assert_eq!(kept.dropped(), 5);
/// ```
pub const DEFAULT_KEPT_BATCHES: usize = 1000;

/// The batches a stream produced, as [`DStream::collect_batches`] keeps them: each batch's time
/// and records, oldest first.
///
/// A handle: clones read the same batches, and it can be read while the stream runs. Bounded: it
/// keeps the last [`DEFAULT_KEPT_BATCHES`] batches (or the count given to
/// [`collect_last_batches`](DStream::collect_last_batches)); [`dropped`](Self::dropped) says how
/// many older ones were let go.
///
/// # Examples
///
/// ```
/// use dstream::{DStream, PairDStreamExt, testing};
/// let mut kept = None;
/// testing::run_batches(vec![vec!["spark spark"], vec![], vec!["data"]], |lines: DStream<&str>| {
///     let counts = lines.flat_map(|l| l.split(' ')).map(|w| (w, 1)).reduce_by_key(|a, b| a + b);
///     kept = Some(counts.collect_batches());
///     counts
/// });
/// let kept = kept.unwrap();
/// assert_eq!(kept.len(), 3);
/// assert_eq!(kept.batch(0), Some(vec![("spark", 2)]));
/// assert_eq!(kept.last(), Some(vec![("data", 1)]));
/// assert_eq!(kept.records(), vec![("spark", 2), ("data", 1)]);
/// assert_eq!(kept.times()[2].as_millis(), 3000);
/// ```
pub struct CollectedBatches<T> {
    kept: Arc<Mutex<Kept<T>>>,
}

struct Kept<T> {
    batches: VecDeque<(Time, Vec<T>)>,
    capacity: usize,
    dropped: usize,
}

impl<T> Clone for CollectedBatches<T> {
    fn clone(&self) -> Self {
        CollectedBatches { kept: Arc::clone(&self.kept) }
    }
}

impl<T: Data> CollectedBatches<T> {
    fn new(capacity: usize) -> Self {
        let kept = Kept { batches: VecDeque::new(), capacity: capacity.max(1), dropped: 0 };
        CollectedBatches { kept: Arc::new(Mutex::new(kept)) }
    }

    fn lock(&self) -> MutexGuard<'_, Kept<T>> {
        // A panic elsewhere cannot leave the batches half-written: each push is one call.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, time: Time, records: Vec<T>) {
        let mut kept = self.lock();
        if kept.batches.len() == kept.capacity {
            kept.batches.pop_front();
            kept.dropped += 1;
        }
        kept.batches.push_back((time, records));
    }

    /// Each kept batch: its time and its records, oldest first.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let mut kept = None;
    /// testing::run_batches(vec![vec![1, 2], vec![], vec![3]], |s: DStream<i32>| {
    ///     kept = Some(s.collect_batches());
    ///     s
    /// });
    /// let kept = kept.unwrap();
    /// let batches = kept.batches();
    /// assert_eq!(batches[0].0.as_millis(), 1000);
    /// assert_eq!(batches[0].1, vec![1, 2]);
    /// ```
    pub fn batches(&self) -> Vec<(Time, Vec<T>)> {
        self.lock().batches.iter().cloned().collect()
    }

    /// The records of the `i`-th kept batch (0 is the oldest kept), if there is one.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let mut kept = None;
    /// testing::run_batches(vec![vec![1, 2], vec![], vec![3]], |s: DStream<i32>| {
    ///     kept = Some(s.collect_batches());
    ///     s
    /// });
    /// let kept = kept.unwrap();
    /// assert_eq!(kept.batch(1), Some(vec![]));
    /// assert_eq!(kept.batch(3), None);
    /// ```
    pub fn batch(&self, i: usize) -> Option<Vec<T>> {
        self.lock().batches.get(i).map(|(_, records)| records.clone())
    }

    /// The records of the latest batch, if there was one.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let mut kept = None;
    /// testing::run_batches(vec![vec![1, 2], vec![], vec![3]], |s: DStream<i32>| {
    ///     kept = Some(s.collect_batches());
    ///     s
    /// });
    /// let kept = kept.unwrap();
    /// assert_eq!(kept.last(), Some(vec![3]));
    /// ```
    pub fn last(&self) -> Option<Vec<T>> {
        self.lock().batches.back().map(|(_, records)| records.clone())
    }

    /// The times of the kept batches, oldest first.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let mut kept = None;
    /// testing::run_batches(vec![vec![1, 2], vec![], vec![3]], |s: DStream<i32>| {
    ///     kept = Some(s.collect_batches());
    ///     s
    /// });
    /// let kept = kept.unwrap();
    /// let ms: Vec<i64> = kept.times().iter().map(|t| t.as_millis()).collect();
    /// assert_eq!(ms, vec![1000, 2000, 3000]);
    /// ```
    pub fn times(&self) -> Vec<Time> {
        self.lock().batches.iter().map(|(time, _)| *time).collect()
    }

    /// The records of all kept batches, one batch after the other.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let mut kept = None;
    /// testing::run_batches(vec![vec![1, 2], vec![], vec![3]], |s: DStream<i32>| {
    ///     kept = Some(s.collect_batches());
    ///     s
    /// });
    /// let kept = kept.unwrap();
    /// assert_eq!(kept.records(), vec![1, 2, 3]);
    /// ```
    pub fn records(&self) -> Vec<T> {
        self.lock().batches.iter().flat_map(|(_, records)| records.iter().cloned()).collect()
    }

    /// How many batches are kept.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let mut kept = None;
    /// testing::run_batches(vec![vec![1, 2], vec![], vec![3]], |s: DStream<i32>| {
    ///     kept = Some(s.collect_batches());
    ///     s
    /// });
    /// let kept = kept.unwrap();
    /// assert_eq!(kept.len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.lock().batches.len()
    }

    /// Whether no batch was kept yet.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let mut kept = None;
    /// testing::run_batches(vec![vec![1, 2], vec![], vec![3]], |s: DStream<i32>| {
    ///     kept = Some(s.collect_batches());
    ///     s
    /// });
    /// let kept = kept.unwrap();
    /// assert!(!kept.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.lock().batches.is_empty()
    }

    /// How many of the oldest batches were let go to stay within the bound.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let mut kept = None;
    /// testing::run_batches(vec![vec![1, 2], vec![], vec![3]], |s: DStream<i32>| {
    ///     kept = Some(s.collect_batches());
    ///     s
    /// });
    /// let kept = kept.unwrap();
    /// assert_eq!(kept.dropped(), 0, "3 batches fit in the default bound");
    /// ```
    pub fn dropped(&self) -> usize {
        self.lock().dropped
    }
}

impl<T: fmt::Debug> fmt::Debug for CollectedBatches<T> {
    /// The number of batches kept, and the latest one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let mut s = f.debug_struct("CollectedBatches");
        s.field("batches", &kept.batches.len());
        if kept.dropped > 0 {
            s.field("dropped", &kept.dropped);
        }
        if let Some((time, records)) = kept.batches.back() {
            s.field("last_time", &time.as_millis()).field("last", records);
        }
        s.finish()
    }
}

impl<T: Data> DStream<T> {
    /// Keeps the records of each batch, for the notebook to read during or after the run: the
    /// returned handle lists them per batch ([`batches`](CollectedBatches::batches),
    /// [`last`](CollectedBatches::last)) or merged ([`records`](CollectedBatches::records)).
    /// An output operation, like `pprint`; keeps the last [`DEFAULT_KEPT_BATCHES`] batches.
    ///
    /// No `Arc<Mutex<..>>` to write: this is what `foreach_rdd(lambda rdd: results.append(rdd.collect()))`
    /// does in PySpark.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let mut kept = None;
    /// testing::run_batches(vec![vec![1, 2], vec![3]], |s: DStream<i32>| {
    ///     kept = Some(s.collect_batches());
    ///     s
    /// });
    /// assert_eq!(kept.unwrap().records(), vec![1, 2, 3]);
    /// ```
    pub fn collect_batches(&self) -> CollectedBatches<T> {
        self.collect_last_batches(DEFAULT_KEPT_BATCHES)
    }

    /// Like [`collect_batches`](DStream::collect_batches), keeping the last `n` batches (at
    /// least one).
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// let mut kept = None;
    /// testing::run_batches(vec![vec![1], vec![2], vec![3]], |s: DStream<i32>| {
    ///     kept = Some(s.collect_last_batches(2));
    ///     s
    /// });
    /// let kept = kept.unwrap();
    /// assert_eq!((kept.records(), kept.dropped()), (vec![2, 3], 1));
    /// ```
    pub fn collect_last_batches(&self, n: usize) -> CollectedBatches<T> {
        let kept = CollectedBatches::new(n);
        let sink = kept.clone();
        super::foreach::register(self, "collect_batches", move |rdd, time| {
            sink.push(time, rdd.collect());
            Ok(())
        });
        kept
    }
}
