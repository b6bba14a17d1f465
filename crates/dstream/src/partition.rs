//! Partitions and how they are processed: one task per partition, on every core when the batch
//! is big enough, with narrow transformations fused into one pass (as Spark pipelines a stage).
//!
//! For the lab's three-line batches, starting a thread would cost more than the work, so small
//! batches run on the calling thread.

use crate::rdd::{Data, Rdd};

/// Below this many records in a batch, partitions are processed one after the other.
pub(crate) const PARALLEL_THRESHOLD: usize = 8192;

/// Whether a batch of `records` records is worth spreading over threads.
pub(crate) fn worth_parallel(records: usize) -> bool {
    records >= PARALLEL_THRESHOLD
}

/// Applies `f` to each partition, in parallel if asked, and returns the results in partition
/// order.
pub(crate) fn map_partitions<P, U, F>(parts: Vec<P>, parallel: bool, f: F) -> Vec<U>
where
    P: Send,
    U: Send,
    F: Fn(P) -> U + Sync,
{
    if parts.len() < 2 || !parallel {
        return parts.into_iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let mut parts = parts.into_iter();
        let first = parts.next().expect("at least two partitions");
        let handles: Vec<_> = parts.map(|part| scope.spawn(move || f(part))).collect();
        let mut out = Vec::with_capacity(handles.len() + 1);
        out.push(f(first));
        for handle in handles {
            // A panic in user code inside a task is re-raised here, on the job thread, where the
            // scheduler catches it and reports it as the batch's error.
            out.push(handle.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload)));
        }
        out
    })
}

/// One partition's records, not computed yet: running it pushes them, one at a time, into a sink.
///
/// A chain of narrow transformations is a chain of these, each wrapping its parent's and handing
/// every record on as soon as it is made: a line's words go to `map`, and its pairs to the grouping
/// table, without being gathered anywhere in between (Spark pipelines a stage's operators the same
/// way). The one dynamic call per record and operator costs about what writing each operator's
/// output to a chunk and reading it back did, and allocates nothing per operator.
pub(crate) trait Part<T>: Send {
    /// Pushes every record into `sink`, in order.
    fn run(self: Box<Self>, sink: &mut dyn FnMut(T));
}

/// A partition of a lazy batch.
pub(crate) type BoxedPart<T> = Box<dyn Part<T>>;

/// A materialised partition's records, moved out one by one.
impl<T: Send> Part<T> for Vec<T> {
    fn run(self: Box<Self>, sink: &mut dyn FnMut(T)) {
        for record in *self {
            sink(record);
        }
    }
}

/// Something whose records can be pushed into a function: a lazy partition, or anything that
/// iterates (what grouping by key consumes).
pub(crate) trait Records<T>: Send {
    fn for_each_record(self, f: impl FnMut(T));
}

impl<T, I: IntoIterator<Item = T> + Send> Records<T> for I {
    #[inline]
    fn for_each_record(self, f: impl FnMut(T)) {
        self.into_iter().for_each(f);
    }
}

impl<T> Records<T> for BoxedPart<T> {
    #[inline]
    fn for_each_record(self, mut f: impl FnMut(T)) {
        self.run(&mut f);
    }
}

/// A batch whose narrow transformations are not applied yet: one [`Part`] per partition.
/// Consuming it runs the whole chain in one pass per partition.
pub(crate) struct Lazy<T> {
    pub(crate) parts: Vec<BoxedPart<T>>,
    /// Records in the materialised batch these parts start from (decides parallelism).
    pub(crate) source_records: usize,
}

impl<T: Data> Lazy<T> {
    /// The partitions of `rdd` as parts (moved out if `rdd` is the only handle).
    pub(crate) fn from_rdd(rdd: Rdd<T>) -> Self {
        let source_records = rdd.count();
        let parts = rdd.into_partitions().into_iter().map(|p| Box::new(p) as BoxedPart<T>).collect();
        Lazy { parts, source_records }
    }

    /// Wraps each partition's part (a narrow transformation).
    pub(crate) fn map_parts<U>(self, f: impl Fn(BoxedPart<T>) -> BoxedPart<U>) -> Lazy<U> {
        Lazy { parts: self.parts.into_iter().map(f).collect(), source_records: self.source_records }
    }

    /// Whether consuming this batch is worth spreading over threads.
    pub(crate) fn parallel(&self) -> bool {
        worth_parallel(self.source_records)
    }

    /// Runs the chain and keeps the records.
    pub(crate) fn materialize(self) -> Rdd<T> {
        let parallel = self.parallel();
        Rdd::from_partitions(map_partitions(self.parts, parallel, |part| {
            let mut records = Vec::new();
            part.run(&mut |record| records.push(record));
            records
        }))
    }
}

/// Splits `data` into `n` contiguous partitions of near-equal length (some may be empty).
pub(crate) fn split<T>(mut data: Vec<T>, n: usize) -> Vec<Vec<T>> {
    let n = n.max(1);
    if n == 1 {
        return vec![data];
    }
    let len = data.len();
    let mut parts = Vec::with_capacity(n);
    // Split from the back so each `split_off` moves only the tail; earlier partitions get the
    // extra records, so one record lands in the first partition.
    for i in (1..n).rev() {
        let start = (len * i).div_ceil(n);
        parts.push(data.split_off(start));
    }
    parts.push(data);
    parts.reverse();
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_order_and_sizes() {
        let parts = split((0..10).collect::<Vec<_>>(), 3);
        assert_eq!(parts, vec![vec![0, 1, 2, 3], vec![4, 5, 6], vec![7, 8, 9]]);
        assert_eq!(split(vec![1], 2), vec![vec![1], vec![]]);
        assert_eq!(split(Vec::<u8>::new(), 2), vec![Vec::<u8>::new(), Vec::new()]);
    }

    #[test]
    fn parallel_map_keeps_partition_order() {
        let parts = split((0..100_000u64).collect::<Vec<_>>(), 2);
        let sums = map_partitions(parts, true, |p| p.iter().sum::<u64>());
        assert_eq!(sums, vec![(0..50_000u64).sum::<u64>(), (50_000..100_000u64).sum::<u64>()]);
    }

    #[test]
    fn lazy_chain_runs_in_one_pass_per_partition() {
        let rdd = Rdd::from_partitions(vec![vec![1, 2], vec![3]]);
        let lazy = Lazy::from_rdd(rdd).map_parts(|part| Box::new(Times10(part)));
        assert_eq!(lazy.materialize().partitions(), &[vec![10, 20], vec![30]]);
    }

    struct Times10(BoxedPart<i32>);

    impl Part<i32> for Times10 {
        fn run(self: Box<Self>, sink: &mut dyn FnMut(i32)) {
            self.0.run(&mut |x| sink(x * 10));
        }
    }
}
