//! Grouping by key in first-occurrence order: the engine behind `reduce_by_key`, `group_by_key`,
//! `count_by_value` and `join`.
//!
//! Each partition is combined locally (in parallel when big), then the partial results are merged
//! in partition order. A key's position in the output is where it first occurs in the batch, so
//! results are deterministic — unlike Spark, whose output follows hash partitions.

use crate::partition::{Records, map_partitions, worth_parallel};
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::mem::ManuallyDrop;

/// Spark's `combineByKey`: `create` makes a combiner from a key's first value, `merge_value` folds
/// in the next values of the same partition, `merge_combiners` merges partitions' combiners.
pub(crate) fn combine_by_key<K, V, C, P>(
    parts: Vec<P>,
    parallel: bool,
    create: impl Fn(V) -> C + Sync,
    merge_value: impl Fn(C, V) -> C + Sync,
    merge_combiners: impl Fn(C, C) -> C,
) -> Vec<(K, C)>
where
    K: Eq + Hash + Send,
    V: Send,
    C: Send,
    P: Records<(K, V)>,
{
    combine_by_key_in(&Tables::default(), parts, parallel, create, merge_value, merge_combiners)
}

/// [`combine_by_key`] with hash tables taken from `tables` and given back to it, emptied but
/// still sized, for the next batch.
pub(crate) fn combine_by_key_in<K, V, C, P>(
    tables: &Tables<K, C>,
    parts: Vec<P>,
    parallel: bool,
    create: impl Fn(V) -> C + Sync,
    merge_value: impl Fn(C, V) -> C + Sync,
    merge_combiners: impl Fn(C, C) -> C,
) -> Vec<(K, C)>
where
    K: Eq + Hash + Send,
    V: Send,
    C: Send,
    P: Records<(K, V)>,
{
    let with_tables: Vec<(P, Table<K, C>)> = parts.into_iter().map(|part| (part, tables.take())).collect();
    let locals = map_partitions(with_tables, parallel, |(part, table)| {
        let mut map = Combiners(ManuallyDrop::new(table));
        part.for_each_record(|(key, value)| map.fold_in(key, value, &create, &merge_value));
        map.into_inner()
    });
    let mut locals = locals.into_iter();
    let mut merged = Combiners(ManuallyDrop::new(locals.next().unwrap_or_else(|| tables.take())));
    for mut local in locals {
        let keys = local.len();
        for (key, combiner) in in_order(&mut local) {
            merged.fold_in(key, combiner, |c| c, &merge_combiners);
        }
        tables.give_back(local, keys);
    }
    let mut merged = merged.into_inner();
    let out = in_order(&mut merged);
    tables.give_back(merged, out.len());
    out
}

/// One partition's combiners: each key's, with the position where the key first occurred.
type Table<K, C> = FxHashMap<K, (usize, C)>;

/// The hash tables a stream that groups by key keeps from one batch to the next (one per
/// partition), emptied but still sized: a batch like the last one neither grows its tables key
/// after key (rehashing them) nor touches fresh memory. A table much bigger than the last batch
/// needed is shrunk, so a single large batch does not keep its memory for good.
pub(crate) struct Tables<K, C> {
    spare: std::sync::Mutex<Vec<Table<K, C>>>,
}

impl<K, C> Default for Tables<K, C> {
    fn default() -> Self {
        Tables { spare: std::sync::Mutex::new(Vec::new()) }
    }
}

impl<K: Eq + Hash, C> Tables<K, C> {
    fn take(&self) -> Table<K, C> {
        self.spare.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default()
    }

    /// Keeps `table`, emptied, for the next batch; `needed`: how many keys the batch had.
    fn give_back(&self, mut table: Table<K, C>, needed: usize) {
        table.clear();
        let keep = needed.max(1024);
        if table.capacity() > 4 * keep {
            table.shrink_to(keep);
        }
        self.spare.lock().unwrap_or_else(|e| e.into_inner()).push(table);
    }
}

