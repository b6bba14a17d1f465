//! `map_with_state`: a state per key that a function reads and updates record by record, with an
//! optional timeout for idle keys (Spark's `mapWithState`, `StateSpec` and `State`, the state API
//! Spark recommends over `updateStateByKey`).

use super::{Compute, DStream};
use crate::aggregate::OrderedMap;
use crate::error::Result;
use crate::persist::Persist;
use crate::rdd::{Data, Rdd};
use crate::scheduler::graph::StatefulOp;
use crate::time::{Duration, Time};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

/// One key's state, as the function of a [`StateSpec`] sees it (Spark's `State`): read it with
/// [`get_option`](State::get_option) or [`get`](State::get), change it with
/// [`update`](State::update), drop it with [`remove`](State::remove).
///
/// ```
/// use dstream::{DStream, PairDStreamExt, State, StateSpec, testing::run_batches};
/// // A running count per word, and each word's count so far as it arrives.
/// let out = run_batches(vec![vec![("a", 1), ("b", 1), ("a", 1)]], |pairs: DStream<(&str, i64)>| {
///     pairs.map_with_state(StateSpec::function(|word, one: Option<i64>, state: &mut State<i64>| {
///         let total = state.get_option().copied().unwrap_or(0) + one.unwrap_or(0);
///         state.update(total);
///         (word, total)
///     }))
///     .stream()
/// });
/// assert_eq!(out, vec![vec![("a", 1), ("b", 1), ("a", 2)]]);
/// ```
#[derive(Debug)]
pub struct State<S> {
    value: Option<S>,
    updated: bool,
    removed: bool,
    timing_out: bool,
}

impl<S> State<S> {
    /// Whether the key has a state.
    ///
    /// ```
    /// # use dstream::{DStream, PairDStreamExt, State, StateSpec, testing::run_batches};
    /// let out = run_batches(vec![vec![("a", ()), ("a", ())]], |p: DStream<(&str, ())>| {
    ///     p.map_with_state(StateSpec::function(|_, _, s: &mut State<()>| { let seen = s.exists(); s.update(()); seen }))
    ///         .stream()
    /// });
    /// assert_eq!(out, vec![vec![false, true]]);
    /// ```
    pub fn exists(&self) -> bool {
        self.value.is_some()
    }

    /// The state.
    ///
    /// # Panics
    ///
    /// If the key has no state (Spark throws `NoSuchElementException`): check
    /// [`exists`](State::exists) first, or use [`get_option`](State::get_option).
    ///
    /// ```
    /// # use dstream::{DStream, PairDStreamExt, State, StateSpec, testing::run_batches};
    /// let out = run_batches(vec![vec![("a", 2), ("a", 3)]], |p: DStream<(&str, i64)>| {
    ///     p.map_with_state(StateSpec::function(|_, v: Option<i64>, s: &mut State<i64>| {
    ///         let next = if s.exists() { s.get() + v.unwrap() } else { v.unwrap() };
    ///         s.update(next);
    ///         next
    ///     }))
    ///     .stream()
    /// });
    /// assert_eq!(out, vec![vec![2, 5]]);
    /// ```
    pub fn get(&self) -> &S {
        self.value.as_ref().expect(
            "State::get: this key has no state; check state.exists() first, or use state.get_option()",
        )
    }

    /// The state, if the key has one (Spark's `getOption`).
    ///
    /// ```
    /// # use dstream::{DStream, PairDStreamExt, State, StateSpec, testing::run_batches};
    /// let out = run_batches(vec![vec![("a", 2)]], |p: DStream<(&str, i64)>| {
    ///     p.map_with_state(StateSpec::function(|_, _, s: &mut State<i64>| s.get_option().copied())).stream()
    /// });
    /// assert_eq!(out, vec![vec![None]]);
    /// ```
    pub fn get_option(&self) -> Option<&S> {
        self.value.as_ref()
    }

