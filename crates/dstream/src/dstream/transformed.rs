//! `transform`: applies a function to each batch's whole RDD (also the basis of `count`,
//! `reduce` and `count_by_value`).

use super::{Compute, DStream};
use crate::error::Result;
use crate::rdd::{Data, Rdd};
use crate::time::Time;
use std::marker::PhantomData;

pub(crate) struct TransformedDStream<T, U, F> {
    parent: DStream<T>,
    f: F,
    output: PhantomData<fn() -> U>,
}

impl<T: Data, U: Data, F: Fn(Rdd<T>, Time) -> Rdd<U> + Send + Sync> Compute<U>
    for TransformedDStream<T, U, F>
{
    fn compute(&self, time: Time) -> Result<Option<Rdd<U>>> {
        Ok(self.parent.get_or_compute(time)?.map(|rdd| (self.f)(rdd, time)))
    }
}

pub(super) fn transform<T: Data, U: Data>(
    parent: &DStream<T>,
    name: &'static str,
    f: impl Fn(Rdd<T>, Time) -> Rdd<U> + Send + Sync + 'static,
) -> DStream<U> {
    let op = TransformedDStream { parent: parent.as_parent(), f, output: PhantomData };
    parent.child(name, op)
}
