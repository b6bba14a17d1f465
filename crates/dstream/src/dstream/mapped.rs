//! `map`: applies a function to every record.

use super::{Compute, DStream};
use crate::error::Result;
use crate::rdd::{Data, Rdd};
use crate::time::Time;
use std::marker::PhantomData;

pub(crate) struct MappedDStream<T, U, F> {
    parent: DStream<T>,
    f: F,
    output: PhantomData<fn() -> U>,
}

impl<T: Data, U: Data, F: Fn(T) -> U + Send + Sync> Compute<U> for MappedDStream<T, U, F> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<U>>> {
        Ok(self.parent.get_or_compute(time)?.map(|rdd| rdd.map(&self.f)))
    }
}

pub(super) fn map<T: Data, U: Data>(
    parent: &DStream<T>,
    f: impl Fn(T) -> U + Send + Sync + 'static,
) -> DStream<U> {
    let op = MappedDStream { parent: parent.as_parent(), f, output: PhantomData };
    parent.child("map", op)
}
