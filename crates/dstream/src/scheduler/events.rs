//! `StreamingEvent`: what a running context tells its event listeners, one event per callback of
//! Spark's `StreamingListener` (`onStreamingStarted`, `onReceiverStarted`, `onReceiverError`,
//! `onReceiverStopped`, `onBatchSubmitted`, `onBatchStarted`, `onOutputOperationStarted`,
//! `onOutputOperationCompleted`, `onBatchCompleted`).

use super::BatchInfo;
use super::graph::InputSource;
use crate::ReceiverReport;
use crate::error::{Error, ErrorKind, Result, panic_message};
use crate::time::Time;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// Something that happened in a running [`StreamingContext`](crate::StreamingContext), as
/// [`add_event_listener`](crate::StreamingContext::add_event_listener) delivers it.
///
/// Events come on the thread that runs the batches, in order: `StreamingStarted` once, then for
/// every batch `BatchSubmitted`, `BatchStarted`, an `OutputOperationStarted` /
/// `OutputOperationCompleted` pair per output operation, and `BatchCompleted`. Receiver events
/// come before the batch during which the change was seen: receivers are checked at the start of
/// every batch (Spark's receivers report from the executors instead, as it happens).
///
/// ```
/// use dstream::{DStream, StreamingEvent, testing};
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// testing::run_batches(vec![vec![1, 2]], move |s: DStream<i32>| {
///     s.context().add_event_listener(move |event| {
///         let name = match event {
///             StreamingEvent::StreamingStarted { .. } => "started".to_string(),
///             StreamingEvent::BatchSubmitted { num_records, .. } => format!("submitted {num_records}"),
///             StreamingEvent::BatchStarted { .. } => "batch started".to_string(),
///             StreamingEvent::OutputOperationStarted { name, .. } => format!("{name} started"),
///             StreamingEvent::OutputOperationCompleted { name, failure, .. } => format!("{name} done {failure:?}"),
///             StreamingEvent::BatchCompleted(info) => format!("completed {}", info.num_records()),
///             _ => "receiver".to_string(),
///         };
///         sink.lock().unwrap().push(name);
///     });
///     s
/// });
/// let seen = seen.lock().unwrap();
/// assert_eq!(seen[..6], ["started", "submitted 2", "batch started", "foreach_rdd started", "foreach_rdd done None", "completed 2"]);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum StreamingEvent {
    /// The context started; its first batch is at `first_batch` (Spark's `onStreamingStarted`).
    StreamingStarted {
        /// The time of the first batch.
        first_batch: Time,
    },
    /// A receiver connected to its source (`onReceiverStarted`); again after a reconnection.
    ReceiverStarted {
        /// The source, e.g. `socket_text_stream(localhost:9999)`.
        stream: String,
    },
    /// A receiver failed to connect or to read (`onReceiverError`); it keeps retrying.
    ReceiverError {
        /// The source.
        stream: String,
        /// The latest error, e.g. `connection refused`.
        message: String,
        /// How many errors occurred since the previous check (retries repeat them).
        count: u64,
    },
    /// A receiver lost its connection: the peer closed it or it failed (`onReceiverStopped`).
    ReceiverStopped {
        /// The source.
        stream: String,
        /// The latest error, if the connection ended with one.
        last_error: Option<String>,
    },
    /// A batch was cut and queued (`onBatchSubmitted`).
    BatchSubmitted {
        /// The batch's time.
        batch_time: Time,
        /// How many records it holds.
        num_records: u64,
    },
    /// A batch's processing begins (`onBatchStarted`).
    BatchStarted {
        /// The batch's time.
        batch_time: Time,
    },
    /// An output operation starts on a batch (`onOutputOperationStarted`).
    OutputOperationStarted {
        /// The batch's time.
        batch_time: Time,
        /// The operation's position among the outputs, in declaration order (from 0).
        id: usize,
        /// Its name: `pprint`, `foreach_rdd`, `save_as_text_files`...
        name: String,
    },
    /// An output operation finished on a batch (`onOutputOperationCompleted`).
    OutputOperationCompleted {
        /// The batch's time.
        batch_time: Time,
        /// The operation's position among the outputs (from 0).
        id: usize,
        /// Its name.
        name: String,
        /// How long it ran.
        duration: std::time::Duration,
        /// Why it failed, if it did (the batch fails and the context stops).
        failure: Option<String>,
    },
    /// A batch is done (`onBatchCompleted`), what [`add_listener`](crate::StreamingContext::add_listener)
    /// listeners also receive.
    BatchCompleted(BatchInfo),
}

/// A function called with every event.
pub(crate) type EventListener = Arc<dyn Fn(&StreamingEvent) + Send + Sync>;

/// Calls every listener with `event`; a listener that panics fails the batch, as a batch
/// listener does.
pub(crate) fn emit(listeners: &[EventListener], event: StreamingEvent) -> Result<()> {
    for listener in listeners {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| listener(&event))) {
            return Err(Error::new(
                ErrorKind::UserCode,
                format!("an event listener panicked: {}", panic_message(payload.as_ref())),
            ));
        }
    }
    Ok(())
}

/// What each receiver's report said at the previous check, to turn changes into events.
#[derive(Default)]
pub(crate) struct ReceiverWatch {
    last: Vec<Option<ReceiverReport>>,
}

impl ReceiverWatch {
    /// The receiver events since the previous check.
    pub(crate) fn check(&mut self, inputs: &[Arc<dyn InputSource>]) -> Vec<StreamingEvent> {
        self.last.resize(inputs.len(), None);
        let mut events = Vec::new();
        for (input, last) in inputs.iter().zip(&mut self.last) {
            let Some(now) = input.report() else { continue };
            let before = last.take().unwrap_or_default();
            let stream = now.stream.clone();
            if now.errors > before.errors {
                events.push(StreamingEvent::ReceiverError {
                    stream: stream.clone(),
                    message: now.last_error.clone().unwrap_or_default(),
                    count: now.errors - before.errors,
                });
            }
            // A reconnection between two checks shows as one more connection.
            if now.connections > before.connections && before.connected {
                events.push(StreamingEvent::ReceiverStopped {
                    stream: stream.clone(),
                    last_error: now.last_error.clone(),
                });
            }
            if now.connections > before.connections || (now.connected && !before.connected) {
                events.push(StreamingEvent::ReceiverStarted { stream: stream.clone() });
            }
            if !now.connected && (before.connected || now.connections > before.connections) {
                events.push(StreamingEvent::ReceiverStopped { stream, last_error: now.last_error.clone() });
            }
            *last = Some(now);
        }
        events
    }
}
