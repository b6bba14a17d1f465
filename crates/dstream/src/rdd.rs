//! `Rdd<T>`: the immutable, partitioned data of one batch.

use crate::aggregate;
use crate::error::Result;
use crate::partition::{map_partitions, split, worth_parallel};
use crate::stats::{StatCounter, StatValue};
use std::fmt::Debug;
use std::hash::Hash;
use std::path::Path;
use std::sync::Arc;

/// What a stream can carry: owned data that threads can share.
///
/// Every `Clone + Send + Sync + 'static` type is `Data` (`String`, numbers, tuples, `Vec`s...).
pub trait Data: Clone + Send + Sync + 'static {}
impl<T: Clone + Send + Sync + 'static> Data for T {}

/// The data of one batch (Spark's RDD, without the distribution): records split into partitions,
/// immutable, cheap to clone (clones share the records).
///
/// Operations keep the records' order: partition by partition, and within a partition in the order
/// they arrived. Large batches are processed one partition per core.
///
/// # Examples
///
/// ```
/// use dstream::Rdd;
///
/// let rdd = Rdd::new(vec!["spark", "streaming", "spark"]);
/// assert_eq!(rdd.count(), 3);
/// let lengths = rdd.clone().map(|w| w.len());
/// assert_eq!(lengths.collect(), vec![5, 9, 5]);
/// assert_eq!(rdd.distinct().sort_by(|w| *w).collect(), vec!["spark", "streaming"]);
/// ```
pub struct Rdd<T> {
    parts: Arc<Vec<Vec<T>>>,
}

impl<T> Clone for Rdd<T> {
    fn clone(&self) -> Self {
        Rdd { parts: Arc::clone(&self.parts) }
    }
}

impl<T: Debug> Debug for Rdd<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.parts.iter().flatten()).finish()
    }
}

impl<T: Data> Rdd<T> {
    /// An RDD with one partition holding `data`.
    pub fn new(data: Vec<T>) -> Self {
        Rdd::from_partitions(vec![data])
    }

    /// An RDD with the given partitions.
    pub fn from_partitions(parts: Vec<Vec<T>>) -> Self {
        Rdd { parts: Arc::new(parts) }
    }

    /// An RDD with no record and no partition.
    pub fn empty() -> Self {
        Rdd::from_partitions(Vec::new())
    }

    /// `data` split into `n` contiguous partitions.
    pub(crate) fn split(data: Vec<T>, n: usize) -> Self {
        Rdd::from_partitions(split(data, n))
    }

    /// The partitions, owned: moved out when this is the only handle, copied otherwise.
    pub(crate) fn into_partitions(self) -> Vec<Vec<T>> {
        Arc::try_unwrap(self.parts).unwrap_or_else(|shared| (*shared).clone())
    }

    /// How many partitions.
    pub fn num_partitions(&self) -> usize {
        self.parts.len()
    }

    /// The partitions themselves.
    pub fn partitions(&self) -> &[Vec<T>] {
        &self.parts
    }

