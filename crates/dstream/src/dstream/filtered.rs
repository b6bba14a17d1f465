//! `filter`: keeps the records for which a predicate holds.

use super::{Compute, DStream};
use crate::error::Result;
use crate::partition::{BoxedPart, Lazy, Part};
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
            lazy.map_parts(|parent| Box::new(FilteredPart { parent, f: Arc::clone(&self.f) }) as BoxedPart<T>)
        }))
    }
}

/// One partition of a `filter`: its parent's records that pass, as they come.
struct FilteredPart<T, F> {
    parent: BoxedPart<T>,
    f: Arc<F>,
}

impl<T: Data, F: Fn(&T) -> bool + Send + Sync> Part<T> for FilteredPart<T, F> {
    fn run(self: Box<Self>, sink: &mut dyn FnMut(T)) {
        let f = &*self.f;
        self.parent.run(&mut |x| {
            if f(&x) {
                sink(x);
            }
        });
    }
}

pub(super) fn filter<T: Data>(
    parent: &DStream<T>,
    f: impl Fn(&T) -> bool + Send + Sync + 'static,
) -> DStream<T> {
    let op = FilteredDStream { parent: parent.as_parent(), f: Arc::new(f) };
    parent.child("filter", op)
}
