//! Running a function over an RDD's partitions, on every core when the batch is big enough.
//!
//! Spark splits a batch into partitions and runs one task per partition. We do the same with
//! scoped threads, but only when a batch is large: for the lab's three-line batches, starting a
//! thread would cost more than the work.

/// Below this many records in a batch, partitions are processed one after the other.
pub(crate) const PARALLEL_THRESHOLD: usize = 8192;

/// A partition, owned or borrowed: something with a number of records.
pub(crate) trait Partition: Send {
    fn records(&self) -> usize;
}

impl<T: Send> Partition for Vec<T> {
    fn records(&self) -> usize {
        self.len()
    }
}

impl<T: Sync> Partition for &Vec<T> {
    fn records(&self) -> usize {
        self.len()
    }
}

/// Applies `f` to each partition, in parallel when the batch is large enough to make it worth it,
/// and returns the results in partition order.
pub(crate) fn map_partitions<P, U, F>(parts: Vec<P>, f: F) -> Vec<U>
where
    P: Partition,
    U: Send,
    F: Fn(P) -> U + Sync,
{
    let total: usize = parts.iter().map(Partition::records).sum();
    if parts.len() < 2 || total < PARALLEL_THRESHOLD {
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
        assert_eq!(split(Vec::<u8>::new(), 2), vec![vec![], vec![]]);
    }

    #[test]
    fn parallel_map_keeps_partition_order() {
        let parts = split((0..100_000u64).collect::<Vec<_>>(), 2);
        let sums = map_partitions(parts, |p| p.iter().sum::<u64>());
        assert_eq!(sums, vec![(0..50_000u64).sum::<u64>(), (50_000..100_000u64).sum::<u64>()]);
    }
}
