//! `window`: the records of the last `window` of batches, every `slide` (Spark's
//! `WindowedDStream`).

use super::{Compute, DStream};
use crate::error::Result;
use crate::persist::Persist;
use crate::rdd::{Data, Rdd};
use crate::scheduler::graph::StatefulOp;
use crate::time::{Duration, Time};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The parent's batches that the current window covers, oldest first.
pub(crate) struct WindowCore<T> {
    parent: DStream<T>,
    window: Duration,
    batches: Mutex<VecDeque<(Time, Rdd<T>)>>,
}

impl<T> WindowCore<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(Time, Rdd<T>)>> {
        self.batches.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Data + Persist> StatefulOp for WindowCore<T> {
    fn name(&self) -> &'static str {
        "window"
    }

    fn data_type(&self) -> String {
        crate::scheduler::graph::short_type_name::<T>()
    }

    fn tick(&self, time: Time) -> Result<()> {
        let rdd = self.parent.get_or_compute(time)?;
        let mut batches = self.lock();
        if let Some(rdd) = rdd {
            batches.push_back((time, rdd));
        }
        // The window at `time` covers (time - window, time].
        while batches.front().is_some_and(|(t, _)| *t <= time - self.window) {
            batches.pop_front();
        }
        Ok(())
    }

    fn save(&self, out: &mut Vec<u8>) {
        let batches: Vec<(i64, Vec<T>)> =
            self.lock().iter().map(|(t, rdd)| (t.as_millis(), rdd.collect())).collect();
        batches.write(out);
    }

    fn restore(&self, input: &mut &[u8]) -> Result<()> {
        let batches = Vec::<(i64, Vec<T>)>::read(input)?;
        *self.lock() =
            batches.into_iter().map(|(t, records)| (Time::from_millis(t), Rdd::new(records))).collect();
        Ok(())
    }

    fn requires_checkpoint(&self) -> bool {
        false
    }
}

struct WindowCompute<T>(Arc<WindowCore<T>>);

impl<T: Data> Compute<T> for WindowCompute<T> {
    fn compute(&self, _time: Time) -> Result<Option<Rdd<T>>> {
        let batches = self.0.lock();
        let mut parts = Vec::new();
        for (_, rdd) in batches.iter() {
            parts.extend(rdd.partitions().iter().cloned());
        }
        Ok(Some(Rdd::from_partitions(parts)))
    }
}

pub(super) fn window<T: Data + Persist>(
    parent: &DStream<T>,
    window: Duration,
    slide: Duration,
) -> DStream<T> {
    parent.check_window("window", window, slide);
    let core =
        Arc::new(WindowCore { parent: parent.as_parent(), window, batches: Mutex::new(VecDeque::new()) });
    parent.shared().add_stateful(Arc::clone(&core) as Arc<dyn StatefulOp>);
    DStream::with_slide(parent.shared(), "window", parent.lineage_then("window"), slide, WindowCompute(core))
}
