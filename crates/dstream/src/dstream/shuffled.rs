//! `reduce_by_key` and `group_by_key`: grouping a keyed batch by key (Spark's `ShuffledDStream`).

use super::{Compute, DStream};
use crate::aggregate::{self, Tables, extend, push};
use crate::error::Result;
use crate::partition::BoxedPart;
use crate::rdd::{Data, Rdd};
use crate::time::Time;
use std::hash::Hash;
use std::marker::PhantomData;

/// How the values of one key are combined (Spark's `Aggregator`).
pub(crate) trait Combine<V, C>: Send + Sync {
    fn combine<K: Eq + Hash + Send>(
        &self,
        tables: &Tables<K, C>,
        parts: Vec<BoxedPart<(K, V)>>,
        parallel: bool,
    ) -> Vec<(K, C)>;
}

/// Merge values with a binary function.
pub(crate) struct Reduce<F>(pub F);

impl<V: Send, F: Fn(V, V) -> V + Send + Sync> Combine<V, V> for Reduce<F> {
    fn combine<K: Eq + Hash + Send>(
        &self,
        tables: &Tables<K, V>,
        parts: Vec<BoxedPart<(K, V)>>,
        parallel: bool,
    ) -> Vec<(K, V)> {
        aggregate::combine_by_key_in(tables, parts, parallel, |v| v, &self.0, &self.0)
    }
}

/// Collect values into a `Vec`, in arrival order.
pub(crate) struct Group;

impl<V: Send> Combine<V, Vec<V>> for Group {
    fn combine<K: Eq + Hash + Send>(
        &self,
        tables: &Tables<K, Vec<V>>,
        parts: Vec<BoxedPart<(K, V)>>,
        parallel: bool,
    ) -> Vec<(K, Vec<V>)> {
        aggregate::combine_by_key_in(tables, parts, parallel, |v| vec![v], push, extend)
    }
}

pub(crate) struct ShuffledDStream<K, V, C, A> {
    parent: DStream<(K, V)>,
    aggregator: A,
    /// Kept from batch to batch (see [`Tables`]).
    tables: Tables<K, C>,
    output: PhantomData<fn() -> C>,
}

impl<K, V, C, A> Compute<(K, C)> for ShuffledDStream<K, V, C, A>
where
    K: Data + Eq + Hash,
    V: Data,
    C: Data,
    A: Combine<V, C>,
{
    fn compute(&self, time: Time) -> Result<Option<Rdd<(K, C)>>> {
        Ok(self.parent.get_or_compute_lazy(time)?.map(|lazy| {
            let (n, parallel) = (lazy.parts.len(), lazy.parallel());
            Rdd::split(self.aggregator.combine(&self.tables, lazy.parts, parallel), n)
        }))
    }
}

pub(super) fn shuffle<K, V, C, A>(
    parent: &DStream<(K, V)>,
    name: &'static str,
    aggregator: A,
) -> DStream<(K, C)>
where
    K: Data + Eq + Hash,
    V: Data,
    C: Data,
    A: Combine<V, C> + 'static,
{
    let op = ShuffledDStream {
        parent: parent.as_parent(),
        aggregator,
        tables: Tables::default(),
        output: PhantomData,
    };
    parent.child(name, op)
}
