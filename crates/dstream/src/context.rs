//! `StreamingContext`: the entry point. It owns the DStream graph, the clock and the lifecycle
//! (Initialized → Active → Stopped).

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::scheduler::graph::{DStreamGraph, InputSource, OutputOp, StatefulOp};
use crate::scheduler::{self, BatchInfo, Runtime};
use crate::time::{Duration, Time};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};

/// Where a [`StreamingContext`] is in its life (Spark's `StreamingContextState`).
///
/// # Examples
///
/// ```
/// use dstream::{ContextState, Stop, StreamingContext, secs};
///
/// let ssc = StreamingContext::new(secs(1))?;
/// ssc.queue_stream(vec![vec![1]], true, None).pprint();
/// assert_eq!(ssc.state(), ContextState::Initialized);
/// ssc.start()?;
/// assert_eq!(ssc.state(), ContextState::Active);
/// ssc.stop(Stop::Now)?;
/// assert_eq!(ssc.state(), ContextState::Stopped);
/// # Ok::<(), dstream::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextState {
    /// Created; sources, transformations and output operations may be declared.
    Initialized,
    /// Started: batches are being processed. Nothing may be declared any more.
    Active,
    /// Stopped for good. A stopped context cannot be started again.
    Stopped,
}

/// How [`StreamingContext::stop`] treats data already received.
///
/// # Examples
///
/// ```
/// use dstream::{Stop, StreamingContext, secs};
///
/// let ssc = StreamingContext::new(secs(1))?;
/// ssc.queue_stream(vec![vec!["spark"]], true, None).pprint();
/// ssc.start()?;
/// // PySpark's ssc.stop(stopSparkContext=True, stopGraceFully=True)
/// ssc.stop(Stop::Gracefully)?;
/// # Ok::<(), dstream::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Stop now: the batch being processed finishes, queued batches and unprocessed data are
    /// dropped (Spark's default, `stopGraceFully=False`).
    Now,
    /// Stop the sources, then process every line already received before stopping, waiting at
    /// most ten batch intervals (Spark's `stopGraceFully=True`; see
    /// [`StreamingContext::set_graceful_stop_timeout`]). If that is not enough, `stop` says how
    /// many records were left unprocessed.
    Gracefully,
}

/// The main entry point (Spark's `StreamingContext`): declares sources, runs the batches.
///
/// A context is created with a batch interval, gets its sources ([`socket_text_stream`],
/// [`queue_stream`], [`text_file_stream`]), transformations and output operations, then is
/// [`start`]ed. Every batch interval it cuts a batch from its sources and runs the output
/// operations on it, in the order they were declared, on a background thread. [`stop`] ends it.
///
/// Batch times are multiples of the batch interval since the Unix epoch; the first batch is the
/// first such multiple after `start()` (Spark's rule).
///
/// Handles are cheap to clone and share the same context. **Dropping the last handle stops
/// the context** (as [`stop(Stop::Now)`](StreamingContext::stop) would) and frees it: the
/// streams of a context ([`DStream`](crate::DStream)) count as handles too. In a notebook, the
/// context of a cell that is run again (`let ssc = StreamingContext::new(...)` and the cells that
/// declare its streams) therefore stops instead of running on unreachable, holding its server's
/// connection. A closure given to the context itself (an output operation, a listener) that
/// captures a handle keeps it alive until it is stopped; [`get_active`](StreamingContext::get_active)
/// finds such a context again.
///
/// [`socket_text_stream`]: StreamingContext::socket_text_stream
/// [`queue_stream`]: StreamingContext::queue_stream
/// [`text_file_stream`]: StreamingContext::text_file_stream
/// [`start`]: StreamingContext::start
/// [`stop`]: StreamingContext::stop
///
/// # Examples
///
/// ```
/// use dstream::{Clock, ContextState, Duration, ManualClock, Stop, StreamingContext, Time};
/// use std::sync::{Arc, Mutex};
///
/// let clock = ManualClock::new(Time::from_millis(0));
/// let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
/// let lines = ssc.queue_stream(vec![vec!["a b".to_string()], vec!["c".to_string()]], true, None);
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// lines.count().foreach_rdd(move |rdd| sink.lock().unwrap().extend(rdd.collect()));
///
/// ssc.start()?;
/// assert_eq!(ssc.state(), ContextState::Active);
/// clock.advance(Duration::from_secs(2));
/// while seen.lock().unwrap().len() < 2 {
///     std::thread::sleep(std::time::Duration::from_millis(1));
/// }
/// ssc.stop(Stop::Now)?;
/// assert_eq!(*seen.lock().unwrap(), vec![1, 1]);
/// assert!(ssc.start().is_err()); // a stopped context cannot be restarted
/// # Ok::<(), dstream::Error>(())
/// ```
#[derive(Clone)]
pub struct StreamingContext {
    handle: Arc<Handle>,
}

