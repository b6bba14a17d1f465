//! `ForEachDStream`: the output operation behind every other one; runs a function on each batch.

use crate::dstream::DStream;
use crate::error::Result;
use crate::rdd::{Data, Rdd};
use crate::scheduler::graph::OutputOp;
use crate::time::Time;
use std::sync::Arc;

struct ForEachDStream<T, F> {
    parent: DStream<T>,
    name: &'static str,
    f: F,
}

impl<T: Data, F: Fn(Rdd<T>, Time) -> Result<()> + Send + Sync> OutputOp for ForEachDStream<T, F> {
    fn run(&self, time: Time) -> Result<()> {
        match self.parent.get_or_compute(time)? {
            Some(rdd) => (self.f)(rdd, time),
            None => Ok(()),
        }
    }

    fn name(&self) -> &'static str {
        self.name
    }
}

/// Declares an output operation on `parent`.
pub(super) fn register<T: Data>(
    parent: &DStream<T>,
    name: &'static str,
    f: impl Fn(Rdd<T>, Time) -> Result<()> + Send + Sync + 'static,
) {
    let output = ForEachDStream { parent: parent.as_parent(), name, f };
    parent.shared().add_output(name, Arc::new(output));
}