    /// The records, by reference, in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.parts.iter().flatten()
    }

    /// All records, in order.
    pub fn collect(&self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.count());
        for part in self.parts.iter() {
            out.extend_from_slice(part);
        }
        out
    }

    /// How many records.
    pub fn count(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    /// Whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(Vec::is_empty)
    }

    /// The first `n` records.
    pub fn take(&self, n: usize) -> Vec<T> {
        self.iter().take(n).cloned().collect()
    }

    /// The first record, if any.
    pub fn first(&self) -> Option<T> {
        self.iter().next().cloned()
    }

    /// Whether work on this batch is worth spreading over threads.
    fn parallel(&self) -> bool {
        worth_parallel(self.count())
    }

    /// Applies `f` to every record.
    pub fn map<U: Data>(self, f: impl Fn(T) -> U + Sync) -> Rdd<U> {
        let parallel = self.parallel();
        let parts = map_partitions(self.into_partitions(), parallel, |p| p.into_iter().map(&f).collect());
        Rdd::from_partitions(parts)
    }

    /// Applies `f` to every record and flattens the results.
    pub fn flat_map<U: Data, I: IntoIterator<Item = U>>(self, f: impl Fn(T) -> I + Sync) -> Rdd<U> {
        let parallel = self.parallel();
        let parts =
            map_partitions(self.into_partitions(), parallel, |p| p.into_iter().flat_map(&f).collect());
        Rdd::from_partitions(parts)
    }

    /// Keeps the records for which `f` is true.
    pub fn filter(self, f: impl Fn(&T) -> bool + Sync) -> Rdd<T> {
        let parallel = self.parallel();
        let parts = map_partitions(self.into_partitions(), parallel, |mut p| {
            p.retain(&f);
            p
        });
        Rdd::from_partitions(parts)
    }

    /// Combines all records with `f` (`None` when empty; Spark would fail instead).
    pub fn reduce(self, f: impl Fn(T, T) -> T + Sync) -> Option<T> {
        let parallel = self.parallel();
        let partials = map_partitions(self.into_partitions(), parallel, |p| p.into_iter().reduce(&f));
        partials.into_iter().flatten().reduce(&f)
    }

    /// The records in ascending order of `key` (a stable sort), keeping the partition count.
    pub fn sort_by<K: Ord>(self, key: impl Fn(&T) -> K) -> Rdd<T> {
        let n = self.num_partitions();
        let mut all: Vec<T> = self.into_partitions().into_iter().flatten().collect();
        all.sort_by_key(|r| key(r));
        Rdd::split(all, n)
    }

    /// Writes the records to the directory `path` as Spark does: one `part-NNNNN` text file per
    /// partition, one record per line in its `Debug` form, and an empty `_SUCCESS` file.
    ///
    /// The directory appears at once, complete (it is written aside, then renamed); an existing
    /// directory of that name is replaced.
    pub fn save_as_text_file(&self, path: impl AsRef<Path>) -> Result<()>
    where
        T: Debug,
    {
        crate::output::save::write_text_dir(path.as_ref(), &self.parts)
    }

    /// Count, mean, standard deviation, max and min of the records, as a [`StatCounter`].
    ///
    /// An empty batch gives an empty counter rather than an error.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let s = Rdd::new(vec![3usize, 9, 6]).stats();
    /// assert_eq!((s.count(), s.mean(), s.max()), (3, 6.0, 9.0));
    /// assert_eq!(Rdd::<usize>::empty().stats().count(), 0);
    /// ```
    pub fn stats(&self) -> StatCounter
    where
        T: StatValue,
    {
        let parts: Vec<&Vec<T>> = self.parts.iter().collect();
        let partials =
            map_partitions(parts, self.parallel(), |p| StatCounter::from_values(p.iter().copied()));
        let mut total = StatCounter::from_values(std::iter::empty::<T>());
        for partial in &partials {
            total.merge(partial);
        }
        total
    }
}

impl<T: Data + Eq + Hash> Rdd<T> {
    /// The distinct records, each where it first occurs.
    pub fn distinct(self) -> Rdd<T> {
        let n = self.num_partitions();
        let parallel = self.parallel();
        let pairs = self.into_partitions().into_iter().map(|p| p.into_iter().map(|r| (r, ())));
        let unique = aggregate::combine_by_key(pairs.collect(), parallel, |()| (), |(), ()| (), |(), ()| ());
        Rdd::split(unique.into_iter().map(|(r, ())| r).collect(), n)
    }

    /// How many times each distinct record occurs, in first-occurrence order.
    pub fn count_by_value(self) -> Vec<(T, i64)> {
        let parallel = self.parallel();
        let pairs = self.into_partitions().into_iter().map(|p| p.into_iter().map(|r| (r, 1i64)));
        aggregate::combine_by_key(pairs.collect(), parallel, |c| c, |a, b| a + b, |a, b| a + b)
    }
}

impl<K: Data + Eq + Hash, V: Data> Rdd<(K, V)> {
    /// Merges the values of each key with `f`, keys in first-occurrence order.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let counts = Rdd::new(vec![("a", 1), ("b", 1), ("a", 1)]).reduce_by_key(|x, y| x + y);
    /// assert_eq!(counts.collect(), vec![("a", 2), ("b", 1)]);
    /// ```
    pub fn reduce_by_key(self, f: impl Fn(V, V) -> V + Sync) -> Rdd<(K, V)> {
        let n = self.num_partitions();
        let parallel = self.parallel();
        let reduced = aggregate::combine_by_key(self.into_partitions(), parallel, |v| v, &f, &f);
        Rdd::split(reduced, n)
    }
}
