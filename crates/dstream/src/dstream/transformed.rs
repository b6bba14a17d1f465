//! `transform`: applies a function to each batch's whole RDD (also the basis of `count`,
//! `reduce`, `count_by_value`, `glom`...), and `transform_with`, to the batches of two streams.

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

pub(crate) struct TransformedWithDStream<T, U, V, F> {
    left: DStream<T>,
    right: DStream<U>,
    f: F,
    output: PhantomData<fn() -> V>,
}

impl<T: Data, U: Data, V: Data, F: Fn(Rdd<T>, Rdd<U>) -> Rdd<V> + Send + Sync> Compute<V>
    for TransformedWithDStream<T, U, V, F>
{
    fn compute(&self, time: Time) -> Result<Option<Rdd<V>>> {
        let left = self.left.get_or_compute(time)?;
        let right = self.right.get_or_compute(time)?;
        Ok(match (left, right) {
            (None, None) => None,
            (left, right) => {
                Some((self.f)(left.unwrap_or_else(Rdd::empty), right.unwrap_or_else(Rdd::empty)))
            }
        })
    }
}

pub(super) fn transform_with<T: Data, U: Data, V: Data>(
    left: &DStream<T>,
    right: &DStream<U>,
    f: impl Fn(Rdd<T>, Rdd<U>) -> Rdd<V> + Send + Sync + 'static,
) -> DStream<V> {
    left.check_combinable("transform_with", right);
    let lineage = format!("transform_with({}, {})", left.lineage(), right.lineage());
    let op =
        TransformedWithDStream { left: left.as_parent(), right: right.as_parent(), f, output: PhantomData };
    DStream::with_slide(left.shared(), "transform_with", lineage, left.slide_duration(), op)
}