    /// Sets the key's state.
    ///
    /// # Panics
    ///
    /// After [`remove`](State::remove), or when the state is timing out: as in Spark, a key that
    /// times out cannot be kept.
    ///
    /// ```
    /// # use dstream::{DStream, PairDStreamExt, State, StateSpec, testing::run_batches_emitted};
    /// let spec = StateSpec::function(|_, v: Option<i64>, s: &mut State<i64>| s.update(v.unwrap()));
    /// let out = run_batches_emitted(vec![vec![("a", 7)]], 1, |p: DStream<(&str, i64)>| {
    ///     p.map_with_state(spec).state_snapshots()
    /// });
    /// assert_eq!(out, vec![Some(vec![("a", 7)])]);
    /// ```
    pub fn update(&mut self, state: S) {
        assert!(!self.removed, "State::update: the state was removed by state.remove() in this call");
        assert!(
            !self.timing_out,
            "State::update: this key's state is timing out and cannot be updated (check state.is_timing_out())"
        );
        self.value = Some(state);
        self.updated = true;
    }

    /// Removes the key's state.
    ///
    /// # Panics
    ///
    /// Twice in one call, or when the state is timing out (it is removed anyway).
    ///
    /// ```
    /// # use dstream::{DStream, PairDStreamExt, State, StateSpec, testing::run_batches_emitted};
    /// // Keep a word's state until it is seen twice.
    /// let spec = StateSpec::function(|_, _: Option<()>, s: &mut State<()>| {
    ///     if s.exists() { s.remove() } else { s.update(()) }
    /// });
    /// let out = run_batches_emitted(vec![vec![("a", ()), ("b", ()), ("a", ())]], 1, |p: DStream<(&str, ())>| {
    ///     p.map_with_state(spec).state_snapshots()
    /// });
    /// assert_eq!(out, vec![Some(vec![("b", ())])]);
    /// ```
    pub fn remove(&mut self) {
        assert!(!self.removed, "State::remove: the state was already removed in this call");
        assert!(!self.timing_out, "State::remove: this key's state is timing out: it is removed anyway");
        self.value = None;
        self.removed = true;
    }

    /// Whether this call is the last one for the key because it received no record for the
    /// spec's [`timeout`](StateSpec::timeout): the value is then `None`, and the state is removed
    /// after the call.
    ///
    /// ```
    /// # use dstream::{DStream, PairDStreamExt, State, StateSpec, secs, testing::run_batches};
    /// let spec = StateSpec::function(|w, _: Option<()>, s: &mut State<()>| {
    ///     if s.is_timing_out() { return format!("{w} left") }
    ///     s.update(());
    ///     format!("{w} seen")
    /// })
    /// .timeout(secs(1));
    /// let out = run_batches(vec![vec![("a", ())], vec![], vec![]], |p: DStream<(&str, ())>| p.map_with_state(spec).stream());
    /// assert_eq!(out, vec![vec!["a seen"], vec![], vec!["a left"]]);
    /// ```
    pub fn is_timing_out(&self) -> bool {
        self.timing_out
    }
}

/// The mapping function of [`map_with_state`](crate::PairDStreamExt::map_with_state).
type MappingFn<K, V, S, M> = Arc<dyn Fn(K, Option<V>, &mut State<S>) -> M + Send + Sync>;

/// What [`map_with_state`](crate::PairDStreamExt::map_with_state) does (Spark's `StateSpec`):
/// the function called for every record with its key, its value and the key's [`State`], and
/// optionally states to start from and a timeout for idle keys.
///
/// ```
/// use dstream::{DStream, PairDStreamExt, State, StateSpec, secs, testing::run_batches};
/// let spec = StateSpec::function(|word, one: Option<i64>, state: &mut State<i64>| {
///     let total = state.get_option().unwrap_or(&0) + one.unwrap_or(0);
///     state.update(total);
///     (word, total)
/// })
/// .initial_state(vec![("spark", 10)])
/// .timeout(secs(60));
/// let out = run_batches(vec![vec![("spark", 1), ("big", 1)]], |pairs: DStream<(&str, i64)>| {
///     pairs.map_with_state(spec).stream()
/// });
/// assert_eq!(out, vec![vec![("spark", 11), ("big", 1)]]);
/// ```
pub struct StateSpec<K, V, S, M> {
    function: MappingFn<K, V, S, M>,
    initial: Vec<(K, S)>,
    timeout: Option<Duration>,
    partitions: Option<usize>,
}

impl<K, V, S, M> Clone for StateSpec<K, V, S, M>
where
    K: Clone,
    S: Clone,
{
    fn clone(&self) -> Self {
        StateSpec {
            function: Arc::clone(&self.function),
            initial: self.initial.clone(),
            timeout: self.timeout,
            partitions: self.partitions,
        }
    }
}

