//! `union`: the records of two streams, batch by batch.

use super::{Compute, DStream};
use crate::error::{Error, Result};
use crate::partition::Lazy;
use crate::rdd::{Data, Rdd};
use crate::time::Time;
use std::sync::Arc;

pub(crate) struct UnionDStream<T> {
    left: DStream<T>,
    right: DStream<T>,
}

impl<T: Data> Compute<T> for UnionDStream<T> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        Ok(self.compute_lazy(time)?.map(Lazy::materialize))
    }

    /// The partitions of both parents, left first: nothing is copied.
    fn compute_lazy(&self, time: Time) -> Result<Option<Lazy<T>>> {
        let left = self.left.get_or_compute_lazy(time)?;
        let right = self.right.get_or_compute_lazy(time)?;
        Ok(match (left, right) {
            (None, None) => None,
            (Some(one), None) | (None, Some(one)) => Some(one),
            (Some(mut left), Some(right)) => {
                left.parts.extend(right.parts);
                left.source_records += right.source_records;
                Some(left)
            }
        })
    }
}

pub(super) fn union<T: Data>(left: &DStream<T>, right: &DStream<T>) -> DStream<T> {
    if !Arc::ptr_eq(left.shared(), right.shared()) {
        left.shared().record_declaration_error(Error::invalid_argument(
            "union: the two streams belong to different StreamingContexts; build both from the same context",
        ));
    }
    if left.slide_duration() != right.slide_duration() {
        left.shared().record_declaration_error(Error::invalid_argument(format!(
            "union: the streams slide every {} and {}; they must slide at the same interval",
            left.slide_duration(),
            right.slide_duration()
        )));
    }
    let op = UnionDStream { left: left.as_parent(), right: right.as_parent() };
    DStream::with_slide(left.shared(), "union", left.slide_duration(), op)
}
