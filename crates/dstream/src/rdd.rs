//! `Rdd<T>`: the immutable, partitioned data of one batch.

use crate::aggregate;
use crate::error::{Error, Result};
use crate::order::SortKey;
use crate::partition::{map_partitions, split, worth_parallel};
use crate::stats::{StatCounter, StatValue};
use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::path::Path;
use std::sync::Arc;

/// What a stream can carry: owned data that threads can share.
///
/// Every `Clone + Send + Sync + 'static` type is `Data` (`String`, numbers, tuples, `Vec`s...).
///
/// # Examples
///
/// ```
/// use dstream::{Data, Rdd};
///
/// // A helper generic over what a batch holds.
/// fn first_two<T: Data>(rdd: &Rdd<T>) -> Vec<T> {
///     rdd.take(2)
/// }
/// assert_eq!(first_two(&Rdd::from(vec![("spark", 1), ("big", 1), ("data", 1)])), [("spark", 1), ("big", 1)]);
/// ```
pub trait Data: Clone + Send + Sync + 'static {}
impl<T: Clone + Send + Sync + 'static> Data for T {}

/// The data of one batch (Spark's RDD, without the distribution): records split into partitions,
/// immutable, cheap to clone (clones share the records).
///
/// Operations keep the records' order: partition by partition, and within a partition in the order
/// they arrived. Large batches are processed one partition per core.
///
/// **Actions** (`collect`, `count`, `reduce`, `top`, `sum`, `save_as_text_file`...) take `&self`: the
/// RDD stays usable after them. **Transformations** (`map`, `filter`, `sort_by`...) take the RDD
/// by value, as a chain of them moves records instead of copying them; to keep an RDD for later,
/// call them on a `clone()`, which costs nothing (clones share the records).
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
/// assert_eq!(lengths.top(1), vec![9]);
/// assert_eq!(rdd.distinct().sort_by(|w| *w).collect(), vec!["spark", "streaming"]);
/// for word in &lengths { assert!(*word >= 5); }
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
    ///
    /// ```
    /// use dstream::Rdd;
    /// let rdd = Rdd::new(vec![1, 2, 3]);
    /// assert_eq!((rdd.count(), rdd.num_partitions()), (3, 1));
    /// ```
    pub fn new(data: Vec<T>) -> Self {
        Rdd::from_partitions(vec![data])
    }

    /// An RDD with the given partitions.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let rdd = Rdd::from_partitions(vec![vec![1, 2], vec![3]]);
    /// assert_eq!((rdd.collect(), rdd.num_partitions()), (vec![1, 2, 3], 2));
    /// ```
    pub fn from_partitions(parts: Vec<Vec<T>>) -> Self {
        Rdd { parts: Arc::new(parts) }
    }

    /// An RDD with no record and no partition.
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert!(Rdd::<i32>::empty().is_empty());
    /// ```
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
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::from_partitions(vec![vec![1], vec![2]]).num_partitions(), 2);
    /// ```
    pub fn num_partitions(&self) -> usize {
        self.parts.len()
    }

    /// The partitions themselves.
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::from_partitions(vec![vec![1], vec![2, 3]]).partitions()[1], vec![2, 3]);
    /// ```
    pub fn partitions(&self) -> &[Vec<T>] {
        &self.parts
    }

    /// The records, by reference, in order.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let longest = Rdd::new(vec!["spark", "streaming"]).iter().map(|w| w.len()).max();
    /// assert_eq!(longest, Some(9));
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.parts.iter().flatten()
    }

    /// All records, in order.
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec!["a", "b"]).collect(), vec!["a", "b"]);
    /// ```
    pub fn collect(&self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.count());
        for part in self.parts.iter() {
            out.extend_from_slice(part);
        }
        out
    }

    /// How many records.
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec!["a", "b"]).count(), 2);
    /// ```
    pub fn count(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    /// Whether there is no record.
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert!(!Rdd::new(vec![0]).is_empty());
    /// assert!(Rdd::<i32>::empty().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(Vec::is_empty)
    }

    /// The first `n` records.
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec![5, 6, 7]).take(2), vec![5, 6]);
    /// ```
    pub fn take(&self, n: usize) -> Vec<T> {
        self.iter().take(n).cloned().collect()
    }

    /// The first record, if any.
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec![5, 6]).first(), Some(5));
    /// assert_eq!(Rdd::<i32>::empty().first(), None);
    /// ```
    pub fn first(&self) -> Option<T> {
        self.iter().next().cloned()
    }

    /// Whether work on this batch is worth spreading over threads.
    fn parallel(&self) -> bool {
        worth_parallel(self.count())
    }

    /// Applies `f` to every record.
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec!["spark", "big"]).map(|w| w.len()).collect(), vec![5, 3]);
    /// ```
    pub fn map<U: Data>(self, f: impl Fn(T) -> U + Sync) -> Rdd<U> {
        let parallel = self.parallel();
        let parts = map_partitions(self.into_partitions(), parallel, |p| p.into_iter().map(&f).collect());
        Rdd::from_partitions(parts)
    }

    /// Applies `f` to every record and flattens the results.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let words = Rdd::new(vec!["spark streaming", "big data"]).flat_map(|l| l.split(' '));
    /// assert_eq!(words.count(), 4);
    /// ```
    pub fn flat_map<U: Data, I: IntoIterator<Item = U>>(self, f: impl Fn(T) -> I + Sync) -> Rdd<U> {
        let parallel = self.parallel();
        let parts =
            map_partitions(self.into_partitions(), parallel, |p| p.into_iter().flat_map(&f).collect());
        Rdd::from_partitions(parts)
    }

    /// Keeps the records for which `f` is true.
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec![1, 2, 3, 4]).filter(|x| x % 2 == 0).collect(), vec![2, 4]);
    /// ```
    pub fn filter(self, f: impl Fn(&T) -> bool + Sync) -> Rdd<T> {
        let parallel = self.parallel();
        let parts = map_partitions(self.into_partitions(), parallel, |mut p| {
            p.retain(&f);
            p
        });
        Rdd::from_partitions(parts)
    }

    /// Combines all records with `f` (`None` when empty; Spark would fail instead).
    ///
    /// ```
    /// use dstream::Rdd;
    /// let rdd = Rdd::new(vec![3, 1, 2]);
    /// assert_eq!(rdd.reduce(|a, b| a.max(b)), Some(3));
    /// assert_eq!(rdd.count(), 3, "an action leaves the RDD usable");
    /// ```
    pub fn reduce(&self, f: impl Fn(T, T) -> T + Sync) -> Option<T> {
        let parts: Vec<&Vec<T>> = self.parts.iter().collect();
        let partials = map_partitions(parts, self.parallel(), |p| p.iter().cloned().reduce(&f));
        partials.into_iter().flatten().reduce(&f)
    }

    /// Spark's `fold(zeroValue, op)`: each partition folded from `zero`, then the partitions'
    /// results folded from `zero` again (so `zero` must be neutral for `f`, as in Spark).
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::from_partitions(vec![vec![1, 2], vec![3]]).fold(0, |a, b| a + b), 6);
    /// assert_eq!(Rdd::<i32>::empty().fold(0, |a, b| a + b), 0);
    /// ```
    pub fn fold(&self, zero: T, f: impl Fn(T, T) -> T + Sync) -> T {
        let parts: Vec<&Vec<T>> = self.parts.iter().collect();
        let partials = map_partitions(parts, self.parallel(), |p| p.iter().cloned().fold(zero.clone(), &f));
        partials.into_iter().fold(zero, &f)
    }

    /// The sum of the records (0 for an empty batch, as Spark).
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec![1.5, 2.5]).sum(), 4.0);
    /// assert_eq!(Rdd::<i64>::empty().sum(), 0);
    /// ```
    pub fn sum(&self) -> T
    where
        T: std::iter::Sum<T>,
    {
        self.iter().cloned().sum()
    }

    /// The mean of the records (0.0 for an empty batch, as Spark's `mean()`).
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec![1, 2, 6]).mean(), 3.0);
    /// assert_eq!(Rdd::<i32>::empty().mean(), 0.0);
    /// ```
    pub fn mean(&self) -> f64
    where
        T: StatValue,
    {
        self.stats().mean()
    }

    /// The largest record (`None` when empty; Spark would fail instead). Floats are ordered with
    /// NaN above every number, as Spark orders them (see [`SortKey`]).
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec!["spark", "data", "big"]).max(), Some("spark"));
    /// assert_eq!(Rdd::new(vec![0.5, 2.0]).max(), Some(2.0));
    /// ```
    pub fn max(&self) -> Option<T>
    where
        T: SortKey,
    {
        self.iter().max_by(|a, b| a.sort_cmp(b)).cloned()
    }

    /// The smallest record (`None` when empty; Spark would fail instead).
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec![3, 1, 2]).min(), Some(1));
    /// ```
    pub fn min(&self) -> Option<T>
    where
        T: SortKey,
    {
        self.iter().min_by(|a, b| a.sort_cmp(b)).cloned()
    }

    /// The `n` largest records, largest first (Spark's `top(n)`).
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec![4, 9, 1, 7]).top(2), vec![9, 7]);
    /// ```
    pub fn top(&self, n: usize) -> Vec<T>
    where
        T: SortKey,
    {
        self.top_by(n, |r| r.clone())
    }

    /// The `n` records with the largest `key`, largest first (Spark's `top(n, key=f)`).
    ///
    /// ```
    /// use dstream::Rdd;
    /// let counts = Rdd::new(vec![("spark", 4), ("data", 1), ("streaming", 2)]);
    /// assert_eq!(counts.top_by(2, |(_, n)| *n), vec![("spark", 4), ("streaming", 2)]);
    /// ```
    pub fn top_by<K: SortKey>(&self, n: usize, key: impl Fn(&T) -> K) -> Vec<T> {
        self.first_by(n, key, true)
    }

    /// The `n` smallest records, smallest first (Spark's `takeOrdered(n)`).
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec![4, 9, 1, 7]).take_ordered(2), vec![1, 4]);
    /// ```
    pub fn take_ordered(&self, n: usize) -> Vec<T>
    where
        T: SortKey,
    {
        self.take_ordered_by(n, |r| r.clone())
    }

    /// The `n` records with the smallest `key`, smallest first (Spark's
    /// `takeOrdered(n, key=f)`; `key=lambda x: -x` becomes `|x| std::cmp::Reverse(*x)`).
    ///
    /// ```
    /// use dstream::Rdd;
    /// let words = Rdd::new(vec!["streaming", "big", "spark"]);
    /// assert_eq!(words.take_ordered_by(2, |w| w.len()), vec!["big", "spark"]);
    /// ```
    pub fn take_ordered_by<K: SortKey>(&self, n: usize, key: impl Fn(&T) -> K) -> Vec<T> {
        self.first_by(n, key, false)
    }

    /// The `n` first records in the order of `key` (largest first when `descending`); records
    /// with equal keys keep their order.
    fn first_by<K: SortKey>(&self, n: usize, key: impl Fn(&T) -> K, descending: bool) -> Vec<T> {
        let mut all: Vec<(K, &T)> = self.iter().map(|r| (key(r), r)).collect();
        all.sort_by(|a, b| if descending { b.0.sort_cmp(&a.0) } else { a.0.sort_cmp(&b.0) });
        all.into_iter().take(n).map(|(_, r)| r.clone()).collect()
    }

    /// The records in ascending order of `key` (a stable sort), keeping the partition count
    /// (Spark's `sortBy(f)`). The key may be a float: NaN sorts last, as in Spark.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let sizes = Rdd::new(vec![("a", 2.5), ("b", f64::NAN), ("c", 0.5)]);
    /// assert_eq!(sizes.sort_by(|(_, x)| *x).keys().collect(), vec!["c", "a", "b"]);
    /// ```
    pub fn sort_by<K: SortKey>(self, key: impl Fn(&T) -> K) -> Rdd<T> {
        self.sorted(key, false)
    }

    /// The records in descending order of `key` (Spark's `sortBy(f, ascending=False)`); records
    /// with equal keys keep their order.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let counts = Rdd::new(vec![("data", 1), ("spark", 4), ("big", 1)]);
    /// assert_eq!(counts.sort_by_descending(|(_, n)| *n).collect(), vec![("spark", 4), ("data", 1), ("big", 1)]);
    /// ```
    pub fn sort_by_descending<K: SortKey>(self, key: impl Fn(&T) -> K) -> Rdd<T> {
        self.sorted(key, true)
    }

    fn sorted<K: SortKey>(self, key: impl Fn(&T) -> K, descending: bool) -> Rdd<T> {
        let n = self.num_partitions();
        let mut all: Vec<(K, T)> =
            self.into_partitions().into_iter().flatten().map(|r| (key(&r), r)).collect();
        if descending {
            all.sort_by(|a, b| b.0.sort_cmp(&a.0));
        } else {
            all.sort_by(|a, b| a.0.sort_cmp(&b.0));
        }
        Rdd::split(all.into_iter().map(|(_, r)| r).collect(), n)
    }

    /// The records of `self`, then those of `other` (Spark's `union`): the partitions of both.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let all = Rdd::new(vec![1, 2]).union(Rdd::new(vec![3]));
    /// assert_eq!((all.collect(), all.num_partitions()), (vec![1, 2, 3], 2));
    /// ```
    pub fn union(self, other: Rdd<T>) -> Rdd<T> {
        let mut parts = self.into_partitions();
        parts.extend(other.into_partitions());
        Rdd::from_partitions(parts)
    }

    /// Each partition as one record (Spark's `glom`).
    ///
    /// ```
    /// use dstream::Rdd;
    /// let rdd = Rdd::from_partitions(vec![vec![1, 2], vec![3]]);
    /// assert_eq!(rdd.glom().collect(), vec![vec![1, 2], vec![3]]);
    /// ```
    pub fn glom(self) -> Rdd<Vec<T>> {
        let parts = self.into_partitions().into_iter().map(|p| vec![p]).collect();
        Rdd::from_partitions(parts)
    }

    /// Applies `f` to each partition's records at once (Spark's `mapPartitions`): for work that
    /// is set up once per partition.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let rdd = Rdd::from_partitions(vec![vec![1, 2], vec![3]]);
    /// assert_eq!(rdd.map_partitions(|p| vec![p.iter().sum::<i32>()]).collect(), vec![3, 3]);
    /// ```
    pub fn map_partitions<U: Data>(self, f: impl Fn(Vec<T>) -> Vec<U> + Sync) -> Rdd<U> {
        let parallel = self.parallel();
        Rdd::from_partitions(map_partitions(self.into_partitions(), parallel, f))
    }

    /// The same records, in order, in `n` partitions of nearly equal size (Spark's
    /// `repartition`, which shuffles them instead); at least one partition.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let rdd = Rdd::new(vec![1, 2, 3, 4, 5]).repartition(2);
    /// assert_eq!((rdd.num_partitions(), rdd.collect()), (2, vec![1, 2, 3, 4, 5]));
    /// ```
    pub fn repartition(self, n: usize) -> Rdd<T> {
        let all: Vec<T> = self.into_partitions().into_iter().flatten().collect();
        Rdd::split(all, n.max(1))
    }

    /// Calls `f` on each record, in order (Spark's `foreach`).
    ///
    /// ```
    /// use dstream::Rdd;
    /// let mut seen = Vec::new();
    /// Rdd::new(vec!["a", "b"]).foreach(|w| seen.push(w.to_uppercase()));
    /// assert_eq!(seen, ["A", "B"]);
    /// ```
    pub fn foreach(&self, f: impl FnMut(&T)) {
        self.iter().for_each(f);
    }

    /// A random sample (Spark's `sample(withReplacement, fraction, seed)`): without replacement,
    /// each record is kept with probability `fraction`; with replacement, each record appears a
    /// Poisson-distributed number of times of mean `fraction`. The same seed gives the same
    /// sample; the sample is not the one Spark draws for that seed.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let rdd = Rdd::new((0..10_000).collect::<Vec<_>>());
    /// let sample = rdd.clone().sample(false, 0.1, 42);
    /// assert!((800..1200).contains(&sample.count()));
    /// assert_eq!(sample.collect(), rdd.sample(false, 0.1, 42).collect());
    /// ```
    pub fn sample(self, with_replacement: bool, fraction: f64, seed: u64) -> Rdd<T> {
        let fraction = fraction.max(0.0);
        let parts = self.into_partitions().into_iter().enumerate().map(|(i, part)| {
            let mut random =
                crate::sample::SplitMix64::new(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut kept = Vec::new();
            for record in part {
                let copies = if with_replacement {
                    random.poisson(fraction)
                } else {
                    u64::from(random.unit() < fraction)
                };
                for _ in 0..copies {
                    kept.push(record.clone());
                }
            }
            kept
        });
        Rdd::from_partitions(parts.collect())
    }

    /// Spark's `histogram(buckets)`: `buckets` equal-width buckets from the smallest to the
    /// largest record, as `(boundaries, counts)`; each bucket holds `[boundary, next)`, the last
    /// one `[boundary, max]`. When all records are equal, one bucket. NaN records are left out.
    ///
    /// Fails, as Spark does, when there is no record to bucket, when a record is infinite, or
    /// when `buckets` is 0.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let (bounds, counts) = Rdd::new(vec![1.0, 2.0, 3.0, 4.0, 10.0]).histogram(3)?;
    /// assert_eq!(bounds, vec![1.0, 4.0, 7.0, 10.0]);
    /// assert_eq!(counts, vec![3, 1, 1]);
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn histogram(&self, buckets: usize) -> Result<(Vec<f64>, Vec<u64>)>
    where
        T: StatValue,
    {
        if buckets == 0 {
            return Err(Error::invalid_argument("histogram: the number of buckets must be at least 1"));
        }
        let values: Vec<f64> = self.iter().map(|v| v.to_f64()).filter(|v| !v.is_nan()).collect();
        let (Some(min), Some(max)) =
            (values.iter().copied().reduce(f64::min), values.iter().copied().reduce(f64::max))
        else {
            return Err(Error::invalid_argument("histogram: cannot make buckets from an empty batch"));
        };
        if min.is_infinite() || max.is_infinite() {
            return Err(Error::invalid_argument("histogram: cannot make buckets with an infinite value"));
        }
        if min == max || buckets == 1 {
            return Ok((vec![min, max], vec![values.len() as u64]));
        }
        let step = (max - min) / buckets as f64;
        let mut bounds: Vec<f64> = (0..buckets).map(|i| min + step * i as f64).collect();
        bounds.push(max);
        let mut counts = vec![0u64; buckets];
        for v in values {
            let i = (((v - min) / step) as usize).min(buckets - 1);
            counts[i] += 1;
        }
        Ok((bounds, counts))
    }

    /// Writes the records to the directory `path` as Spark does: one `part-NNNNN` text file per
    /// partition, one record per line, and an empty `_SUCCESS` file. A record is written as
    /// Spark writes `str(record)`: a string (`String`, `&str`, [`Text`](crate::Text), `char`) as
    /// itself, without quotes, so that reading the line back gives the string; anything else in
    /// its `Debug` form, the form `pprint` shows (`("spark", 4)`).
    ///
    /// ```
    /// use dstream::{Rdd, testing::TempDir};
    /// let dir = TempDir::new()?;
    /// Rdd::new(vec!["spark", "data"]).save_as_text_file(dir.path().join("words"))?;
    /// Rdd::new(vec![("spark", 4)]).save_as_text_file(dir.path().join("counts"))?;
    /// assert_eq!(std::fs::read_to_string(dir.path().join("words/part-00000"))?, "spark\ndata\n");
    /// assert_eq!(std::fs::read_to_string(dir.path().join("counts/part-00000"))?, "(\"spark\", 4)\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec!["b", "a", "b"]).distinct().collect(), vec!["b", "a"]);
    /// ```
    pub fn distinct(self) -> Rdd<T> {
        let n = self.num_partitions();
        let parallel = self.parallel();
        let pairs = self.into_partitions().into_iter().map(|p| p.into_iter().map(|r| (r, ())));
        let unique = aggregate::combine_by_key(pairs.collect(), parallel, |()| (), |(), ()| (), |(), ()| ());
        Rdd::split(unique.into_iter().map(|(r, ())| r).collect(), n)
    }

    /// How many times each distinct record occurs, in first-occurrence order.
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec!["a", "b", "a"]).count_by_value(), vec![("a", 2), ("b", 1)]);
    /// ```
    pub fn count_by_value(&self) -> Vec<(T, i64)> {
        let parallel = self.parallel();
        let pairs = self.parts.iter().map(|p| p.iter().map(|r| (r.clone(), 1i64)));
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

    /// The keys (Spark's `keys()`).
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec![("a", 1), ("b", 2)]).keys().collect(), vec!["a", "b"]);
    /// ```
    pub fn keys(self) -> Rdd<K> {
        self.map(|(k, _)| k)
    }

    /// The values (Spark's `values()`).
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::new(vec![("a", 1), ("b", 2)]).values().sum(), 3);
    /// ```
    pub fn values(self) -> Rdd<V> {
        self.map(|(_, v)| v)
    }

    /// How many records each key has (Spark's `countByKey()`, a map as PySpark's dict).
    ///
    /// ```
    /// use dstream::Rdd;
    /// let by_key = Rdd::new(vec![("a", 1), ("b", 5), ("a", 3)]).count_by_key();
    /// assert_eq!((by_key["a"], by_key["b"]), (2, 1));
    /// ```
    pub fn count_by_key(&self) -> HashMap<K, i64> {
        let mut counts = HashMap::new();
        for (k, _) in self.iter() {
            *counts.entry(k.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// The records as a map from key to value (Spark's `collectAsMap()`): for a key that occurs
    /// several times, its last value.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let map = Rdd::new(vec![("spark", 4), ("data", 1)]).collect_as_map();
    /// assert_eq!(map["spark"], 4);
    /// ```
    pub fn collect_as_map(&self) -> HashMap<K, V> {
        self.iter().cloned().collect()
    }
}

impl<T: Data> From<Vec<T>> for Rdd<T> {
    /// One partition holding the records, as [`Rdd::new`].
    fn from(records: Vec<T>) -> Self {
        Rdd::new(records)
    }
}

impl<T: Data> FromIterator<T> for Rdd<T> {
    /// ```
    /// use dstream::Rdd;
    /// let squares: Rdd<i32> = (1..4).map(|x| x * x).collect();
    /// assert_eq!(squares.collect(), vec![1, 4, 9]);
    /// ```
    fn from_iter<I: IntoIterator<Item = T>>(records: I) -> Self {
        Rdd::new(records.into_iter().collect())
    }
}

impl<'a, T> IntoIterator for &'a Rdd<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>;

    /// `for record in &rdd { ... }`: the records by reference, in order.
    ///
    /// ```
    /// use dstream::Rdd;
    /// let rdd = Rdd::new(vec![1, 2, 3]);
    /// let mut total = 0;
    /// for x in &rdd { total += x; }
    /// assert_eq!(total, 6);
    /// ```
    fn into_iter(self) -> Self::IntoIter {
        self.parts.iter().flatten()
    }
}

impl<T: PartialEq> PartialEq for Rdd<T> {
    /// The same records in the same order, however they are partitioned.
    ///
    /// ```
    /// use dstream::Rdd;
    /// assert_eq!(Rdd::from_partitions(vec![vec![1], vec![2]]), Rdd::new(vec![1, 2]));
    /// ```
    fn eq(&self, other: &Self) -> bool {
        self.parts.iter().flatten().eq(other.parts.iter().flatten())
    }
}