impl<K, V, S, M> StateSpec<K, V, S, M> {
    /// A spec calling `function(key, value, state)` for every record of each batch, in the
    /// batch's order, so that a key's second record sees what its first one stored (Spark's
    /// `StateSpec.function`). `value` is `Some` for a record and `None` for the last call of a
    /// key that timed out. What it returns is the mapped stream's record.
    ///
    /// ```
    /// use dstream::{State, StateSpec, Text};
    /// let spec = StateSpec::function(|word: Text, one: Option<i64>, state: &mut State<i64>| {
    ///     let total = state.get_option().copied().unwrap_or(0) + one.unwrap_or(0);
    ///     state.update(total);
    ///     (word, total)
    /// });
    /// # let _ = spec;
    /// ```
    pub fn function(function: impl Fn(K, Option<V>, &mut State<S>) -> M + Send + Sync + 'static) -> Self {
        StateSpec { function: Arc::new(function), initial: Vec::new(), timeout: None, partitions: None }
    }

    /// The states keys start with (Spark's `initialState`), as an [`Rdd`] or a `Vec` of
    /// `(key, state)` pairs.
    ///
    /// ```
    /// use dstream::{DStream, PairDStreamExt, State, StateSpec, testing::run_batches_emitted};
    /// let spec = StateSpec::function(|_, v: Option<i64>, s: &mut State<i64>| s.update(s.get() + v.unwrap()))
    ///     .initial_state(vec![("a", 100)]);
    /// let out = run_batches_emitted(vec![vec![("a", 1)]], 1, |p: DStream<(&str, i64)>| {
    ///     p.map_with_state(spec).state_snapshots()
    /// });
    /// assert_eq!(out, vec![Some(vec![("a", 101)])]);
    /// ```
    pub fn initial_state(mut self, states: impl Into<Rdd<(K, S)>>) -> Self
    where
        K: Data,
        S: Data,
    {
        self.initial = states.into().collect();
        self
    }

    /// Removes the state of a key that received no record for `idle` (Spark's `timeout`): the
    /// function is called one last time for it, with `None` and
    /// [`is_timing_out`](State::is_timing_out) true. A key's time is that of its last record.
    /// Spark checks for idle keys only at checkpoint batches, so its last calls may come a few
    /// batches later; they come at the first batch past the timeout here.
    ///
    /// ```
    /// use dstream::{State, StateSpec, secs};
    /// let spec = StateSpec::function(|_: &str, _: Option<()>, _: &mut State<()>| ()).timeout(secs(30));
    /// # let _ = spec;
    /// ```
    pub fn timeout(mut self, idle: impl Into<Duration>) -> Self {
        self.timeout = Some(idle.into());
        self
    }

    /// How many partitions the state snapshots have (Spark's `numPartitions`); by default the
    /// context's parallelism.
    ///
    /// ```
    /// use dstream::{State, StateSpec};
    /// let spec = StateSpec::function(|_: &str, _: Option<()>, _: &mut State<()>| ()).num_partitions(4);
    /// # let _ = spec;
    /// ```
    pub fn num_partitions(mut self, partitions: usize) -> Self {
        self.partitions = Some(partitions.max(1));
        self
    }
}

/// The states (with the time of each key's last record, in ms) and the last batch's mapped
/// records.
struct Shared<K, S, M> {
    states: OrderedMap<K, (S, i64)>,
    /// The initial states, until the first batch stamps them with its time.
    initial: Option<Vec<(K, S)>>,
    mapped: Option<(Time, Vec<M>)>,
}

pub(crate) struct MapStateCore<K, V, S, M> {
    parent: DStream<(K, V)>,
    spec: StateSpec<K, V, S, M>,
    shared: Mutex<Shared<K, S, M>>,
}

impl<K, V, S, M> MapStateCore<K, V, S, M> {
    fn lock(&self) -> MutexGuard<'_, Shared<K, S, M>> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K, V, S, M> StatefulOp for MapStateCore<K, V, S, M>
where
    K: Data + Eq + Hash + Persist,
    V: Data,
    S: Data + Persist,
    M: Data,
{
    fn name(&self) -> &'static str {
        "map_with_state"
    }

    fn data_type(&self) -> String {
        crate::scheduler::graph::short_type_name::<(K, S)>()
    }

