//! Running the graph: the job generator cuts a batch at every interval, the job scheduler runs the
//! batch's output operations in order (Spark's `JobGenerator` and `JobScheduler`).
//!
//! Two threads per active context:
//! - **generator**: waits for each batch time on the context's clock, moves what the sources
//!   received into that batch (`allocate`), and queues the batch;
//! - **jobs**: takes batches in order and runs every output operation on them. A slow batch
//!   delays the next ones (their scheduling delay grows) but never mixes their data.

mod batch_info;
pub(crate) mod events;
pub(crate) mod graph;
mod rate_estimator;

pub use batch_info::BatchInfo;
pub use events::StreamingEvent;

use crate::checkpoint::{self, Snapshot};
use crate::clock::Clock;
use crate::context::{ContextShared, ContextState, HISTORY_LIMIT, Stop};
use crate::error::{Error, ErrorKind, Result, panic_message};
use crate::time::Time;
use graph::{InputSource, OutputOp, StatefulOp};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::ThreadId;
use std::time::SystemTime;

/// The threads and flags of an active context.
pub(crate) struct Runtime {
    /// Tells the generator to cut no more batches.
    halt_generator: Arc<AtomicBool>,
    /// Tells the job thread to drop queued batches.
    halt_jobs: Arc<AtomicBool>,
    /// With a graceful stop: the last batch to cut.
    drain_until: Arc<std::sync::Mutex<Option<Time>>>,
    jobs_thread: ThreadId,
    jobs_done: bool,
}

struct Batch {
    time: Time,
    records: u64,
    /// What each source read, for `BatchInfo::input_descriptions`.
    descriptions: Vec<String>,
    submitted_at: SystemTime,
    /// Where each source stood right after this batch was cut (only when checkpointing): a
    /// checkpoint of this batch must resume the sources from here, even if later batches were
    /// cut since.
    positions: Option<Vec<(String, Vec<u8>)>>,
}

/// How many cut batches may wait for the job thread: when the pipeline is slower than the
/// batches come, the generator waits for room instead of piling batches up, and the receivers,
/// whose buffers are bounded, hold their senders back (see `SocketOptions::max_buffered_bytes`).
const QUEUED_BATCHES: usize = 2;

/// After this many batches in a row whose scheduling delay grew past the batch interval, the
/// context says once that it falls behind.
const FALLING_BEHIND: usize = 5;

/// What the job thread runs at each batch.
struct Jobs {
    inputs: Vec<Arc<dyn InputSource>>,
    /// Backpressure: each batch's timing sets the rate receivers may take records in.
    backpressure: bool,
    stateful: Vec<Arc<dyn StatefulOp>>,
    outputs: Vec<Arc<dyn OutputOp>>,
    checkpoint: Option<Checkpointing>,
}

struct Checkpointing {
    dir: std::path::PathBuf,
    every: usize,
    zero: Time,
}

