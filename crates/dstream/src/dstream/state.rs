//! `update_state_by_key`: a state per key, updated at every batch from the key's new values
//! (Spark's `StateDStream`).

use super::{Compute, DStream};
use crate::aggregate::{self, OrderedMap};
use crate::error::Result;
use crate::persist::Persist;
use crate::rdd::{Data, Rdd};
use crate::scheduler::graph::StatefulOp;
use crate::time::Time;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

pub(crate) struct StateCore<K, V, S, F> {
    parent: DStream<(K, V)>,
    update: F,
    states: Mutex<OrderedMap<K, S>>,
    _values: std::marker::PhantomData<fn(V)>,
}

impl<K, V, S, F> StatefulOp for StateCore<K, V, S, F>
where
    K: Data + Eq + Hash + Persist,
    V: Data,
    S: Data + Persist,
    F: Fn(Vec<V>, Option<S>) -> Option<S> + Send + Sync,
{
    fn name(&self) -> &'static str {
        "update_state_by_key"
    }

    fn data_type(&self) -> String {
        crate::scheduler::graph::short_type_name::<(K, S)>()
    }

    /// Calls the update function for every key with a state (with no new values if none came)
    /// and for every new key; `None` removes the key.
    fn tick(&self, time: Time) -> Result<()> {
        let Some(batch) = self.parent.get_or_compute(time)? else { return Ok(()) };
        let mut new_values: rustc_hash::FxHashMap<K, Vec<V>> = rustc_hash::FxHashMap::default();
        let mut new_keys = Vec::new();
        for (key, values) in aggregate::group(batch.into_partitions()) {
            new_keys.push(key.clone());
            new_values.insert(key, values);
        }
        let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        let previous = states.take_vec();
        let mut next = Vec::with_capacity(previous.len() + new_keys.len());
        for (key, state) in previous {
            let values = new_values.remove(&key).unwrap_or_default();
            if let Some(state) = (self.update)(values, Some(state)) {
                next.push((key, state));
            }
        }
        for key in new_keys {
            if let Some(values) = new_values.remove(&key)
                && let Some(state) = (self.update)(values, None)
            {
                next.push((key, state));
            }
        }
        *states = OrderedMap::from_vec(next);
        Ok(())
    }

    fn save(&self, out: &mut Vec<u8>) {
        self.states.lock().unwrap_or_else(|e| e.into_inner()).to_vec().write(out);
    }

    fn restore(&self, input: &mut &[u8]) -> Result<()> {
        let states = Vec::<(K, S)>::read(input)?;
        *self.states.lock().unwrap_or_else(|e| e.into_inner()) = OrderedMap::from_vec(states);
        Ok(())
    }

    fn requires_checkpoint(&self) -> bool {
        true
    }
}

struct StateCompute<K, V, S, F>(Arc<StateCore<K, V, S, F>>);

impl<K, V, S, F> Compute<(K, S)> for StateCompute<K, V, S, F>
where
    K: Data + Eq + Hash + Persist,
    V: Data,
    S: Data + Persist,
    F: Fn(Vec<V>, Option<S>) -> Option<S> + Send + Sync + 'static,
{
    fn compute(&self, _time: Time) -> Result<Option<Rdd<(K, S)>>> {
        let states = self.0.states.lock().unwrap_or_else(|e| e.into_inner()).to_vec();
        Ok(Some(Rdd::split(states, self.0.parent.shared().parallelism())))
    }
}

pub(super) fn update_state_by_key<K, V, S, F>(parent: &DStream<(K, V)>, update: F) -> DStream<(K, S)>
where
    K: Data + Eq + Hash + Persist,
    V: Data,
    S: Data + Persist,
    F: Fn(Vec<V>, Option<S>) -> Option<S> + Send + Sync + 'static,
{
    let core = Arc::new(StateCore {
        parent: parent.as_parent(),
        update,
        states: Mutex::new(OrderedMap::default()),
        _values: std::marker::PhantomData,
    });
    parent.shared().add_stateful(Arc::clone(&core) as Arc<dyn StatefulOp>);
    parent.child("update_state_by_key", StateCompute(core))
}
