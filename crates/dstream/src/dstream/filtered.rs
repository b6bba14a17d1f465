//! `filter`: keeps the records for which a predicate holds.

use super::{Compute, DStream};
use crate::error::Result;
use crate::partition::{Lazy, PartIter};
use crate::rdd::{Data, Rdd};
use crate::time::Time;
use std::sync::Arc;

pub(crate) struct FilteredDStream<T, F> {
    parent: DStream<T>,
    f: Arc<F>,
}

impl<T: Data, F: Fn(&T) -> bool + Send + Sync + 'static> Compute<T> for FilteredDStream<T, F> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        Ok(self.compute_lazy(time)?.map(Lazy::materialize))
    }

    fn compute_lazy(&self, time: Time) -> Result<Option<Lazy<T>>> {
        Ok(self.parent.get_or_compute_lazy(time)?.map(|lazy| {
            lazy.map_parts(|part| {
                let f = Arc::clone(&self.f);
                Box::new(part.map(move |mut chunk| {
                    chunk.retain(|x| f(x));
                    chunk
                })) as PartIter<T>
            })
        }))
    }
}

pub(super) fn filter<T: Data>(
    parent: &DStream<T>,
    f: impl Fn(&T) -> bool + Send + Sync + 'static,
) -> DStream<T> {
    let op = FilteredDStream { parent: parent.as_parent(), f: Arc::new(f) };
    parent.child("filter", op)
}