    fn tick(&self, time: Time) -> Result<()> {
        let Some(batch) = self.parent.get_or_compute(time)? else { return Ok(()) };
        let now = time.as_millis();
        let mut guard = self.lock();
        let shared = &mut *guard;
        for (key, state) in shared.initial.take().unwrap_or_default() {
            shared.states.insert(key, (state, now));
        }
        let states = &mut shared.states;
        let mut mapped = Vec::with_capacity(batch.count());
        for (key, value) in batch.into_partitions().into_iter().flatten() {
            let mut state = State {
                value: states.get(&key).map(|(s, _)| s.clone()),
                updated: false,
                removed: false,
                timing_out: false,
            };
            mapped.push((self.spec.function)(key.clone(), Some(value), &mut state));
            if state.removed {
                states.remove(&key);
            } else if let Some(value) = state.value.filter(|_| state.updated || self.spec.timeout.is_some()) {
                // As in Spark: with a timeout, a record keeps its key alive even if unchanged.
                states.insert(key, (value, now));
            }
        }
        if let Some(idle) = self.spec.timeout {
            let threshold = (time - idle).as_millis();
            for (key, (value, _)) in states.take_where(|_, (_, last)| *last < threshold) {
                let mut state =
                    State { value: Some(value), updated: false, removed: false, timing_out: true };
                mapped.push((self.spec.function)(key, None, &mut state));
            }
        }
        shared.mapped = Some((time, mapped));
        Ok(())
    }

    fn save(&self, out: &mut Vec<u8>) {
        let shared = self.lock();
        let mut states = shared.states.to_vec();
        if let Some(initial) = &shared.initial {
            // Not yet stamped: the first batch after recovery stamps them.
            states.extend(initial.iter().map(|(k, s)| (k.clone(), (s.clone(), i64::MIN))));
        }
        states.write(out);
    }

    fn restore(&self, input: &mut &[u8]) -> Result<()> {
        let states = Vec::<(K, (S, i64))>::read(input)?;
        let mut shared = self.lock();
        let (unstamped, stamped): (Vec<_>, Vec<_>) =
            states.into_iter().partition(|(_, (_, t))| *t == i64::MIN);
        shared.states = OrderedMap::from_vec(stamped);
        shared.initial = Some(unstamped.into_iter().map(|(k, (s, _))| (k, s)).collect());
        Ok(())
    }

    fn requires_checkpoint(&self) -> bool {
        true
    }
}

/// The mapped records of each batch.
struct MappedCompute<K, V, S, M>(Arc<MapStateCore<K, V, S, M>>);

impl<K, V, S, M> Compute<M> for MappedCompute<K, V, S, M>
where
    K: Data + Eq + Hash + Persist,
    V: Data,
    S: Data + Persist,
    M: Data,
{
    fn compute(&self, time: Time) -> Result<Option<Rdd<M>>> {
        let mut shared = self.0.lock();
        Ok(match shared.mapped.take() {
            Some((at, records)) if at == time => {
                Some(Rdd::split(records, self.0.parent.shared().parallelism()))
            }
            other => {
                shared.mapped = other;
                None
            }
        })
    }
}

/// Every key's state after each batch.
struct SnapshotCompute<K, V, S, M>(Arc<MapStateCore<K, V, S, M>>);

impl<K, V, S, M> Compute<(K, S)> for SnapshotCompute<K, V, S, M>
where
    K: Data + Eq + Hash + Persist,
    V: Data,
    S: Data + Persist,
    M: Data,
{
    fn compute(&self, _time: Time) -> Result<Option<Rdd<(K, S)>>> {
        let states: Vec<(K, S)> =
            self.0.lock().states.to_vec().into_iter().map(|(k, (s, _))| (k, s)).collect();
        let partitions = self.0.spec.partitions.unwrap_or_else(|| self.0.parent.shared().parallelism());
        Ok(Some(Rdd::split(states, partitions)))
    }
}

