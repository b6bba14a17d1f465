//! `map`: applies a function to every record.

use super::{Compute, DStream};
use crate::error::Result;
use crate::partition::{Lazy, PartIter};
use crate::rdd::{Data, Rdd};
use crate::time::Time;
use std::marker::PhantomData;
use std::sync::Arc;

pub(crate) struct MappedDStream<T, U, F> {
    parent: DStream<T>,
    f: Arc<F>,
    output: PhantomData<fn() -> U>,
}

impl<T: Data, U: Data, F: Fn(T) -> U + Send + Sync + 'static> Compute<U> for MappedDStream<T, U, F> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<U>>> {
        Ok(self.compute_lazy(time)?.map(Lazy::materialize))
    }

    fn compute_lazy(&self, time: Time) -> Result<Option<Lazy<U>>> {
        Ok(self.parent.get_or_compute_lazy(time)?.map(|lazy| {
            lazy.map_parts(|part| {
                let f = Arc::clone(&self.f);
                Box::new(part.map(move |chunk| chunk.into_iter().map(|x| f(x)).collect())) as PartIter<U>
            })
        }))
    }
}

pub(super) fn map<T: Data, U: Data>(
    parent: &DStream<T>,
    f: impl Fn(T) -> U + Send + Sync + 'static,
) -> DStream<U> {
    let op = MappedDStream { parent: parent.as_parent(), f: Arc::new(f), output: PhantomData };
    parent.child("map", op)
}