/// Starts an Initialized context (see `StreamingContext::start`).
pub(crate) fn start(ctx: &Arc<ContextShared>) -> Result<()> {
    let mut state = ctx.lock();
    match state.phase {
        ContextState::Active => {
            return Err(Error::invalid_state("the StreamingContext is already started"));
        }
        ContextState::Stopped => {
            return Err(Error::invalid_state(
                "a stopped StreamingContext cannot be started again (as in Spark); create a new \
                 StreamingContext and declare the pipeline on it",
            ));
        }
        ContextState::Initialized => {}
    }
    if let Some(err) = state.declaration_errors.first() {
        return Err(err.clone());
    }
    if state.graph.outputs.is_empty() {
        return Err(Error::invalid_state(
            "no output operation is declared, so there is nothing to execute; declare at least \
             one (pprint, foreach_rdd, save_as_text_files) before start()",
        ));
    }
    if state.checkpoint_dir.is_none()
        && let Some(op) = state.graph.stateful.iter().find(|op| op.requires_checkpoint())
    {
        return Err(Error::invalid_state(format!(
            "the checkpoint directory has not been set: `{}` keeps state across batches. Without \
             a checkpoint, that state depends on every batch since the start (its lineage grows \
             with each batch) and a restart could not recover it; the checkpoint cuts the lineage \
             and makes recovery possible. Call ssc.checkpoint(dir) before start() (as in Spark).",
            op.name()
        )));
    }
    let interval = ctx.batch_interval;
    // A recovered context goes on where its checkpoint ended, on the same boundaries.
    let (zero, start_time) = match state.resume {
        Some((time, zero)) => (zero, time + interval),
        None => {
            let start = ctx.clock.now().floor(interval) + interval;
            (start - interval, start)
        }
    };
    ctx.set_zero_time(zero);
    let inputs = state.graph.inputs.clone();
    let jobs = Jobs {
        inputs: inputs.clone(),
        backpressure: state.backpressure,
        stateful: state.graph.stateful.clone(),
        outputs: state.graph.outputs.clone(),
        checkpoint: state.checkpoint_dir.clone().map(|dir| Checkpointing {
            dir,
            every: state.checkpoint_every,
            zero,
        }),
    };
    let checkpointing = jobs.checkpoint.is_some();
    let lock = match &state.checkpoint_dir {
        Some(dir) => Some(checkpoint::DirLock::acquire(dir)?),
        None => None,
    };
    if state.backpressure && state.backpressure_initial_rate.is_some() {
        inputs.iter().for_each(|input| input.set_rate(state.backpressure_initial_rate));
    }
    for (i, input) in inputs.iter().enumerate() {
        if let Err(err) = input.start(start_time) {
            inputs[..i].iter().for_each(|started| started.stop(false));
            return Err(err);
        }
    }

    let halt_generator = Arc::new(AtomicBool::new(false));
    let halt_jobs = Arc::new(AtomicBool::new(false));
    let drain_until = Arc::new(std::sync::Mutex::new(None));
    let (batches, queue) = mpsc::sync_channel::<Batch>(QUEUED_BATCHES);

    let generator = {
        let (ctx, inputs) = (Arc::clone(ctx), inputs);
        let (halt, drain_until) = (Arc::clone(&halt_generator), Arc::clone(&drain_until));
        move || generate(&ctx, &inputs, start_time, checkpointing, &halt, &drain_until, batches)
    };
    let jobs = {
        let ctx = Arc::clone(ctx);
        let halt = Arc::clone(&halt_jobs);
        move || run_jobs(&ctx, &jobs, &halt, queue)
    };
    let spawn_error = |e| Error::io("cannot start the streaming threads", e);
    let jobs_thread =
        std::thread::Builder::new().name("dstream-jobs".into()).spawn(jobs).map_err(spawn_error)?;
    std::thread::Builder::new().name("dstream-generator".into()).spawn(generator).map_err(spawn_error)?;

    state.checkpoint_lock = lock;
    state.runtime = Some(Runtime {
        halt_generator,
        halt_jobs,
        drain_until,
        jobs_thread: jobs_thread.thread().id(),
        jobs_done: false,
    });
    state.phase = ContextState::Active;
    drop(state);
    crate::active::register(ctx);
    ctx.notify();
    Ok(())
}

