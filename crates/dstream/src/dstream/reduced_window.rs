//! `reduce_by_key_and_window`: values of each key merged over a sliding window, recomputed from
//! per-batch partial results, or updated incrementally with an inverse function (Spark's
//! `ReducedWindowedDStream`).

use super::{Compute, DStream};
use crate::aggregate::{self, OrderedMap, Tables};
use crate::error::Result;
use crate::persist::Persist;
use crate::rdd::{Data, Rdd};
use crate::scheduler::graph::StatefulOp;
use crate::time::{Duration, Time};
use std::collections::VecDeque;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

type Reducer<V> = Arc<dyn Fn(V, V) -> V + Send + Sync>;
type KeepFilter<K, V> = Arc<dyn Fn(&(K, V)) -> bool + Send + Sync>;

/// The inverse path: how values leave the window, and which keys to keep.
pub(crate) struct Inverse<K, V> {
    pub(crate) inv: Reducer<V>,
    pub(crate) keep: Option<KeepFilter<K, V>>,
}

pub(crate) struct ReducedWindowCore<K, V> {
    parent: DStream<(K, V)>,
    window: Duration,
    reduce: Reducer<V>,
    inverse: Option<Inverse<K, V>>,
    state: Mutex<WindowState<K, V>>,
    /// For each batch's reduction, kept from batch to batch (see [`Tables`]).
    tables: Tables<K, V>,
}

#[derive(Default)]
struct WindowState<K, V> {
    /// Each batch in the window, reduced by key (first-occurrence order), oldest first.
    batches: VecDeque<(Time, Vec<(K, V)>)>,
    /// With an inverse function: the window's running result.
    running: OrderedMap<K, V>,
}

impl<K: Data + Eq + Hash + Persist, V: Data + Persist> StatefulOp for ReducedWindowCore<K, V> {
    fn name(&self) -> &'static str {
        "reduce_by_key_and_window"
    }

    fn data_type(&self) -> String {
        crate::scheduler::graph::short_type_name::<(K, V)>()
    }

    fn tick(&self, time: Time) -> Result<()> {
        let Some(batch) = self.parent.get_or_compute_lazy(time)? else { return Ok(()) };
        let parallel = batch.parallel();
        let reduce = &self.reduce;
        let reduced = aggregate::combine_by_key_in(
            &self.tables,
            batch.parts,
            parallel,
            |v| v,
            |a, b| reduce(a, b),
            |a, b| reduce(a, b),
        );
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if self.inverse.is_some() {
            for (k, v) in &reduced {
                state.running.merge(k.clone(), v.clone(), |a, b| reduce(a, b));
            }
        }
        state.batches.push_back((time, reduced));
        while state.batches.front().is_some_and(|(t, _)| *t <= time - self.window) {
            let (_, leaving) = state.batches.pop_front().expect("checked");
            if let Some(inverse) = &self.inverse {
                for (k, v) in leaving {
                    state.running.update(&k, |current| (inverse.inv)(current, v));
                }
            }
        }
        if let Some(keep) = self.inverse.as_ref().and_then(|i| i.keep.as_ref()) {
            state.running.retain(|k, v| keep(&(k.clone(), v.clone())));
        }
        Ok(())
    }

    fn save(&self, out: &mut Vec<u8>) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // The layout of a `Vec<(i64, Vec<(K, V)>)>`, written without copying the batches.
        state.batches.len().write(out);
        for (time, batch) in &state.batches {
            time.as_millis().write(out);
            batch.write(out);
        }
        state.running.to_vec().write(out);
    }

    fn restore(&self, input: &mut &[u8]) -> Result<()> {
        let batches = Vec::<(i64, Vec<(K, V)>)>::read(input)?;
        let running = Vec::<(K, V)>::read(input)?;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.batches = batches.into_iter().map(|(t, b)| (Time::from_millis(t), b)).collect();
        state.running = OrderedMap::from_vec(running);
        Ok(())
    }

    fn requires_checkpoint(&self) -> bool {
        self.inverse.is_some()
    }
}

struct ReducedWindowCompute<K, V>(Arc<ReducedWindowCore<K, V>>);

impl<K: Data + Eq + Hash, V: Data> Compute<(K, V)> for ReducedWindowCompute<K, V> {
    fn compute(&self, _time: Time) -> Result<Option<Rdd<(K, V)>>> {
        let core = &self.0;
        let state = core.state.lock().unwrap_or_else(|e| e.into_inner());
        let partitions = core.parent.shared().parallelism();
        let result = if core.inverse.is_some() {
            state.running.to_vec()
        } else {
            // Recompute: merge the window's per-batch results, oldest batch first.
            let batches: Vec<Vec<(K, V)>> = state.batches.iter().map(|(_, b)| b.clone()).collect();
            let reduce = &core.reduce;
            aggregate::combine_by_key(batches, false, |v| v, |a, b| reduce(a, b), |a, b| reduce(a, b))
        };
        Ok(Some(Rdd::split(result, partitions)))
    }
}

pub(super) fn reduce_by_key_and_window<K, V>(
    parent: &DStream<(K, V)>,
    name: &'static str,
    reduce: Reducer<V>,
    inverse: Option<Inverse<K, V>>,
    window: Duration,
    slide: Duration,
) -> DStream<(K, V)>
where
    K: Data + Eq + Hash + Persist,
    V: Data + Persist,
{
    parent.check_window(name, window, slide);
    let core = Arc::new(ReducedWindowCore {
        parent: parent.as_parent(),
        window,
        reduce,
        inverse,
        state: Mutex::new(WindowState { batches: VecDeque::new(), running: OrderedMap::default() }),
        tables: Tables::default(),
    });
    parent.shared().add_stateful(Arc::clone(&core) as Arc<dyn StatefulOp>);
    DStream::with_slide(parent.shared(), name, parent.lineage_then(name), slide, ReducedWindowCompute(core))
}
