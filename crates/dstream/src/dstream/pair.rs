//! Operations on streams of key/value pairs (Spark's `PairDStreamFunctions`), as an extension
//! trait: they only appear on `DStream<(K, V)>`.

use super::mapped_state::{self, MapWithStateDStream, StateSpec};
use super::reduced_window::{self, Inverse};
use super::{DStream, joined, shuffled, state};
use crate::persist::Persist;
use crate::rdd::Data;
use crate::time::{Duration, Slide};
use std::hash::Hash;
use std::sync::Arc;

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

    /// All values of each key over the last `window` of batches, every `slide` (Spark's
    /// `groupByKeyAndWindow`).
    ///
    /// ```
    /// use dstream::{DStream, Duration, PairDStreamExt, testing::run_batches};
    /// let out = run_batches(vec![vec![("a", 1)], vec![("a", 2), ("b", 3)]], |s: DStream<(&str, i32)>| {
    ///     s.group_by_key_and_window(Duration::from_secs(2), Duration::from_secs(1))
    /// });
    /// assert_eq!(out[1], vec![("a", vec![1, 2]), ("b", vec![3])]);
    /// ```
    fn group_by_key_and_window(&self, window: impl Into<Duration>, slide: impl Slide) -> DStream<(K, Vec<V>)>
    where
        K: Persist,
        V: Persist;

    /// Every value of this stream's keys, with each value of the same key in `other`, or `None`
    /// when `other` has none in the batch (Spark's `leftOuterJoin`).
    ///
    /// ```
    /// use dstream::{DStream, PairDStreamExt};
    /// let out = dstream::testing::run_batches(vec![vec![("a", 1), ("b", 2)]], |s: DStream<(&str, i32)>| {
    ///     s.left_outer_join(&s.filter(|(k, _)| *k == "a").map_values(|v| v * 10))
    /// });
    /// assert_eq!(out, vec![vec![("a", (1, Some(10))), ("b", (2, None))]]);
    /// ```
    fn left_outer_join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (V, Option<W>))>;

    /// Every value of `other`'s keys, with each value of the same key here, or `None` (Spark's
    /// `rightOuterJoin`).
    ///
    /// ```
    /// use dstream::{DStream, PairDStreamExt};
    /// let out = dstream::testing::run_batches(vec![vec![("a", 1), ("b", 2)]], |s: DStream<(&str, i32)>| {
    ///     s.filter(|(k, _)| *k == "a").right_outer_join(&s)
    /// });
    /// assert_eq!(out, vec![vec![("a", (Some(1), 1)), ("b", (None, 2))]]);
    /// ```
    fn right_outer_join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (Option<V>, W))>;

    /// The keys of both streams, with `None` for a side that has no value for a key (Spark's
    /// `fullOuterJoin`).
    ///
    /// ```
    /// use dstream::{DStream, PairDStreamExt};
    /// let out = dstream::testing::run_batches(vec![vec![("a", 1), ("b", 2)]], |s: DStream<(&str, i32)>| {
    ///     s.filter(|(k, _)| *k == "a").full_outer_join(&s.filter(|(k, _)| *k == "b"))
    /// });
    /// assert_eq!(out, vec![vec![("a", (Some(1), None)), ("b", (None, Some(2)))]]);
    /// ```
    fn full_outer_join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (Option<V>, Option<W>))>;

    /// For each key of either stream, all its values here and all its values in `other`
    /// (Spark's `cogroup`).
    ///
    /// ```
    /// use dstream::{DStream, PairDStreamExt};
    /// let out = dstream::testing::run_batches(vec![vec![("a", 1), ("a", 3)]], |s: DStream<(&str, i32)>| {
    ///     s.cogroup(&s.map_values(|v| v * 10))
    /// });
    /// assert_eq!(out, vec![vec![("a", (vec![1, 3], vec![10, 30]))]]);
    /// ```
    fn cogroup<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (Vec<V>, Vec<W>))>;

    /// Applies `f` to each value and pairs the key with each value it returns (Spark's
    /// `flatMapValues`).
    ///
    /// ```
    /// use dstream::{DStream, PairDStreamExt};
    /// let out = dstream::testing::run_batches(vec![vec![("l1", "spark data")]], |s: DStream<(&str, &str)>| {
    ///     s.flat_map_values(|line| line.split(' '))
    /// });
    /// assert_eq!(out, vec![vec![("l1", "spark"), ("l1", "data")]]);
    /// ```
    fn flat_map_values<U: Data, I: IntoIterator<Item = U>>(
        &self,
        f: impl Fn(V) -> I + Send + Sync + 'static,
    ) -> DStream<(K, U)>;

    /// Merges the values of each key over the last `window` of batches with `f`, every `slide`
    /// (Spark's `reduceByKeyAndWindow` without inverse function). Keys come in the order they
    /// first occur in the window.
    ///
    /// Durations are typed: the lab's `reduceByKeyAndWindow(lambda a, b: a + b, 10, 5)` — where
    /// PySpark takes `10` as the *inverse function* and `5` as the window — cannot be written by
    /// mistake here; write `Duration::from_secs(10), Duration::from_secs(5)`.
    ///
    /// ```
    /// use dstream::{DStream, Duration, PairDStreamExt, testing::run_batches};
    /// let out = run_batches(vec![vec![("a", 1)], vec![("a", 1), ("b", 1)], vec![]], |s: DStream<(&str, i32)>| {
    ///     s.reduce_by_key_and_window(|a, b| a + b, Duration::from_secs(2), Duration::from_secs(1))
    /// });
    /// assert_eq!(out, vec![vec![("a", 1)], vec![("a", 2), ("b", 1)], vec![("a", 1), ("b", 1)]]);
    /// ```
    fn reduce_by_key_and_window(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: impl Into<Duration>,
        slide: impl Slide,
    ) -> DStream<(K, V)>
    where
        K: Persist,
        V: Persist;

    /// Like [`reduce_by_key_and_window`](PairDStreamExt::reduce_by_key_and_window), updated
    /// incrementally: values entering the window are added with `f`, values leaving it removed with
    /// `inv` (for sums, `|a, b| a - b`). Cheaper for long windows. As in Spark, keys whose value
    /// falls back to "zero" stay in the result; use
    /// [`reduce_by_key_and_window_inv_filtered`](PairDStreamExt::reduce_by_key_and_window_inv_filtered)
    /// to drop them. Requires a checkpoint directory, as in Spark.
    ///
    /// Unlike PySpark, which takes the incremental path only when the window is at least five
    /// slides long, this one always does, so the result does not depend on that ratio.
    ///
    /// ```
    /// use dstream::{DStream, Duration, PairDStreamExt, testing::run_batches};
    /// let out = run_batches(vec![vec![("a", 1)], vec![("b", 1)], vec![]], |s: DStream<(&str, i32)>| {
    ///     s.context().checkpoint(std::env::temp_dir().join("dstream-doc-inv")).unwrap();
    ///     s.reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, Duration::from_secs(2), Duration::from_secs(1))
    /// });
    /// assert_eq!(out[2], vec![("a", 0), ("b", 1)]); // "a" left the window but stays, at 0
    /// ```
    fn reduce_by_key_and_window_inv(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        inv: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: impl Into<Duration>,
        slide: impl Slide,
    ) -> DStream<(K, V)>
    where
        K: Persist,
        V: Persist;

    /// Like [`reduce_by_key_and_window_inv`](PairDStreamExt::reduce_by_key_and_window_inv), keeping
    /// only the keys for which `keep` is true (Spark's `filterFunc`): with
    /// `|(_, count)| *count > 0`, keys that left the window are dropped, so the state stays as
    /// small as the window.
    fn reduce_by_key_and_window_inv_filtered(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        inv: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: impl Into<Duration>,
        slide: impl Slide,
        keep: impl Fn(&(K, V)) -> bool + Send + Sync + 'static,
    ) -> DStream<(K, V)>
    where
        K: Persist,
        V: Persist;

    /// Keeps a state per key that `spec`'s function reads and updates record by record (Spark's
    /// `mapWithState`, the state API Spark recommends over `updateStateByKey`): the returned
    /// stream has the function's result for every record, and
    /// [`state_snapshots`](MapWithStateDStream::state_snapshots) every key's state after each
    /// batch. Unlike `update_state_by_key`, keys that receive nothing cost nothing, and idle keys
    /// can time out. Requires a checkpoint directory, as in Spark.
    ///
    /// ```
    /// use dstream::{DStream, PairDStreamExt, State, StateSpec, testing::run_batches};
    /// let out = run_batches(vec![vec![("spark", 1), ("big", 1)], vec![("spark", 1)]], |pairs: DStream<(&str, i64)>| {
    ///     pairs
    ///         .map_with_state(StateSpec::function(|word, one: Option<i64>, state: &mut State<i64>| {
    ///             let total = state.get_option().unwrap_or(&0) + one.unwrap_or(0);
    ///             state.update(total);
    ///             (word, total)
    ///         }))
    ///         .stream()
    /// });
    /// assert_eq!(out, vec![vec![("spark", 1), ("big", 1)], vec![("spark", 2)]]);
    /// ```
    fn map_with_state<S: Data + Persist, M: Data>(
        &self,
        spec: StateSpec<K, V, S, M>,
    ) -> MapWithStateDStream<K, S, M>
    where
        K: Persist;

    /// Keeps a state per key across batches (Spark's `updateStateByKey`): at every batch,
    /// `update(new_values, previous_state)` is called for every key that has a state (with no new
    /// values when none arrived) and for every new key (with no previous state); returning `None`
    /// removes the key. Requires a checkpoint directory, as in Spark.
    ///
    /// ```
    /// use dstream::{DStream, PairDStreamExt, testing::run_batches};
    /// let totals = run_batches(vec![vec![("a", 1), ("a", 1)], vec![("b", 1)]], |s: DStream<(&str, i64)>| {
    ///     s.context().checkpoint(std::env::temp_dir().join("dstream-doc-state")).unwrap();
    ///     s.update_state_by_key(|new: Vec<i64>, total: Option<i64>| Some(new.iter().sum::<i64>() + total.unwrap_or(0)))
    /// });
    /// assert_eq!(totals, vec![vec![("a", 2)], vec![("a", 2), ("b", 1)]]);
    /// ```
    fn update_state_by_key<S: Data + Persist>(
        &self,
        update: impl Fn(Vec<V>, Option<S>) -> Option<S> + Send + Sync + 'static,
    ) -> DStream<(K, S)>
    where
        K: Persist;
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

    fn group_by_key_and_window(&self, window: impl Into<Duration>, slide: impl Slide) -> DStream<(K, Vec<V>)>
    where
        K: Persist,
        V: Persist,
    {
        self.window(window, slide).group_by_key()
    }

    fn left_outer_join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (V, Option<W>))> {
        joined::left_outer_join(self, other)
    }

    fn right_outer_join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (Option<V>, W))> {
        joined::right_outer_join(self, other)
    }

    fn full_outer_join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (Option<V>, Option<W>))> {
        joined::full_outer_join(self, other)
    }

    fn cogroup<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (Vec<V>, Vec<W>))> {
        joined::cogroup(self, other)
    }

    fn flat_map_values<U: Data, I: IntoIterator<Item = U>>(
        &self,
        f: impl Fn(V) -> I + Send + Sync + 'static,
    ) -> DStream<(K, U)> {
        self.flat_map(move |(k, v)| f(v).into_iter().map(move |u| (k.clone(), u)).collect::<Vec<_>>())
    }

    fn reduce_by_key_and_window(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: impl Into<Duration>,
        slide: impl Slide,
    ) -> DStream<(K, V)>
    where
        K: Persist,
        V: Persist,
    {
        reduced_window::reduce_by_key_and_window(
            self,
            "reduce_by_key_and_window",
            Arc::new(f),
            None,
            window.into(),
            self.slide_or_own(slide),
        )
    }

    fn reduce_by_key_and_window_inv(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        inv: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: impl Into<Duration>,
        slide: impl Slide,
    ) -> DStream<(K, V)>
    where
        K: Persist,
        V: Persist,
    {
        let inverse = Inverse { inv: Arc::new(inv), keep: None };
        reduced_window::reduce_by_key_and_window(
            self,
            "reduce_by_key_and_window_inv",
            Arc::new(f),
            Some(inverse),
            window.into(),
            self.slide_or_own(slide),
        )
    }

    fn reduce_by_key_and_window_inv_filtered(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        inv: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: impl Into<Duration>,
        slide: impl Slide,
        keep: impl Fn(&(K, V)) -> bool + Send + Sync + 'static,
    ) -> DStream<(K, V)>
    where
        K: Persist,
        V: Persist,
    {
        let inverse = Inverse { inv: Arc::new(inv), keep: Some(Arc::new(keep)) };
        reduced_window::reduce_by_key_and_window(
            self,
            "reduce_by_key_and_window_inv",
            Arc::new(f),
            Some(inverse),
            window.into(),
            self.slide_or_own(slide),
        )
    }

    fn map_with_state<S: Data + Persist, M: Data>(
        &self,
        spec: StateSpec<K, V, S, M>,
    ) -> MapWithStateDStream<K, S, M>
    where
        K: Persist,
    {
        mapped_state::map_with_state(self, spec)
    }

    fn update_state_by_key<S: Data + Persist>(
        &self,
        update: impl Fn(Vec<V>, Option<S>) -> Option<S> + Send + Sync + 'static,
    ) -> DStream<(K, S)>
    where
        K: Persist,
    {
        state::update_state_by_key(self, update)
    }
}
