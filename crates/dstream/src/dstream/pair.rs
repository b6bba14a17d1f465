//! Operations on streams of key/value pairs (Spark's `PairDStreamFunctions`), as an extension
//! trait: they only appear on `DStream<(K, V)>`.

use super::{DStream, joined, shuffled};
use crate::rdd::Data;
use std::hash::Hash;

/// Operations on streams of `(key, value)` pairs.
///
/// Bring it into scope with `use dstream::PairDStreamExt;` (or `use dstream::prelude::*;`).
/// Keys come out in the order they first occur in the batch.
///
/// # Examples
///
/// ```
/// use dstream::{DStream, PairDStreamExt};
///
/// let out = dstream::testing::run_batches(
///     vec![vec![("spark", 1), ("big", 1), ("spark", 1)]],
///     |pairs: DStream<(&str, i32)>| pairs.reduce_by_key(|a, b| a + b),
/// );
/// assert_eq!(out, vec![vec![("spark", 2), ("big", 1)]]);
/// ```
pub trait PairDStreamExt<K, V> {
    /// Merges the values of each key with `f` (Spark's `reduceByKey`).
    fn reduce_by_key(&self, f: impl Fn(V, V) -> V + Send + Sync + 'static) -> DStream<(K, V)>;

    /// Applies `f` to each value, keeping keys (Spark's `mapValues`).
    ///
    /// ```
    /// use dstream::{DStream, PairDStreamExt};
    /// let out = dstream::testing::run_batches(vec![vec![("a", 2)]], |s: DStream<(&str, i32)>| s.map_values(|v| v * 10));
    /// assert_eq!(out, vec![vec![("a", 20)]]);
    /// ```
    fn map_values<U: Data>(&self, f: impl Fn(V) -> U + Send + Sync + 'static) -> DStream<(K, U)>;

    /// All values of each key, in arrival order (Spark's `groupByKey`).
    ///
    /// ```
    /// use dstream::{DStream, PairDStreamExt};
    /// let out = dstream::testing::run_batches(vec![vec![("a", 1), ("b", 2), ("a", 3)]],
    ///     |s: DStream<(&str, i32)>| s.group_by_key());
    /// assert_eq!(out, vec![vec![("a", vec![1, 3]), ("b", vec![2])]]);
    /// ```
    fn group_by_key(&self) -> DStream<(K, Vec<V>)>;

    /// Pairs every value of a key in this stream with every value of the same key in `other`,
    /// batch by batch (Spark's inner `join`).
    ///
    /// ```
    /// use dstream::{DStream, PairDStreamExt};
    /// let out = dstream::testing::run_batches(vec![vec![("a", 1), ("b", 2)]], |s: DStream<(&str, i32)>| {
    ///     s.join(&s.map_values(|v| v * 10))
    /// });
    /// assert_eq!(out, vec![vec![("a", (1, 10)), ("b", (2, 20))]]);
    /// ```
    fn join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (V, W))>;
}

impl<K: Data + Eq + Hash, V: Data> PairDStreamExt<K, V> for DStream<(K, V)> {
    fn reduce_by_key(&self, f: impl Fn(V, V) -> V + Send + Sync + 'static) -> DStream<(K, V)> {
        shuffled::shuffle(self, "reduce_by_key", shuffled::Reduce(f))
    }

    fn map_values<U: Data>(&self, f: impl Fn(V) -> U + Send + Sync + 'static) -> DStream<(K, U)> {
        self.map(move |(k, v)| (k, f(v)))
    }

    fn group_by_key(&self) -> DStream<(K, Vec<V>)> {
        shuffled::shuffle(self, "group_by_key", shuffled::Group)
    }

    fn join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (V, W))> {
        joined::join(self, other)
    }
}