/// A user's hold on a context, shared by all its [`StreamingContext`]s and [`DStream`]s; the
/// graph's own references (a node's parents, the threads) do not hold one. When the last one
/// goes, the context is stopped and its graph let go of.
///
/// [`DStream`]: crate::DStream
pub(crate) struct Handle {
    ctx: Arc<ContextShared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        scheduler::release(&self.ctx);
    }
}

/// What every handle of a context, and every DStream of it, shares.
pub(crate) struct ContextShared {
    pub(crate) batch_interval: Duration,
    pub(crate) clock: Clock,
    parallelism: AtomicUsize,
    /// The graph's zero time (one interval before the first batch), `i64::MIN` before start.
    zero_time: AtomicI64,
    state: Mutex<State>,
    changed: Condvar,
    /// The users' handle, while any exists (see [`Handle`]).
    handle: Mutex<Weak<Handle>>,
    /// Records cut into batches, and records of the batches completed: what a stop left
    /// unprocessed is the difference (plus what the sources still hold).
    pub(crate) records_cut: AtomicU64,
    pub(crate) records_done: AtomicU64,
    /// How long every stream keeps the batches it computed, in ms (see `remember`); 0: none.
    pub(crate) remember_ms: AtomicI64,
}

pub(crate) struct State {
    pub(crate) phase: ContextState,
    pub(crate) graph: DStreamGraph,
    /// Misuses found while the graph was declared (reported by `start` and the `await_*` calls).
    pub(crate) declaration_errors: Vec<Error>,
    /// The first error raised while processing a batch; it stops the context.
    pub(crate) stream_error: Option<Error>,
    pub(crate) checkpoint_dir: Option<PathBuf>,
    pub(crate) last_completed: Option<Time>,
    pub(crate) history: std::collections::VecDeque<BatchInfo>,
    pub(crate) runtime: Option<Runtime>,
    /// After recovery: the last checkpointed batch and the zero time to go on from.
    pub(crate) resume: Option<(Time, Time)>,
    /// Write a checkpoint every this many batches.
    pub(crate) checkpoint_every: usize,
    pub(crate) listeners: Vec<Listener>,
    pub(crate) event_listeners: Vec<crate::scheduler::events::EventListener>,
    /// While active with a checkpoint directory: our claim on it.
    pub(crate) checkpoint_lock: Option<crate::checkpoint::DirLock>,
    /// Backpressure on (see `set_backpressure`), and the rate receivers start at.
    pub(crate) backpressure: bool,
    pub(crate) backpressure_initial_rate: Option<f64>,
    /// How long a graceful stop waits, if set (default: ten batch intervals).
    pub(crate) graceful_stop_timeout: Option<Duration>,
    /// What the stop left unprocessed (records).
    pub(crate) unprocessed: u64,
    /// A graceful stop that ran out of time, reported by `stop`.
    pub(crate) stop_shortfall: Option<Error>,
}

/// A function called after each batch with its [`BatchInfo`].
pub(crate) type Listener = Arc<dyn Fn(&BatchInfo) + Send + Sync>;

/// How many finished batches the context remembers (Spark's UI keeps 1000 too).
pub(crate) const HISTORY_LIMIT: usize = 1000;

