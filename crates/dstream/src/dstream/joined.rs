//! `join`, the outer joins and `cogroup`: the values of equal keys of two keyed streams, batch by
//! batch.

use super::{Compute, DStream};
use crate::aggregate;
use crate::error::Result;
use crate::rdd::{Data, Rdd};
use crate::time::Time;
use std::hash::Hash;

/// How the two sides' partitions make the result.
type Combine<K, V, W, R> = fn(Vec<Vec<(K, V)>>, Vec<Vec<(K, W)>>) -> Vec<(K, R)>;

pub(crate) struct JoinedDStream<K, V, W, R> {
    left: DStream<(K, V)>,
    right: DStream<(K, W)>,
    combine: Combine<K, V, W, R>,
}

impl<K: Data + Eq + Hash, V: Data, W: Data, R: Data> Compute<(K, R)> for JoinedDStream<K, V, W, R> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<(K, R)>>> {
        let left = self.left.get_or_compute(time)?;
        let right = self.right.get_or_compute(time)?;
        Ok(match (left, right) {
            (Some(left), Some(right)) => {
                let n = left.num_partitions().max(right.num_partitions());
                Some(Rdd::split((self.combine)(left.into_partitions(), right.into_partitions()), n))
            }
            _ => None,
        })
    }
}

/// Declares the node `name` combining `left` and `right` with `combine`.
fn joined<K: Data + Eq + Hash, V: Data, W: Data, R: Data>(
    name: &'static str,
    left: &DStream<(K, V)>,
    right: &DStream<(K, W)>,
    combine: Combine<K, V, W, R>,
) -> DStream<(K, R)> {
    left.check_combinable(name, right);
    let lineage = format!("{name}({}, {})", left.lineage(), right.lineage());
    let op = JoinedDStream { left: left.as_parent(), right: right.as_parent(), combine };
    DStream::with_slide(left.shared(), name, lineage, left.slide_duration(), op)
}

pub(super) fn cogroup<K: Data + Eq + Hash, V: Data, W: Data>(
    left: &DStream<(K, V)>,
    right: &DStream<(K, W)>,
) -> DStream<(K, (Vec<V>, Vec<W>))> {
    joined("cogroup", left, right, aggregate::cogroup)
}

pub(super) fn left_outer_join<K: Data + Eq + Hash, V: Data, W: Data>(
    left: &DStream<(K, V)>,
    right: &DStream<(K, W)>,
) -> DStream<(K, (V, Option<W>))> {
    joined("left_outer_join", left, right, |l, r| pairs(l, r, |v, w| Some((v?, w))))
}

pub(super) fn right_outer_join<K: Data + Eq + Hash, V: Data, W: Data>(
    left: &DStream<(K, V)>,
    right: &DStream<(K, W)>,
) -> DStream<(K, (Option<V>, W))> {
    joined("right_outer_join", left, right, |l, r| pairs(l, r, |v, w| Some((v, w?))))
}

pub(super) fn full_outer_join<K: Data + Eq + Hash, V: Data, W: Data>(
    left: &DStream<(K, V)>,
    right: &DStream<(K, W)>,
) -> DStream<(K, (Option<V>, Option<W>))> {
    joined("full_outer_join", left, right, |l, r| pairs(l, r, |v, w| Some((v, w))))
}

/// For each key (in `cogroup`'s order), `keep` applied to every pair of its values on both sides,
/// and to each value of a key present on one side only (with `None` for the other side); what
/// `keep` turns into `None` is left out (a key only on the right, for a left outer join).
fn pairs<K: Clone + Eq + Hash + Send, V: Clone + Send, W: Clone + Send, R>(
    left: Vec<Vec<(K, V)>>,
    right: Vec<Vec<(K, W)>>,
    keep: fn(Option<V>, Option<W>) -> Option<R>,
) -> Vec<(K, R)> {
    let mut out = Vec::new();
    for (k, (vs, ws)) in aggregate::cogroup(left, right) {
        if ws.is_empty() {
            out.extend(vs.into_iter().filter_map(|v| keep(Some(v), None)).map(|r| (k.clone(), r)));
        } else if vs.is_empty() {
            out.extend(ws.into_iter().filter_map(|w| keep(None, Some(w))).map(|r| (k.clone(), r)));
        } else {
            for v in &vs {
                out.extend(
                    ws.iter().filter_map(|w| keep(Some(v.clone()), Some(w.clone()))).map(|r| (k.clone(), r)),
                );
            }
        }
    }
    out
}

pub(super) fn join<K: Data + Eq + Hash, V: Data, W: Data>(
    left: &DStream<(K, V)>,
    right: &DStream<(K, W)>,
) -> DStream<(K, (V, W))> {
    joined("join", left, right, aggregate::join)
}