/// The generator thread: one batch per interval until halted (or drained, on a graceful stop).
fn generate(
    ctx: &ContextShared,
    inputs: &[Arc<dyn InputSource>],
    start_time: Time,
    checkpointing: bool,
    halt: &AtomicBool,
    drain_until: &std::sync::Mutex<Option<Time>>,
    batches: mpsc::SyncSender<Batch>,
) {
    let mut time = start_time;
    let stopped = || halt.load(Ordering::Acquire);
    while ctx.clock.wait_until(time, &stopped) {
        // Delays count from the batch's boundary (on the system clock, the batch time itself),
        // so that the time spent cutting the batch (reading files, say) is in the scheduling
        // delay too.
        let submitted_at = match &ctx.clock {
            Clock::System => {
                SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(time.as_millis().max(0) as u64)
            }
            Clock::Manual(_) => SystemTime::now(),
        };
        let partitions = ctx.parallelism();
        let records = inputs.iter().map(|input| input.allocate(time, partitions)).sum();
        ctx.records_cut.fetch_add(records, Ordering::AcqRel);
        let descriptions = inputs
            .iter()
            .filter_map(|input| input.batch_description().map(|d| format!("{}: {d}", input.name())))
            .collect();
        let positions = checkpointing.then(|| {
            inputs
                .iter()
                .map(|input| {
                    let mut position = Vec::new();
                    input.save(&mut position);
                    (input.name().to_string(), position)
                })
                .collect()
        });
        if batches.send(Batch { time, records, descriptions, submitted_at, positions }).is_err() {
            return;
        }
        let last = *drain_until.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|last| time >= last) {
            return;
        }
        time = time + ctx.batch_interval;
    }
}

/// The job thread: for each batch, ticks windows and states, runs the output operations in
/// declaration order, writes the checkpoint, and tells the listeners.
fn run_jobs(ctx: &ContextShared, jobs: &Jobs, halt: &AtomicBool, queue: mpsc::Receiver<Batch>) {
    let mut completed = 0usize;
    let mut estimator = jobs.backpressure.then(|| rate_estimator::PidRateEstimator::new(ctx.batch_interval));
    let mut behind = FallingBehind::default();
    let mut receivers = events::ReceiverWatch::default();
    let mut started = false;
    for batch in queue {
        if halt.load(Ordering::Acquire) {
            break;
        }
        let event_listeners = ctx.lock().event_listeners.clone();
        let notify = |event| events::emit(&event_listeners, event);
        let mut outcome = Ok(());
        if !event_listeners.is_empty() {
            let first = (!std::mem::replace(&mut started, true))
                .then_some(StreamingEvent::StreamingStarted { first_batch: batch.time });
            let mut before = first.into_iter().chain(receivers.check(&jobs.inputs)).chain([
                StreamingEvent::BatchSubmitted { batch_time: batch.time, num_records: batch.records },
                StreamingEvent::BatchStarted { batch_time: batch.time },
            ]);
            outcome = before.try_for_each(notify);
        }
        let processing_started_at = SystemTime::now();
        if outcome.is_ok() {
            outcome = run_batch(jobs, batch.time, &notify, !event_listeners.is_empty());
        }
        ctx.records_done.fetch_add(batch.records, Ordering::AcqRel);
        completed += 1;
        if outcome.is_ok()
            && let Some(checkpointing) = &jobs.checkpoint
            && completed % checkpointing.every == 0
        {
            outcome = write_checkpoint(checkpointing, jobs, &batch);
        }
        let info = BatchInfo {
            batch_time: batch.time,
            num_records: batch.records,
            input_descriptions: batch.descriptions,
            submitted_at: batch.submitted_at,
            processing_started_at,
            processing_ended_at: SystemTime::now(),
        };
        if let Some(estimator) = estimator.as_mut() {
            let rate = estimator.compute(
                batch.time.as_millis(),
                info.num_records,
                info.processing_delay(),
                info.scheduling_delay(),
            );
            if let Some(rate) = rate {
                jobs.inputs.iter().for_each(|input| input.set_rate(Some(rate)));
            }
        }
        behind.observe(&info, ctx.batch_interval);
        let mut state = ctx.lock();
        state.last_completed = Some(batch.time);
        if state.history.len() == HISTORY_LIMIT {
            state.history.pop_front();
        }
        state.history.push_back(info.clone());
        let listeners = state.listeners.clone();
        if let Err(err) = outcome {
            // The first failure stops the context; `await_termination*` and `stop` report it
            // once it is stopped.
            state.stream_error.get_or_insert(err);
            drop(state);
            // As in Spark, a failed batch completes too (its failed output says why).
            let _ = notify(StreamingEvent::BatchCompleted(info.clone()));
            ctx.notify();
            stop(ctx, Stop::Now);
            break;
        }
        drop(state);
        if let Err(err) = notify(StreamingEvent::BatchCompleted(info.clone())) {
            ctx.lock().stream_error.get_or_insert(err);
            stop(ctx, Stop::Now);
            break;
        }
        for listener in listeners {
            // A listener that panics is the user's bug: report it like a failed batch would be.
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| listener(&info))) {
                ctx.lock().stream_error.get_or_insert(Error::new(
                    ErrorKind::UserCode,
                    format!("a batch listener panicked: {}", panic_message(payload.as_ref())),
                ));
                stop(ctx, Stop::Now);
                break;
            }
        }
        ctx.notify();
    }
    if let Some(runtime) = ctx.lock().runtime.as_mut() {
        runtime.jobs_done = true;
    }
    ctx.notify();
}

