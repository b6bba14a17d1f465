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

/// Records per chunk of a lazy partition: big enough that the one dynamic call per chunk is
/// negligible, small enough that a chunk stays in cache between operators.
pub(crate) const CHUNK: usize = 512;

/// One partition's records, produced on demand, a chunk at a time.
pub(crate) type PartIter<T> = Box<dyn Iterator<Item = Vec<T>> + Send>;

/// A batch whose narrow transformations are not applied yet: one chunk iterator per partition.
/// Consuming it runs the whole chain in one pass per partition, each operator looping over a
/// chunk in tight, statically dispatched code.
pub(crate) struct Lazy<T> {
    pub(crate) parts: Vec<PartIter<T>>,
    /// Records in the materialised batch these iterators start from (decides parallelism).
    pub(crate) source_records: usize,
}

impl<T: Data> Lazy<T> {
    /// The partitions of `rdd` as iterators (moved out if `rdd` is the only handle).
    pub(crate) fn from_rdd(rdd: Rdd<T>) -> Self {
        let source_records = rdd.count();
        let parts = rdd
            .into_partitions()
            .into_iter()
            .map(|p| Box::new(Chunked(p.into_iter())) as PartIter<T>)
            .collect();
        Lazy { parts, source_records }
    }

    /// Wraps each partition's iterator (a narrow transformation).
    pub(crate) fn map_parts<U>(self, f: impl Fn(PartIter<T>) -> PartIter<U>) -> Lazy<U> {
        Lazy { parts: self.parts.into_iter().map(f).collect(), source_records: self.source_records }
    }

    /// Whether consuming this batch is worth spreading over threads.
    pub(crate) fn parallel(&self) -> bool {
        worth_parallel(self.source_records)
    }

    /// Runs the chain and keeps the records.
    pub(crate) fn materialize(self) -> Rdd<T> {
        let parallel = self.parallel();
        Rdd::from_partitions(map_partitions(self.parts, parallel, |chunks| {
            let mut records = Vec::new();
            for mut chunk in chunks {
                records.append(&mut chunk);
            }
            records
        }))
    }
}

/// A vector's records, `CHUNK` at a time.
struct Chunked<T>(std::vec::IntoIter<T>);

impl<T> Iterator for Chunked<T> {
    type Item = Vec<T>;

    fn next(&mut self) -> Option<Vec<T>> {
        let chunk: Vec<T> = self.0.by_ref().take(CHUNK).collect();
        if chunk.is_empty() { None } else { Some(chunk) }
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
        let lazy = Lazy::from_rdd(rdd)
            .map_parts(|chunks| Box::new(chunks.map(|c| c.into_iter().map(|x| x * 10).collect())));
        assert_eq!(lazy.materialize().partitions(), &[vec![10, 20], vec![30]]);
    }
}
