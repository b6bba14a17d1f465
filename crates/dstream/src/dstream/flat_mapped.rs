//! `flat_map`: applies a function to every record and flattens what it returns.

use super::{Compute, DStream};
use crate::error::Result;
use crate::rdd::{Data, Rdd};
use crate::time::Time;
use std::marker::PhantomData;

pub(crate) struct FlatMappedDStream<T, I, F> {
    parent: DStream<T>,
    f: F,
    output: PhantomData<fn() -> I>,
}

impl<T, U, I, F> Compute<U> for FlatMappedDStream<T, I, F>
where
    T: Data,
    U: Data,
    I: IntoIterator<Item = U>,
    F: Fn(T) -> I + Send + Sync,
{
    fn compute(&self, time: Time) -> Result<Option<Rdd<U>>> {
        Ok(self.parent.get_or_compute(time)?.map(|rdd| rdd.flat_map(&self.f)))
    }
}

pub(super) fn flat_map<T: Data, U: Data, I: IntoIterator<Item = U> + 'static>(
    parent: &DStream<T>,
    f: impl Fn(T) -> I + Send + Sync + 'static,
) -> DStream<U> {
    let op = FlatMappedDStream { parent: parent.as_parent(), f, output: PhantomData };
    parent.child("flat_map", op)
}