/// Watches the scheduling delay, and says once (on stderr) when it keeps growing past the batch
/// interval: the batches take longer than they come, and the stream falls further behind.
#[derive(Default)]
struct FallingBehind {
    streak: usize,
    last: std::time::Duration,
    warned: bool,
}

impl FallingBehind {
    fn observe(&mut self, info: &BatchInfo, interval: crate::time::Duration) {
        let delay = info.scheduling_delay();
        self.streak = if delay > self.last && delay > interval.to_std() { self.streak + 1 } else { 0 };
        self.last = delay;
        if self.streak >= FALLING_BEHIND && !self.warned {
            self.warned = true;
            eprintln!(
                "dstream: the stream is falling behind: the scheduling delay grew for {} batches in a \
                 row, to {:.1} s, with batches every {interval}: processing a batch takes longer than \
                 the interval. Cap the source (SocketOptions::max_rate), turn on backpressure \
                 (ssc.set_backpressure(true)), make the batches cheaper, or lengthen the interval.",
                self.streak,
                delay.as_secs_f64(),
            );
        }
    }
}

/// Ticks the stateful nodes, then runs the outputs; a panic or error in either fails the batch.
/// With `events`, each output is announced to `notify` before and after it runs.
fn run_batch(
    jobs: &Jobs,
    time: Time,
    notify: &dyn Fn(StreamingEvent) -> Result<()>,
    events: bool,
) -> Result<()> {
    let steps =
        jobs.stateful.iter().map(|op| (op.name(), Step::Tick(op))).chain(
            jobs.outputs.iter().enumerate().map(|(id, output)| (output.name(), Step::Output(id, output))),
        );
    for (name, step) in steps {
        let output_id = match step {
            Step::Output(id, _) if events => Some(id),
            _ => None,
        };
        if let Some(id) = output_id {
            notify(StreamingEvent::OutputOperationStarted { batch_time: time, id, name: name.to_string() })?;
        }
        let began = std::time::Instant::now();
        let run = || match step {
            Step::Tick(op) => op.tick(time),
            Step::Output(_, output) => output.run(time),
        };
        let result = catch_unwind(AssertUnwindSafe(run));
        if let Some(id) = output_id {
            let failure = match &result {
                Ok(Ok(())) => None,
                Ok(Err(err)) => Some(err.to_string()),
                Err(payload) => Some(format!("panicked: {}", panic_message(payload.as_ref()))),
            };
            let duration = began.elapsed();
            notify(StreamingEvent::OutputOperationCompleted {
                batch_time: time,
                id,
                name: name.to_string(),
                duration,
                failure,
            })?;
        }
        match result {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                return Err(Error::new(
                    err.kind(),
                    format!("batch {} ({}) failed in `{name}`: {err}", time.to_local_string(), time),
                ));
            }
            Err(payload) => {
                return Err(Error::new(
                    ErrorKind::UserCode,
                    format!(
                        "batch {} ({}) failed: a function of the pipeline feeding `{name}` panicked: {}. \
                         The context was stopped; fix the function and run the pipeline on a new \
                         StreamingContext.",
                        time.to_local_string(),
                        time,
                        panic_message(payload.as_ref())
                    ),
                ));
            }
        }
    }
    Ok(())
}

