//! `flat_map`: applies a function to every record and flattens what it returns.

use super::{Compute, DStream};
use crate::error::Result;
use crate::partition::{Lazy, PartIter};
use crate::rdd::{Data, Rdd};
use crate::time::Time;
use std::marker::PhantomData;
use std::sync::Arc;

pub(crate) struct FlatMappedDStream<T, I, F> {
    parent: DStream<T>,
    f: Arc<F>,
    output: PhantomData<fn() -> I>,
}

impl<T, U, I, F> Compute<U> for FlatMappedDStream<T, I, F>
where
    T: Data,
    U: Data,
    I: IntoIterator<Item = U> + 'static,
    I::IntoIter: Send,
    F: Fn(T) -> I + Send + Sync + 'static,
{
    fn compute(&self, time: Time) -> Result<Option<Rdd<U>>> {
        Ok(self.compute_lazy(time)?.map(Lazy::materialize))
    }

    fn compute_lazy(&self, time: Time) -> Result<Option<Lazy<U>>> {
        Ok(self.parent.get_or_compute_lazy(time)?.map(|lazy| {
            lazy.map_parts(|part| {
                let f = Arc::clone(&self.f);
                // Chunks of one partition flatten to similar lengths: starting each output at the
                // previous one's length saves the growth copies (a line gives several words).
                let mut expected = 0;
                Box::new(part.map(move |chunk| {
                    let mut out = Vec::with_capacity(expected.max(chunk.len()));
                    for x in chunk {
                        out.extend(f(x));
                    }
                    expected = out.len() + out.len() / 8;
                    out
                })) as PartIter<U>
            })
        }))
    }
}

pub(super) fn flat_map<T: Data, U: Data, I>(
    parent: &DStream<T>,
    f: impl Fn(T) -> I + Send + Sync + 'static,
) -> DStream<U>
where
    I: IntoIterator<Item = U> + 'static,
    I::IntoIter: Send,
{
    let op = FlatMappedDStream { parent: parent.as_parent(), f: Arc::new(f), output: PhantomData };
    parent.child("flat_map", op)
}