/// Each key's combiner, with the position where the key first occurred.
///
/// Kept in `ManuallyDrop` while user functions run: a combiner is moved into the user's function
/// and the result written back, so if that function panics, the map is leaked rather than
/// dropped with a moved-out slot in it. `into_inner` hands it back once every call is done.
struct Combiners<K, C>(ManuallyDrop<FxHashMap<K, (usize, C)>>);

impl<K: Eq + Hash, C> Combiners<K, C> {
    /// Folds `x` into `key`'s combiner with `merge`, or starts one with `create`.
    #[inline]
    fn fold_in<X>(&mut self, key: K, x: X, create: impl FnOnce(X) -> C, merge: impl FnOnce(C, X) -> C) {
        // A key is seen again far more often than it is new: look it up first, and insert (a
        // second probe) only when it is missing, rather than pay `entry`'s reservation and
        // moved-in key on every record.
        if let Some((_, combiner)) = self.0.get_mut(&key) {
            let combiner: *mut C = combiner;
            // SAFETY: the combiner is read out and a new one written back before the slot is
            // used again. If `merge` panics in between, the slot stays moved-out, but the map is
            // never dropped (see the type's doc), so nothing is dropped twice.
            unsafe { std::ptr::write(combiner, merge(std::ptr::read(combiner), x)) };
        } else {
            let next = self.0.len();
            self.0.insert(key, (next, create(x)));
        }
    }

    fn into_inner(mut self) -> FxHashMap<K, (usize, C)> {
        // SAFETY: taken once, and `self` is forgotten right after (ManuallyDrop never drops).
        unsafe { ManuallyDrop::take(&mut self.0) }
    }
}

/// A map that remembers the order in which keys first arrived (for window and state contents,
/// which live across batches).
pub(crate) struct OrderedMap<K, V> {
    entries: FxHashMap<K, (u64, V)>,
    next: u64,
}

impl<K, V> Default for OrderedMap<K, V> {
    fn default() -> Self {
        OrderedMap { entries: FxHashMap::default(), next: 0 }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> OrderedMap<K, V> {
    /// Folds `value` into `key`'s value with `merge`, or inserts it.
    pub(crate) fn merge(&mut self, key: K, value: V, merge: impl Fn(V, V) -> V) {
        match self.entries.entry(key) {
            Entry::Occupied(mut slot) => {
                let current = &mut slot.get_mut().1;
                *current = merge(current.clone(), value);
            }
            Entry::Vacant(slot) => {
                slot.insert((self.next, value));
                self.next += 1;
            }
        }
    }

    /// Replaces `key`'s value with `f(value)` if it is present.
    pub(crate) fn update(&mut self, key: &K, f: impl FnOnce(V) -> V) {
        if let Some((_, current)) = self.entries.get_mut(key) {
            *current = f(current.clone());
        }
    }

    /// `key`'s value.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|(_, v)| v)
    }

    /// Sets `key`'s value; a new key goes last.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        match self.entries.entry(key) {
            Entry::Occupied(mut slot) => slot.get_mut().1 = value,
            Entry::Vacant(slot) => {
                slot.insert((self.next, value));
                self.next += 1;
            }
        }
    }

    /// Removes `key`.
    pub(crate) fn remove(&mut self, key: &K) {
        self.entries.remove(key);
    }

    /// Takes out the entries for which `take` is true, oldest key first.
    pub(crate) fn take_where(&mut self, mut take: impl FnMut(&K, &V) -> bool) -> Vec<(K, V)> {
        let keys: Vec<K> =
            self.entries.iter().filter(|(k, (_, v))| take(k, v)).map(|(k, _)| k.clone()).collect();
        let mut taken: Vec<(K, (u64, V))> =
            keys.into_iter().filter_map(|k| self.entries.remove(&k).map(|e| (k, e))).collect();
        taken.sort_unstable_by_key(|(_, (seq, _))| *seq);
        taken.into_iter().map(|(k, (_, v))| (k, v)).collect()
    }

    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.entries.retain(|k, (_, v)| keep(k, v));
    }

    /// The entries, oldest key first.
    pub(crate) fn to_vec(&self) -> Vec<(K, V)> {
        let mut entries: Vec<(u64, K, V)> =
            self.entries.iter().map(|(k, (seq, v))| (*seq, k.clone(), v.clone())).collect();
        entries.sort_unstable_by_key(|(seq, _, _)| *seq);
        entries.into_iter().map(|(_, k, v)| (k, v)).collect()
    }

    /// The entries, oldest key first, taking them out.
    pub(crate) fn take_vec(&mut self) -> Vec<(K, V)> {
        let mut entries: Vec<(K, (u64, V))> = std::mem::take(&mut self.entries).into_iter().collect();
        entries.sort_unstable_by_key(|(_, (seq, _))| *seq);
        entries.into_iter().map(|(k, (_, v))| (k, v)).collect()
    }

    /// A map holding `entries` in this order.
    pub(crate) fn from_vec(entries: Vec<(K, V)>) -> Self {
        let mut map = OrderedMap::default();
        for (k, v) in entries {
            map.entries.insert(k, (map.next, v));
            map.next += 1;
        }
        map
    }
}