enum Step<'a> {
    Tick(&'a Arc<dyn StatefulOp>),
    Output(usize, &'a Arc<dyn OutputOp>),
}

fn write_checkpoint(checkpointing: &Checkpointing, jobs: &Jobs, batch: &Batch) -> Result<()> {
    let stateful = jobs
        .stateful
        .iter()
        .map(|op| {
            let mut data = Vec::new();
            op.save(&mut data);
            (op.describe(), data)
        })
        .collect();
    let snapshot = Snapshot {
        time: batch.time,
        zero: checkpointing.zero,
        inputs: batch.positions.clone().unwrap_or_default(),
        stateful,
    };
    checkpoint::write(&checkpointing.dir, &snapshot)
}

/// Puts a checkpoint's data back into a freshly declared pipeline (see `get_or_create`).
pub(crate) fn restore(ctx: &ContextShared, dir: &std::path::Path, snapshot: Snapshot) -> Result<()> {
    let mut state = ctx.lock();
    let names = |items: &[(String, Vec<u8>)]| items.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    let pipeline_inputs: Vec<String> = state.graph.inputs.iter().map(|i| i.name().to_string()).collect();
    let pipeline_stateful: Vec<String> = state.graph.stateful.iter().map(|op| op.describe()).collect();
    if pipeline_inputs != names(&snapshot.inputs) || pipeline_stateful != names(&snapshot.stateful) {
        return Err(Error::new(
            ErrorKind::Checkpoint,
            format!(
                "the pipeline declared by setup does not match the checkpoint in {}: the checkpoint \
                 has sources {:?} and windows/states {:?}, the pipeline has {:?} and {:?}. Declare \
                 the same pipeline as the run that wrote it, or delete the directory to start afresh.",
                dir.display(),
                names(&snapshot.inputs),
                names(&snapshot.stateful),
                pipeline_inputs,
                pipeline_stateful
            ),
        ));
    }
    let damaged = |what: &str, err: Error| {
        Error::new(
            ErrorKind::Checkpoint,
            format!("cannot restore `{what}` from the checkpoint in {}: {err}", dir.display()),
        )
    };
    for (input, (name, data)) in state.graph.inputs.iter().zip(&snapshot.inputs) {
        input.restore(&mut data.as_slice()).map_err(|e| damaged(name, e))?;
    }
    for (op, (name, data)) in state.graph.stateful.iter().zip(&snapshot.stateful) {
        let mut input = data.as_slice();
        op.restore(&mut input).map_err(|e| damaged(name, e))?;
        if !input.is_empty() {
            return Err(damaged(
                name,
                Error::new(ErrorKind::Checkpoint, "its data has trailing bytes (another type?)"),
            ));
        }
    }
    state.resume = Some((snapshot.time, snapshot.zero));
    state.last_completed = Some(snapshot.time);
    Ok(())
}

/// Stops a context (see `StreamingContext::stop`).
pub(crate) fn stop(ctx: &ContextShared, mode: Stop) {
    let state = ctx.lock();
    let runtime = match state.phase {
        ContextState::Stopped => return,
        ContextState::Initialized => {
            finish(ctx, state);
            return;
        }
        ContextState::Active => state.runtime.as_ref().expect("an active context has a runtime"),
    };
    let (halt_generator, halt_jobs, drain_until) = (
        Arc::clone(&runtime.halt_generator),
        Arc::clone(&runtime.halt_jobs),
        Arc::clone(&runtime.drain_until),
    );
    let on_jobs_thread = runtime.jobs_thread == std::thread::current().id();
    let inputs = state.graph.inputs.clone();
    drop(state);

    inputs.iter().for_each(|input| input.stop(mode == Stop::Gracefully));
    // Spark waits ten batch intervals at most for a graceful stop (its
    // `spark.streaming.gracefulStopTimeout`); we bound every wait by that.
    let patience = ctx.graceful_stop_timeout().to_std();
    if mode == Stop::Gracefully && !on_jobs_thread {
        if inputs.iter().any(|input| input.pending() > 0) {
            // Lines were received since the last batch: they land in the batch at the next
            // boundary, so run up to it.
            let last = ctx.clock.now().floor(ctx.batch_interval) + ctx.batch_interval;
            *drain_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(last);
        } else {
            // Nothing waits for a batch: cut no more, and let the batches already cut finish.
            halt_generator.store(true, Ordering::Release);
        }
        wait_until(ctx, patience, |state| state.runtime.as_ref().is_none_or(|r| r.jobs_done));
    }
    halt_generator.store(true, Ordering::Release);
    halt_jobs.store(true, Ordering::Release);
    if !on_jobs_thread {
        // Let the batch in progress finish its output operations.
        wait_until(ctx, patience, |state| state.runtime.as_ref().is_none_or(|r| r.jobs_done));
    }
    // What was received but never processed: batches cut and not completed (queued, or still
    // running when patience ran out), and records the sources hold that no batch took.
    let cut = ctx.records_cut.load(Ordering::Acquire);
    let done = ctx.records_done.load(Ordering::Acquire);
    let held: u64 = inputs.iter().map(|input| input.pending()).sum();
    let unprocessed = cut.saturating_sub(done) + held;
    let mut state = ctx.lock();
    state.unprocessed = unprocessed;
    if mode == Stop::Gracefully && unprocessed > 0 {
        state.stop_shortfall = Some(Error::new(
            ErrorKind::Unprocessed,
            format!(
                "the graceful stop ran out of time: {unprocessed} of the {} records received were \
                 not processed within {} (the batches could not keep up). Give it longer with \
                 ssc.set_graceful_stop_timeout(...), or make the batches faster.",
                cut + held,
                crate::time::Duration::from_millis(patience.as_millis() as i64),
            ),
        ));
    }
    if state.phase != ContextState::Stopped {
        finish(ctx, state);
    }
}

fn wait_until(
    ctx: &ContextShared,
    patience: std::time::Duration,
    done: impl Fn(&crate::context::State) -> bool,
) {
    let deadline = std::time::Instant::now() + patience;
    let mut state = ctx.lock();
    while !done(&state) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return;
        }
        state = ctx.wait_timeout(state, left.min(std::time::Duration::from_millis(50)));
    }
}

/// The users' last handle on the context is gone (see `context::Handle`): nothing can reach it
/// any more, so it stops as with `stop(Stop::Now)`, and lets go of its graph.
pub(crate) fn release(ctx: &ContextShared) {
    stop(ctx, Stop::Now);
}

/// Marks the context stopped and lets go of what holds the context in turn: the output
/// operations, windows and states (whose nodes point back at it) and the listeners (whose
/// closures may hold handles), so that a stopped context is freed once its handles are gone.
fn finish(ctx: &ContextShared, mut state: std::sync::MutexGuard<'_, crate::context::State>) {
    state.phase = ContextState::Stopped;
    let graph = (
        std::mem::take(&mut state.graph.outputs),
        std::mem::take(&mut state.graph.stateful),
        std::mem::take(&mut state.listeners),
        std::mem::take(&mut state.event_listeners),
        state.checkpoint_lock.take(),
    );
    drop(state);
    crate::active::unregister(ctx);
    ctx.notify();
    // Dropped without the lock: a closure's handle may be the last, and its drop stops (here:
    // finds stopped) this very context.
    drop(graph);
}
