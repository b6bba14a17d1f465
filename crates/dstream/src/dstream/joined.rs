//! `join`: pairs the values of equal keys of two keyed streams, batch by batch.

use super::{Compute, DStream};
use crate::aggregate;
use crate::error::Result;
use crate::rdd::{Data, Rdd};
use crate::time::Time;
use std::hash::Hash;

pub(crate) struct JoinedDStream<K, V, W> {
    left: DStream<(K, V)>,
    right: DStream<(K, W)>,
}

impl<K: Data + Eq + Hash, V: Data, W: Data> Compute<(K, (V, W))> for JoinedDStream<K, V, W> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<(K, (V, W))>>> {
        let left = self.left.get_or_compute(time)?;
        let right = self.right.get_or_compute(time)?;
        Ok(match (left, right) {
            (Some(left), Some(right)) => {
                let n = left.num_partitions();
                Some(Rdd::split(aggregate::join(left.into_partitions(), right.into_partitions()), n))
            }
            _ => None,
        })
    }
}

pub(super) fn join<K: Data + Eq + Hash, V: Data, W: Data>(
    left: &DStream<(K, V)>,
    right: &DStream<(K, W)>,
) -> DStream<(K, (V, W))> {
    left.child("join", JoinedDStream { left: left.as_parent(), right: right.as_parent() })
}