/// The map's entries in order of first occurrence, taken out of it (its table stays allocated).
/// Positions are `0..len` (`fold_in` numbers keys as they arrive and never removes one), so each
/// entry is put in its place: no sort.
fn in_order<K, C>(map: &mut Table<K, C>) -> Vec<(K, C)> {
    let mut slots: Vec<Option<(K, C)>> = std::iter::repeat_with(|| None).take(map.len()).collect();
    for (key, (position, combiner)) in map.drain() {
        slots[position] = Some((key, combiner));
    }
    slots.into_iter().flatten().collect()
}

/// Inner join of two keyed batches: for each key of `left` in first-occurrence order, every
/// left value paired with every right value of the same key.
pub(crate) fn join<K, V, W>(left: Vec<Vec<(K, V)>>, right: Vec<Vec<(K, W)>>) -> Vec<(K, (V, W))>
where
    K: Eq + Hash + Clone + Send,
    V: Clone + Send,
    W: Clone + Send,
{
    let right: FxHashMap<K, Vec<W>> = group(right).into_iter().collect();
    let mut out = Vec::new();
    for (key, values) in group(left) {
        if let Some(others) = right.get(&key) {
            for v in &values {
                for w in others {
                    out.push((key.clone(), (v.clone(), w.clone())));
                }
            }
        }
    }
    out
}

/// All values of each key on each side, keys in first-occurrence order (those of `left`, then
/// those only in `right`): Spark's `cogroup`.
pub(crate) fn cogroup<K, V, W>(left: Vec<Vec<(K, V)>>, right: Vec<Vec<(K, W)>>) -> Vec<(K, (Vec<V>, Vec<W>))>
where
    K: Eq + Hash + Clone + Send,
    V: Send,
    W: Send,
{
    let mut right: FxHashMap<K, (usize, Vec<W>)> =
        group(right).into_iter().enumerate().map(|(i, (k, ws))| (k, (i, ws))).collect();
    let mut out: Vec<(K, (Vec<V>, Vec<W>))> = group(left)
        .into_iter()
        .map(|(k, vs)| {
            let ws = right.remove(&k).map(|(_, ws)| ws).unwrap_or_default();
            (k, (vs, ws))
        })
        .collect();
    let mut only_right: Vec<(usize, K, Vec<W>)> = right.into_iter().map(|(k, (i, ws))| (i, k, ws)).collect();
    only_right.sort_by_key(|(i, _, _)| *i);
    out.extend(only_right.into_iter().map(|(_, k, ws)| (k, (Vec::new(), ws))));
    out
}

/// All values of each key, keys in first-occurrence order.
pub(crate) fn group<K: Eq + Hash + Send, V: Send>(parts: Vec<Vec<(K, V)>>) -> Vec<(K, Vec<V>)> {
    let parallel = worth_parallel(parts.iter().map(Vec::len).sum());
    combine_by_key(parts, parallel, |v| vec![v], push, extend)
}

