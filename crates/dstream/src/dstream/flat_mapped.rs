//! `flat_map`: applies a function to every record and flattens what it returns.

use super::{Compute, DStream};
use crate::error::Result;
use crate::partition::{BoxedPart, Lazy, Part};
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
            lazy.map_parts(|parent| {
                Box::new(FlatMappedPart { parent, f: Arc::clone(&self.f) }) as BoxedPart<U>
            })
        }))
    }
}

/// One partition of a `flat_map`: what each record of its parent's gives, handed on one by one.
struct FlatMappedPart<T, F> {
    parent: BoxedPart<T>,
    f: Arc<F>,
}

impl<T: Data, U, I: IntoIterator<Item = U>, F: Fn(T) -> I + Send + Sync> Part<U> for FlatMappedPart<T, F> {
    fn run(self: Box<Self>, sink: &mut dyn FnMut(U)) {
        let f = &*self.f;
        self.parent.run(&mut |x| f(x).into_iter().for_each(&mut *sink));
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