impl std::fmt::Debug for StreamingContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingContext")
            .field("batch_interval", &self.shared().batch_interval)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl StreamingContext {
    /// A context cutting a batch every `batch_interval`, on the system clock. The interval is a
    /// [`Duration`] of this crate or a `std::time::Duration`.
    ///
    /// ```
    /// use dstream::{Duration, StreamingContext};
    /// let ssc = StreamingContext::new(Duration::from_secs(5))?;
    /// assert_eq!(ssc.batch_interval(), Duration::from_secs(5));
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn new(batch_interval: impl Into<Duration>) -> Result<Self> {
        StreamingContext::with_clock(batch_interval, Clock::System)
    }

    /// A context on the given clock (use [`Clock::Manual`] for deterministic tests).
    ///
    /// ```
    /// use dstream::{Clock, ContextState, Duration, ManualClock, Stop, StreamingContext, Time};
    /// let clock = ManualClock::new(Time::from_millis(0));
    /// let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
    /// ssc.queue_stream(vec![vec![1, 2]], true, None).pprint();
    /// assert_eq!(ssc.state(), ContextState::Initialized);
    /// ssc.start()?;
    /// assert_eq!(ssc.state(), ContextState::Active);
    /// clock.advance(Duration::from_secs(1));
    /// while ssc.batch_history().is_empty() { std::thread::yield_now(); } // batch 1 s is done
    /// ssc.stop(Stop::Gracefully)?;
    /// assert_eq!(ssc.state(), ContextState::Stopped);
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn with_clock(batch_interval: impl Into<Duration>, clock: Clock) -> Result<Self> {
        let batch_interval = batch_interval.into();
        if batch_interval <= Duration::ZERO {
            return Err(Error::invalid_argument(format!(
                "the batch interval must be positive, got {batch_interval}; \
                 use e.g. Duration::from_secs(5) as in the lab"
            )));
        }
        let parallelism = std::thread::available_parallelism().map_or(1, usize::from);
        let shared = Arc::new(ContextShared {
            batch_interval,
            clock,
            parallelism: AtomicUsize::new(parallelism),
            zero_time: AtomicI64::new(i64::MIN),
            state: Mutex::new(State {
                phase: ContextState::Initialized,
                graph: DStreamGraph::default(),
                declaration_errors: Vec::new(),
                stream_error: None,
                checkpoint_dir: None,
                last_completed: None,
                history: Default::default(),
                runtime: None,
                resume: None,
                checkpoint_every: 1,
                listeners: Vec::new(),
                event_listeners: Vec::new(),
                checkpoint_lock: None,
                backpressure: false,
                backpressure_initial_rate: None,
                graceful_stop_timeout: None,
                unprocessed: 0,
                stop_shortfall: None,
            }),
            changed: Condvar::new(),
            handle: Mutex::new(Weak::new()),
            records_cut: AtomicU64::new(0),
            records_done: AtomicU64::new(0),
            remember_ms: AtomicI64::new(0),
        });
        Ok(StreamingContext::from_shared(&shared))
    }

    /// The active context of this process, if one is started and not stopped (Spark's
    /// `StreamingContext.getActive()`); the most recently started one if there are several.
    ///
    /// In a notebook, this finds a context started by an earlier cell even when no variable
    /// holds it any more, for instance to stop it.
    ///
    /// (The examples run as programs of their own, `standalone_crate`: they look at the whole
    /// process.)
    ///
    /// ```standalone_crate
    /// use dstream::{Duration, Stop, StreamingContext};
    /// let ssc = StreamingContext::new(Duration::from_secs(1))?;
    /// ssc.queue_stream(vec![vec![1]], true, None).foreach_rdd(|_| {});
    /// ssc.start()?;
    /// let active = StreamingContext::get_active().expect("started above");
    /// assert_eq!(active.batch_interval(), Duration::from_secs(1));
    /// active.stop(Stop::Now)?;
    /// assert!(StreamingContext::get_active().is_none());
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn get_active() -> Option<StreamingContext> {
        crate::active::latest()
    }

    /// The active context if there is one, else the one `create` makes (Spark's
    /// `StreamingContext.getActiveOrCreate`): running a notebook cell again reuses the stream
    /// it started instead of starting a second one.
    ///
    /// ```standalone_crate
    /// use dstream::{Duration, Stop, StreamingContext};
    /// let make = || -> dstream::Result<StreamingContext> {
    ///     let ssc = StreamingContext::new(Duration::from_secs(1))?;
    ///     ssc.queue_stream(vec![vec![1]], true, None).foreach_rdd(|_| {});
    ///     ssc.start()?;
    ///     Ok(ssc)
    /// };
    /// let first = StreamingContext::get_active_or_create(make)?;
    /// let again = StreamingContext::get_active_or_create(make)?; // the same, still running
    /// assert!(again.same_context(&first));
    /// first.stop(Stop::Now)?;
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn get_active_or_create(
        create: impl FnOnce() -> Result<StreamingContext>,
    ) -> Result<StreamingContext> {
        match StreamingContext::get_active() {
            Some(active) => Ok(active),
            None => create(),
        }
    }

    /// Whether `self` and `other` are handles on the same context.
    ///
    /// ```
    /// use dstream::{StreamingContext, secs};
    /// let ssc = StreamingContext::new(secs(1))?;
    /// let lines = ssc.queue_stream(vec![vec!["spark"]], true, None);
    /// assert!(lines.context().same_context(&ssc));
    /// assert!(!StreamingContext::new(secs(1))?.same_context(&ssc));
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn same_context(&self, other: &StreamingContext) -> bool {
        Arc::ptr_eq(self.shared(), other.shared())
    }

    /// A handle on `shared` for a user.
    pub(crate) fn from_shared(shared: &Arc<ContextShared>) -> Self {
        StreamingContext { handle: shared.user_handle() }
    }

    pub(crate) fn shared(&self) -> &Arc<ContextShared> {
        &self.handle.ctx
    }

    /// The interval between batches.
    ///
    /// ```
    /// use dstream::{StreamingContext, secs};
    /// assert_eq!(StreamingContext::new(secs(5))?.batch_interval(), secs(5));
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn batch_interval(&self) -> Duration {
        self.shared().batch_interval
    }

    /// The clock the context runs on.
    ///
    /// ```
    /// use dstream::{Clock, StreamingContext, secs};
    /// assert!(matches!(StreamingContext::new(secs(5))?.clock(), Clock::System));
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn clock(&self) -> &Clock {
        &self.shared().clock
    }

    /// Where the context is in its life.
    ///
    /// ```
    /// use dstream::{ContextState, StreamingContext, secs};
    /// assert_eq!(StreamingContext::new(secs(5))?.state(), ContextState::Initialized);
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn state(&self) -> ContextState {
        self.shared().lock().phase
    }

    /// Makes every stream of this context keep the batches it computed during the last
    /// `duration`, so that [`DStream::slice`](crate::DStream::slice) can return them (Spark's
    /// `remember`). Off by default: streams keep only what their windows need.
    ///
    /// ```
    /// use dstream::{StreamingContext, secs};
    /// let ssc = StreamingContext::new(secs(1))?;
    /// ssc.remember(secs(60));
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn remember(&self, duration: impl Into<Duration>) {
        self.shared().remember_ms.store(duration.into().as_millis().max(0), Ordering::Relaxed);
    }

    /// How many partitions sources cut a batch into: the number of cores by default.
    ///
    /// ```
    /// use dstream::{StreamingContext, secs};
    /// let ssc = StreamingContext::new(secs(1))?;
    /// assert!(ssc.default_parallelism() >= 1);
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn default_parallelism(&self) -> usize {
        self.shared().parallelism()
    }

    /// Sets how many partitions sources cut a batch into (at least 1), before `start()`.
    ///
    /// ```
    /// use dstream::{StreamingContext, secs};
    /// let ssc = StreamingContext::new(secs(1))?;
    /// ssc.set_default_parallelism(2);
    /// assert_eq!(ssc.default_parallelism(), 2);
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn set_default_parallelism(&self, partitions: usize) {
        self.shared().parallelism.store(partitions.max(1), Ordering::Relaxed);
    }

    /// Sets the directory where checkpoints are written (Spark's `checkpoint(dir)`); it is
    /// created if missing.
    ///
    /// ```
    /// use dstream::{Duration, StreamingContext};
    /// let dir = std::env::temp_dir().join(format!("dstream-doc-ckpt-{}", std::process::id()));
    /// let ssc = StreamingContext::new(Duration::from_secs(1))?;
    /// ssc.checkpoint(&dir)?;
    /// assert_eq!(ssc.checkpoint_dir(), Some(dir.clone()));
    /// # std::fs::remove_dir_all(dir).ok();
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn checkpoint(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        crate::fs::create_dirs(dir, "checkpoint directory")?;
        let mut state = self.shared().lock();
        if state.phase != ContextState::Initialized {
            return Err(Error::invalid_state("checkpoint(dir) must be called before start()"));
        }
        state.checkpoint_dir = Some(dir.to_path_buf());
        Ok(())
    }

    /// Writes a checkpoint every `batches` batches instead of after each one (at least 1). Fewer
    /// checkpoints cost less; after a crash, the batches since the last one are run again.
    ///
    /// ```
    /// use dstream::{StreamingContext, secs, testing::TempDir};
    /// let dir = TempDir::new()?;
    /// let ssc = StreamingContext::new(secs(1))?;
    /// ssc.checkpoint(dir.path())?;
    /// ssc.checkpoint_every(10); // a checkpoint every 10 batches
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn checkpoint_every(&self, batches: usize) {
        self.shared().lock().checkpoint_every = batches.max(1);
    }

    /// After [`get_or_create`](StreamingContext::get_or_create) recovered this context: the last
    /// batch of the checkpoint, after which processing resumes.
    ///
    /// ```
    /// use dstream::{StreamingContext, secs};
    /// assert_eq!(StreamingContext::new(secs(1))?.resumed_from(), None, "a new context resumes nothing");
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn resumed_from(&self) -> Option<Time> {
        self.shared().lock().resume.map(|(time, _)| time)
    }

    /// Calls `listener` after each batch with its [`BatchInfo`] (Spark's `StreamingListener`'s
    /// `onBatchCompleted`), on the thread that runs the batches.
    ///
    /// ```
    /// use dstream::{DStream, testing};
    /// use std::sync::{Arc, Mutex};
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let sink = seen.clone();
    /// testing::run_batches(vec![vec![1, 2], vec![3]], move |s: DStream<i32>| {
    ///     s.context().add_listener(move |info| sink.lock().unwrap().push(info.num_records()));
    ///     s
    /// });
    /// assert_eq!(*seen.lock().unwrap(), vec![2, 1]);
    /// ```
    pub fn add_listener(&self, listener: impl Fn(&BatchInfo) + Send + Sync + 'static) {
        self.shared().lock().listeners.push(Arc::new(listener));
    }

    /// Calls `listener` with every [`StreamingEvent`](crate::StreamingEvent) of the running
    /// context, on the thread that runs the batches (Spark's `StreamingListener`, all of its
    /// callbacks): the start, each batch submitted, started and completed, each output operation
    /// started and completed, and the receivers' connections, errors and disconnections, so a
    /// notebook can show a receiver's errors while the stream runs. Add it before `start()` to
    /// see `StreamingStarted`.
    ///
    /// ```
    /// use dstream::{StreamingContext, StreamingEvent, Stop, secs, millis};
    /// use std::sync::{Arc, Mutex};
    /// let ssc = StreamingContext::new(millis(100))?;
    /// // Nothing listens on this port: the receiver reports errors, and keeps retrying.
    /// let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    /// ssc.socket_text_stream("127.0.0.1", port).pprint();
    /// let errors = Arc::new(Mutex::new(Vec::new()));
    /// let sink = errors.clone();
    /// ssc.add_event_listener(move |event| {
    ///     if let StreamingEvent::ReceiverError { message, .. } = event {
    ///         sink.lock().unwrap().push(message.clone());
    ///     }
    /// });
    /// ssc.start()?;
    /// while errors.lock().unwrap().is_empty() {
    ///     std::thread::sleep(std::time::Duration::from_millis(50));
    /// }
    /// ssc.stop(Stop::Now)?;
    /// assert!(errors.lock().unwrap()[0].contains("refused"), "{:?}", errors.lock().unwrap());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_event_listener(&self, listener: impl Fn(&crate::StreamingEvent) + Send + Sync + 'static) {
        self.shared().lock().event_listeners.push(Arc::new(listener));
    }

    /// The checkpoint directory, if one was set.
    ///
    /// ```
    /// use dstream::{StreamingContext, secs};
    /// assert_eq!(StreamingContext::new(secs(1))?.checkpoint_dir(), None);
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn checkpoint_dir(&self) -> Option<PathBuf> {
        self.shared().lock().checkpoint_dir.clone()
    }

    /// Starts processing: receivers connect and a batch is cut at every interval.
    ///
    /// Fails if the context was already started or stopped, if no output operation was declared
    /// (there would be nothing to run), or if a declaration was invalid.
    ///
    /// ```
    /// use dstream::{Clock, ContextState, Duration, ManualClock, Stop, StreamingContext, Time};
    /// let clock = ManualClock::new(Time::from_millis(0));
    /// let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
    /// ssc.queue_stream(vec![vec![1, 2]], true, None).pprint();
    /// assert_eq!(ssc.state(), ContextState::Initialized);
    /// ssc.start()?;
    /// assert_eq!(ssc.state(), ContextState::Active);
    /// clock.advance(Duration::from_secs(1));
    /// assert!(ssc.start().is_err(), "a context starts once");
    /// ssc.stop(Stop::Now)?;
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn start(&self) -> Result<()> {
        scheduler::start(self.shared())
    }

    /// Waits until the context stops; returns the error that stopped it, if any.
    ///
    /// ```
    /// use dstream::{Duration, Stop, StreamingContext};
    /// let ssc = StreamingContext::new(Duration::from_millis(100))?;
    /// ssc.queue_stream(vec![vec![1]], true, None).foreach_rdd(|_| {});
    /// ssc.start()?;
    /// let stopper = StreamingContext::get_active().expect("started");
    /// std::thread::spawn(move || {
    ///     std::thread::sleep(std::time::Duration::from_millis(300));
    ///     stopper.stop(Stop::Now).unwrap();
    /// });
    /// ssc.await_termination()?; // returns once the other thread stopped it
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn await_termination(&self) -> Result<()> {
        self.wait_stopped(None).map(|_| ())
    }

    /// Waits until the context stops or `timeout` passes. Returns `Ok(true)` if it stopped,
    /// `Ok(false)` on timeout, and the stream's error if one occurred (Spark's
    /// `awaitTerminationOrTimeout`).
    ///
    /// ```
    /// use dstream::{Duration, Stop, StreamingContext};
    /// let ssc = StreamingContext::new(Duration::from_millis(100))?;
    /// ssc.queue_stream(vec![vec![1]], true, None).foreach_rdd(|_| {});
    /// ssc.start()?;
    /// assert!(!ssc.await_termination_or_timeout(Duration::from_millis(250))?, "still running after 250 ms");
    /// ssc.stop(Stop::Now)?;
    /// assert!(ssc.await_termination_or_timeout(Duration::from_millis(250))?, "stopped");
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn await_termination_or_timeout(&self, timeout: impl Into<Duration>) -> Result<bool> {
        self.wait_stopped(Some(timeout.into().to_std()))
    }

    fn wait_stopped(&self, timeout: Option<std::time::Duration>) -> Result<bool> {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let mut state = self.shared().lock();
        loop {
            if let Some(err) = state.declaration_errors.first() {
                return Err(err.clone());
            }
            if state.phase == ContextState::Stopped {
                // A failed batch stops the context (from the job thread): report it once stopped.
                return match &state.stream_error {
                    Some(err) => Err(err.clone()),
                    None => Ok(true),
                };
            }
            if state.phase == ContextState::Initialized {
                return Err(Error::invalid_state(
                    "the context was never started: call start() before waiting for it to terminate",
                ));
            }
            state = match deadline {
                None => self.shared().changed.wait(state).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        return Ok(false);
                    }
                    self.shared().changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0
                }
            };
        }
    }

    /// Stops the context: receivers disconnect and no new batch starts. With [`Stop::Gracefully`],
    /// every line already received is processed and output first.
    ///
    /// Stopping a context that never started, or one already stopped, is allowed and does nothing
    /// more. Returns the stream's error if one occurred.
    ///
    /// ```
    /// use dstream::{Clock, ContextState, Duration, ManualClock, Stop, StreamingContext, Time};
    /// let clock = ManualClock::new(Time::from_millis(0));
    /// let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
    /// ssc.queue_stream(vec![vec![1, 2]], true, None).pprint();
    /// assert_eq!(ssc.state(), ContextState::Initialized);
    /// ssc.start()?;
    /// assert_eq!(ssc.state(), ContextState::Active);
    /// clock.advance(Duration::from_secs(1));
    /// while ssc.batch_history().is_empty() { std::thread::yield_now(); } // batch 1 s is done
    /// ssc.stop(Stop::Gracefully)?;
    /// assert_eq!(ssc.batch_history().len(), 1);
    /// ssc.stop(Stop::Now)?; // stopping again does nothing more
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn stop(&self, mode: Stop) -> Result<()> {
        scheduler::stop(self.shared(), mode);
        let state = self.shared().lock();
        match state.stream_error.clone().or_else(|| state.stop_shortfall.clone()) {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// How long [`stop(Stop::Gracefully)`](StreamingContext::stop) waits for the received
    /// records to be processed before it gives up (Spark's `spark.streaming.gracefulStopTimeout`);
    /// ten batch intervals by default. What it could not process is reported by `stop`'s error
    /// and [`unprocessed_records`](StreamingContext::unprocessed_records).
    ///
    /// ```
    /// use dstream::{Duration, StreamingContext};
    /// let ssc = StreamingContext::new(Duration::from_secs(5))?;
    /// assert_eq!(ssc.graceful_stop_timeout(), Duration::from_secs(50));
    /// ssc.set_graceful_stop_timeout(Duration::from_secs(120));
    /// assert_eq!(ssc.graceful_stop_timeout(), Duration::from_secs(120));
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn set_graceful_stop_timeout(&self, timeout: impl Into<Duration>) {
        self.shared().lock().graceful_stop_timeout = Some(timeout.into());
    }

    /// Turns backpressure on or off, before `start()` (Spark's
    /// `spark.streaming.backpressure.enabled`; off by default). With it, after each batch a PID
    /// controller estimates from the batch's processing time and scheduling delay how many
    /// records per second the pipeline keeps up with, and receivers take no more than that
    /// (within their own [`max_rate`](crate::SocketOptions::max_rate)): a sender faster than the
    /// pipeline is held back instead of making the delay grow. The rate in force shows in
    /// [`receiver_reports`](StreamingContext::receiver_reports).
    ///
    /// ```
    /// use dstream::{Duration, StreamingContext};
    /// let ssc = StreamingContext::new(Duration::from_secs(1))?;
    /// ssc.set_backpressure(true);
    /// assert!(ssc.backpressure());
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn set_backpressure(&self, enabled: bool) {
        self.shared().lock().backpressure = enabled;
    }

    /// With backpressure: the rate receivers start at, records per second, before the first
    /// batches tell what the pipeline keeps up with (Spark's
    /// `spark.streaming.backpressure.initialRate`). Without it, the first batch takes whatever
    /// arrived, which can be far more than the pipeline can process in an interval.
    ///
    /// ```
    /// use dstream::{Duration, StreamingContext};
    /// let ssc = StreamingContext::new(Duration::from_secs(1))?;
    /// ssc.set_backpressure(true);
    /// ssc.set_backpressure_initial_rate(1000);
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn set_backpressure_initial_rate(&self, records_per_second: u32) {
        self.shared().lock().backpressure_initial_rate = Some(f64::from(records_per_second.max(1)));
    }

    /// Whether backpressure is on (see [`set_backpressure`](StreamingContext::set_backpressure)).
    ///
    /// ```
    /// use dstream::{StreamingContext, secs};
    /// let ssc = StreamingContext::new(secs(1))?;
    /// assert!(!ssc.backpressure());
    /// ssc.set_backpressure(true);
    /// assert!(ssc.backpressure());
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn backpressure(&self) -> bool {
        self.shared().lock().backpressure
    }

    /// See [`set_graceful_stop_timeout`](StreamingContext::set_graceful_stop_timeout).
    ///
    /// ```
    /// use dstream::{StreamingContext, secs};
    /// assert_eq!(StreamingContext::new(secs(5))?.graceful_stop_timeout(), secs(50), "ten intervals");
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn graceful_stop_timeout(&self) -> Duration {
        self.shared().graceful_stop_timeout()
    }

    /// After a stop, how many received records were never processed: those of batches dropped
    /// by [`Stop::Now`] (or left when a graceful stop ran out of time), and those no batch took.
    /// `0` before the context stops, and after a graceful stop that processed everything.
    ///
    /// ```
    /// use dstream::{Clock, ContextState, Duration, ManualClock, Stop, StreamingContext, Time};
    /// let clock = ManualClock::new(Time::from_millis(0));
    /// let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
    /// ssc.queue_stream(vec![vec![1, 2]], true, None).pprint();
    /// assert_eq!(ssc.state(), ContextState::Initialized);
    /// ssc.start()?;
    /// assert_eq!(ssc.state(), ContextState::Active);
    /// clock.advance(Duration::from_secs(1));
    /// while ssc.batch_history().is_empty() { std::thread::yield_now(); } // batch 1 s is done
    /// ssc.stop(Stop::Gracefully)?;
    /// assert_eq!(ssc.unprocessed_records(), 0, "a graceful stop processed everything");
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn unprocessed_records(&self) -> u64 {
        self.shared().lock().unprocessed
    }

    /// The batches processed so far (at most the last 1000), oldest first.
    ///
    /// ```
    /// use dstream::{Clock, ContextState, Duration, ManualClock, Stop, StreamingContext, Time};
    /// let clock = ManualClock::new(Time::from_millis(0));
    /// let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
    /// ssc.queue_stream(vec![vec![1, 2]], true, None).pprint();
    /// assert_eq!(ssc.state(), ContextState::Initialized);
    /// ssc.start()?;
    /// assert_eq!(ssc.state(), ContextState::Active);
    /// clock.advance(Duration::from_secs(1));
    /// while ssc.batch_history().is_empty() { std::thread::yield_now(); } // batch 1 s is done
    /// ssc.stop(Stop::Gracefully)?;
    /// let history = ssc.batch_history();
    /// assert_eq!((history[0].batch_time(), history[0].num_records()), (Time::from_millis(1000), 2));
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn batch_history(&self) -> Vec<BatchInfo> {
        self.shared().lock().history.iter().cloned().collect()
    }

    /// The processed batches as a picture (records per batch, processing time against the
    /// interval); in a notebook, end a cell with it to see the charts.
    ///
    /// ```
    /// use dstream::{Clock, ContextState, Duration, ManualClock, Stop, StreamingContext, Time};
    /// let clock = ManualClock::new(Time::from_millis(0));
    /// let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
    /// ssc.queue_stream(vec![vec![1, 2]], true, None).pprint();
    /// assert_eq!(ssc.state(), ContextState::Initialized);
    /// ssc.start()?;
    /// assert_eq!(ssc.state(), ContextState::Active);
    /// clock.advance(Duration::from_secs(1));
    /// while ssc.batch_history().is_empty() { std::thread::yield_now(); } // batch 1 s is done
    /// ssc.stop(Stop::Gracefully)?;
    /// let timeline = ssc.batch_timeline(); // a cell ending with it shows the charts
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn batch_timeline(&self) -> crate::ui::BatchTimeline {
        crate::ui::BatchTimeline::new(self.shared().batch_interval, self.batch_history())
    }

    /// The counters of the context's receivers (socket streams): lines received, connection
    /// errors, lines dropped because they were too long...
    ///
    /// ```
    /// use dstream::{StreamingContext, secs};
    /// let ssc = StreamingContext::new(secs(1))?;
    /// ssc.socket_text_stream("127.0.0.1", 9).pprint();
    /// assert_eq!(ssc.receiver_reports().len(), 1, "one socket stream, one report");
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn receiver_reports(&self) -> Vec<crate::ReceiverReport> {
        let inputs = self.shared().lock().graph.inputs.clone();
        inputs.iter().filter_map(|input| input.report()).collect()
    }

    /// Blocks until the batch at `time` is processed (or the context stops); for the test helper.
    pub(crate) fn wait_for_batch(&self, time: Time, timeout: std::time::Duration) -> Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        let mut state = self.shared().lock();
        loop {
            if let Some(err) = state.stream_error.clone() {
                return Err(err);
            }
            if state.last_completed.is_some_and(|done| done >= time) {
                return Ok(());
            }
            if state.phase == ContextState::Stopped {
                return Err(Error::invalid_state(format!(
                    "the context stopped before batch {time} was processed"
                )));
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(Error::invalid_state(format!(
                    "batch {time} was not processed within {timeout:?}"
                )));
            }
            state = self.shared().changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

impl ContextShared {
    pub(crate) fn graceful_stop_timeout(&self) -> Duration {
        self.lock().graceful_stop_timeout.unwrap_or(self.batch_interval * 10)
    }

    /// The users' handle on this context (a new one if none is left).
    pub(crate) fn user_handle(self: &Arc<Self>) -> Arc<Handle> {
        let mut handle = self.handle.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = handle.upgrade() {
            return existing;
        }
        let fresh = Arc::new(Handle { ctx: Arc::clone(self) });
        *handle = Arc::downgrade(&fresh);
        fresh
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn notify(&self) {
        self.changed.notify_all();
    }

    pub(crate) fn wait_timeout<'a>(
        &self,
        guard: MutexGuard<'a, State>,
        timeout: std::time::Duration,
    ) -> MutexGuard<'a, State> {
        self.changed.wait_timeout(guard, timeout).unwrap_or_else(|e| e.into_inner()).0
    }

    pub(crate) fn parallelism(&self) -> usize {
        self.parallelism.load(Ordering::Relaxed)
    }

    pub(crate) fn zero_time(&self) -> Option<Time> {
        match self.zero_time.load(Ordering::Acquire) {
            i64::MIN => None,
            ms => Some(Time::from_millis(ms)),
        }
    }

    pub(crate) fn set_zero_time(&self, zero: Time) {
        self.zero_time.store(zero.as_millis(), Ordering::Release);
    }

    /// Records `what` as a misuse if the context is no longer being declared.
    pub(crate) fn check_can_declare(&self, what: &str) {
        let phase = self.lock().phase;
        if phase != ContextState::Initialized {
            self.record_declaration_error(Error::invalid_state(format!(
                "`{what}` was declared after the StreamingContext was {}; adding sources, \
                 transformations and output operations after start() is not supported. Declare \
                 the whole pipeline before start(), or create a new StreamingContext.",
                if phase == ContextState::Active { "started" } else { "stopped" }
            )));
        }
    }

    /// Keeps a mistake in a declaration (a window that is not a multiple of the interval, two
    /// streams of different contexts...) for `start()` to refuse, and says it at once, where Spark
    /// raises it: on stderr, which a notebook shows under the cell that made the mistake.
    pub(crate) fn record_declaration_error(&self, err: Error) {
        eprintln!("dstream: {err}");
        self.lock().declaration_errors.push(err);
        self.notify();
    }

    pub(crate) fn add_input(&self, input: Arc<dyn InputSource>) {
        let mut state = self.lock();
        if state.phase == ContextState::Initialized {
            state.graph.inputs.push(input);
        }
    }

    pub(crate) fn add_stateful(&self, op: Arc<dyn StatefulOp>) {
        let mut state = self.lock();
        if state.phase == ContextState::Initialized {
            state.graph.stateful.push(op);
        }
    }

    pub(crate) fn add_output(&self, name: &'static str, output: Arc<dyn OutputOp>) {
        self.check_can_declare(name);
        let mut state = self.lock();
        if state.phase == ContextState::Initialized {
            state.graph.outputs.push(output);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::dstream::PairDStreamExt;

    /// Every kind of node that points back at its context: windows, incremental windows, state,
    /// outputs, listeners.
    fn declare_everything(ssc: &StreamingContext) {
        let pairs = ssc.queue_stream(vec![vec![("a".to_string(), 1i64)]], false, None);
        pairs.window(Duration::from_millis(20), Duration::from_millis(10)).foreach_rdd(|_| {});
        pairs
            .reduce_by_key_and_window_inv(
                |a, b| a + b,
                |a, b| a - b,
                Duration::from_millis(20),
                Duration::from_millis(10),
            )
            .foreach_rdd(|_| {});
        pairs
            .update_state_by_key(|new: Vec<i64>, old: Option<i64>| Some(old.unwrap_or(0) + new.len() as i64))
            .foreach_rdd(|_| {});
        ssc.add_listener(|_| {});
    }

    /// The context's threads let go of it as they end, just after `stop` returns.
    fn freed(weak: &Weak<ContextShared>) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while weak.strong_count() > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        weak.strong_count() == 0
    }

    #[test]
    fn a_context_is_freed_with_its_last_handle_whether_started_or_not() {
        let dir = std::env::temp_dir().join(format!("dstream-freed-{}", std::process::id()));
        for started in [false, true] {
            let clock = ManualClock::new(Time::from_millis(0));
            let ssc = StreamingContext::with_clock(Duration::from_millis(10), Clock::Manual(clock.clone()))
                .unwrap();
            ssc.checkpoint(&dir).unwrap();
            declare_everything(&ssc);
            let weak = Arc::downgrade(ssc.shared());
            if started {
                ssc.start().unwrap();
                clock.advance(Duration::from_millis(30));
                ssc.stop(Stop::Now).unwrap();
            }
            drop(ssc);
            assert!(freed(&weak), "the context (started: {started}) is freed");
        }
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn dropping_the_last_handle_of_a_running_context_stops_it() {
        let clock = ManualClock::new(Time::from_millis(0));
        let ssc =
            StreamingContext::with_clock(Duration::from_millis(10), Clock::Manual(clock.clone())).unwrap();
        let stream = ssc.queue_stream(vec![vec![1]], true, None);
        stream.foreach_rdd(|_| {});
        ssc.start().unwrap();
        let weak = Arc::downgrade(ssc.shared());
        drop(ssc);
        let shared = weak.upgrade().unwrap();
        assert_eq!(shared.lock().phase, ContextState::Active, "a stream is a handle too");
        drop(shared);
        drop(stream);
        assert!(freed(&weak), "stopped and freed");
    }

    #[test]
    fn a_closure_holding_a_handle_keeps_the_context_until_it_is_stopped() {
        let ssc = StreamingContext::new(Duration::from_secs(1)).unwrap();
        let stream = ssc.queue_stream(vec![vec![1]], true, None);
        stream.foreach_rdd(|_| {});
        ssc.add_listener(move |_| {
            let _ = &stream;
        });
        let weak = Arc::downgrade(ssc.shared());
        ssc.stop(Stop::Now).unwrap();
        drop(ssc);
        assert!(freed(&weak), "stopping let go of the listener, then of the context");
    }
}
