//! `union`: the records of two streams, batch by batch.

use super::{Compute, DStream};
use crate::error::Result;
use crate::partition::Lazy;
use crate::rdd::{Data, Rdd};
use crate::time::Time;

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
    left.check_combinable("union", right);
    let op = UnionDStream { left: left.as_parent(), right: right.as_parent() };
    let lineage = format!("union({}, {})", left.lineage(), right.lineage());
    DStream::with_slide(left.shared(), "union", lineage, left.slide_duration(), op)
}

impl crate::StreamingContext {
    /// The records of all `streams`, batch by batch, in the order given (Spark's
    /// `StreamingContext.union`); `None` when `streams` is empty.
    ///
    /// ```
    /// use dstream::{Duration, StreamingContext};
    /// let ssc = StreamingContext::new(Duration::from_secs(1))?;
    /// let streams: Vec<_> = (0..3).map(|i| ssc.queue_stream(vec![vec![i]], true, None)).collect();
    /// let all = ssc.union(&streams).unwrap();
    /// assert_eq!(all.lineage(), "union(union(queue_stream, queue_stream), queue_stream)");
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn union<T: Data>(&self, streams: &[DStream<T>]) -> Option<DStream<T>> {
        let (first, rest) = streams.split_first()?;
        Some(rest.iter().fold(first.clone(), |all, next| all.union(next)))
    }
}