pub(crate) fn push<V>(mut acc: Vec<V>, v: V) -> Vec<V> {
    acc.push(v);
    acc
}

pub(crate) fn extend<V>(mut acc: Vec<V>, more: Vec<V>) -> Vec<V> {
    acc.extend(more);
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::split;

    fn words(text: &str) -> Vec<(String, i64)> {
        text.split(' ').map(|w| (w.to_string(), 1)).collect()
    }

    #[test]
    fn first_occurrence_order_across_partitions() {
        let parts = split(words("b a b c a d"), 2); // [b a b] [c a d]
        let out = combine_by_key(parts, false, |v| v, |a, b| a + b, |a, b| a + b);
        let want: Vec<(String, i64)> =
            vec![("b".into(), 2), ("a".into(), 2), ("c".into(), 1), ("d".into(), 1)];
        assert_eq!(out, want);
    }

    #[test]
    fn large_batches_take_the_parallel_path_and_agree() {
        let text: Vec<String> = (0..50_000).map(|i| format!("w{}", i % 97)).collect();
        let pairs: Vec<(String, i64)> = text.iter().map(|w| (w.clone(), 1)).collect();
        let one = combine_by_key(vec![pairs.clone()], false, |v| v, |a, b| a + b, |a, b| a + b);
        let two = combine_by_key(split(pairs, 2), true, |v| v, |a, b| a + b, |a, b| a + b);
        assert_eq!(one, two);
        assert_eq!(one.iter().map(|(_, c)| c).sum::<i64>(), 50_000);
        assert_eq!(one[0].0, "w0");
    }

    #[test]
    fn tables_kept_between_batches_give_the_same_results_and_stay_bounded() {
        let tables = Tables::default();
        let batch = |n: usize| split((0..n).map(|i| (i % 5000, 1i64)).collect::<Vec<_>>(), 2);
        for _ in 0..3 {
            let reused = combine_by_key_in(&tables, batch(20_000), true, |v| v, |a, b| a + b, |a, b| a + b);
            let fresh = combine_by_key(batch(20_000), true, |v| v, |a, b| a + b, |a, b| a + b);
            assert_eq!(reused, fresh);
            assert_eq!(reused.len(), 5000);
            assert!(reused.iter().all(|(_, c)| *c == 4));
        }
        let capacities = |t: &Tables<usize, i64>| -> Vec<usize> {
            t.spare.lock().unwrap().iter().map(|m| m.capacity()).collect()
        };
        // One table per partition, kept empty and sized for the batch.
        assert_eq!(capacities(&tables).len(), 2);
        assert!(capacities(&tables).iter().all(|&c| c >= 5000), "{:?}", capacities(&tables));
        assert!(tables.spare.lock().unwrap().iter().all(|m| m.is_empty()));
        // After a batch of 200,000 keys, small batches do not keep its tables.
        let big = split((0..200_000usize).map(|i| (i, 1i64)).collect::<Vec<_>>(), 2);
        combine_by_key_in(&tables, big, true, |v| v, |a, b| a + b, |a, b| a + b);
        assert!(capacities(&tables).iter().any(|&c| c >= 200_000));
        let small = || split((0..10usize).map(|i| (i, 1i64)).collect::<Vec<_>>(), 2);
        assert_eq!(combine_by_key_in(&tables, small(), false, |v| v, |a, b| a + b, |a, b| a + b).len(), 10);
        assert!(capacities(&tables).iter().all(|&c| c < 20_000), "{:?}", capacities(&tables));
    }

    #[test]
    fn join_pairs_every_match() {
        let left = vec![vec![("a", 1), ("b", 2), ("a", 3)]];
        let right = vec![vec![("a", 'x'), ("c", 'y'), ("a", 'z')]];
        let out = join(left, right);
        assert_eq!(out, vec![("a", (1, 'x')), ("a", (1, 'z')), ("a", (3, 'x')), ("a", (3, 'z'))]);
    }
}
