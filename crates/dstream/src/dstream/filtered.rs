//! `filter`: keeps the records for which a predicate holds.

use super::{Compute, DStream};
use crate::error::Result;
use crate::rdd::{Data, Rdd};
use crate::time::Time;

pub(crate) struct FilteredDStream<T, F> {
    parent: DStream<T>,
    f: F,
}

impl<T: Data, F: Fn(&T) -> bool + Send + Sync> Compute<T> for FilteredDStream<T, F> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        Ok(self.parent.get_or_compute(time)?.map(|rdd| rdd.filter(&self.f)))
    }
}

pub(super) fn filter<T: Data>(
    parent: &DStream<T>,
    f: impl Fn(&T) -> bool + Send + Sync + 'static,
) -> DStream<T> {
    let op = FilteredDStream { parent: parent.as_parent(), f };
    parent.child("filter", op)
}