/// What [`map_with_state`](crate::PairDStreamExt::map_with_state) returns (Spark's
/// `MapWithStateDStream`): the stream of the function's results, and the stream of every key's
/// state after each batch.
///
/// It dereferences to the mapped `DStream<M>`, so `map`, `pprint`, `foreach_rdd`... apply to it
/// directly; [`stream`](MapWithStateDStream::stream) gives that stream by value.
///
/// ```
/// use dstream::{DStream, MapWithStateDStream, PairDStreamExt, State, StateSpec, Text};
/// use dstream::prelude::*;
/// let ssc = StreamingContext::new(secs(5))?;
/// ssc.checkpoint(std::env::temp_dir().join("dstream-doc-mws"))?;
/// let pairs: DStream<(Text, i64)> = ssc.queue_stream(vec![vec![Text::from("spark")]], true, None).map(|w| (w, 1));
/// let totals: MapWithStateDStream<Text, i64, (Text, i64)> = pairs.map_with_state(StateSpec::function(
///     |word, one: Option<i64>, state: &mut State<i64>| {
///         let total = state.get_option().unwrap_or(&0) + one.unwrap_or(0);
///         state.update(total);
///         (word, total)
///     },
/// ));
/// totals.pprint();                   // the running count of each word as it arrives
/// totals.state_snapshots().pprint(); // every word's count after each batch
/// # Ok::<(), dstream::Error>(())
/// ```
pub struct MapWithStateDStream<K, S, M> {
    mapped: DStream<M>,
    snapshots: DStream<(K, S)>,
}

impl<K, S, M> Clone for MapWithStateDStream<K, S, M> {
    fn clone(&self) -> Self {
        MapWithStateDStream { mapped: self.mapped.clone(), snapshots: self.snapshots.clone() }
    }
}

impl<K, S, M> std::fmt::Debug for MapWithStateDStream<K, S, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.mapped.fmt(f)
    }
}

impl<K, S, M> std::ops::Deref for MapWithStateDStream<K, S, M> {
    type Target = DStream<M>;

    fn deref(&self) -> &DStream<M> {
        &self.mapped
    }
}

impl<K, S, M> MapWithStateDStream<K, S, M> {
    /// The stream of the function's results, one per record (and one per timed-out key).
    ///
    /// ```
    /// # use dstream::{DStream, PairDStreamExt, State, StateSpec, testing::run_batches};
    /// let out = run_batches(vec![vec![("a", 1)]], |p: DStream<(&str, i64)>| {
    ///     p.map_with_state(StateSpec::function(|k, v: Option<i64>, _: &mut State<()>| (k, v))).stream()
    /// });
    /// assert_eq!(out, vec![vec![("a", Some(1))]]);
    /// ```
    pub fn stream(&self) -> DStream<M> {
        self.mapped.clone()
    }

    /// Every key's state after each batch, keys in the order they first got a state (Spark's
    /// `stateSnapshots`).
    ///
    /// ```
    /// # use dstream::{DStream, PairDStreamExt, State, StateSpec, testing::run_batches};
    /// let spec = StateSpec::function(|_, v: Option<i64>, s: &mut State<i64>| {
    ///     s.update(s.get_option().unwrap_or(&0) + v.unwrap_or(0))
    /// });
    /// let out = run_batches(vec![vec![("a", 1), ("b", 2)], vec![("a", 3)]], |p: DStream<(&str, i64)>| {
    ///     p.map_with_state(spec).state_snapshots()
    /// });
    /// assert_eq!(out, vec![vec![("a", 1), ("b", 2)], vec![("a", 4), ("b", 2)]]);
    /// ```
    pub fn state_snapshots(&self) -> DStream<(K, S)> {
        self.snapshots.clone()
    }
}

pub(super) fn map_with_state<K, V, S, M>(
    parent: &DStream<(K, V)>,
    spec: StateSpec<K, V, S, M>,
) -> MapWithStateDStream<K, S, M>
where
    K: Data + Eq + Hash + Persist,
    V: Data,
    S: Data + Persist,
    M: Data,
{
    let mut spec = spec;
    let initial = Some(std::mem::take(&mut spec.initial));
    let core = Arc::new(MapStateCore {
        parent: parent.as_parent(),
        spec,
        shared: Mutex::new(Shared { states: OrderedMap::default(), initial, mapped: None }),
    });
    parent.shared().add_stateful(Arc::clone(&core) as Arc<dyn StatefulOp>);
    let mapped = parent.child("map_with_state", MappedCompute(Arc::clone(&core)));
    let snapshots = DStream::with_slide(
        parent.shared(),
        "state_snapshots",
        parent.lineage_then("map_with_state -> state_snapshots"),
        parent.slide_duration(),
        SnapshotCompute(core),
    );
    MapWithStateDStream { mapped, snapshots }
}
