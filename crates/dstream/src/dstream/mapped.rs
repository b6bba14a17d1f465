//! `map`: applies a function to every record.

use super::{Compute, DStream};
use crate::error::Result;
use crate::partition::{BoxedPart, Lazy, Part};
use crate::rdd::{Data, Rdd};
use crate::time::Time;
use std::marker::PhantomData;
use std::sync::Arc;

pub(crate) struct MappedDStream<T, U, F> {
    parent: DStream<T>,
    f: Arc<F>,
    output: PhantomData<fn() -> U>,
}

impl<T: Data, U: Data, F: Fn(T) -> U + Send + Sync + 'static> Compute<U> for MappedDStream<T, U, F> {
    fn compute(&self, time: Time) -> Result<Option<Rdd<U>>> {
        Ok(self.compute_lazy(time)?.map(Lazy::materialize))
    }

    fn compute_lazy(&self, time: Time) -> Result<Option<Lazy<U>>> {
        Ok(self.parent.get_or_compute_lazy(time)?.map(|lazy| {
            lazy.map_parts(|parent| Box::new(MappedPart { parent, f: Arc::clone(&self.f) }) as BoxedPart<U>)
        }))
    }
}

/// One partition of a `map`: each record of its parent's, mapped as it comes.
struct MappedPart<T, F> {
    parent: BoxedPart<T>,
    f: Arc<F>,
}

impl<T: Data, U, F: Fn(T) -> U + Send + Sync> Part<U> for MappedPart<T, F> {
    fn run(self: Box<Self>, sink: &mut dyn FnMut(U)) {
        let f = &*self.f;
        self.parent.run(&mut |x| sink(f(x)));
    }
}

pub(super) fn map<T: Data, U: Data>(
    parent: &DStream<T>,
    f: impl Fn(T) -> U + Send + Sync + 'static,
) -> DStream<U> {
    let op = MappedDStream { parent: parent.as_parent(), f: Arc::new(f), output: PhantomData };
    parent.child("map", op)
}
