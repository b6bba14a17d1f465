//! `socket_text_stream`: lines of text read from a TCP server (Spark's `SocketInputDStream` and
//! its receiver).

use super::lines::LineSplitter;
use super::rate_limiter::RateLimiter;
use super::{Source, input_stream};
use crate::context::StreamingContext;
use crate::dstream::DStream;
use crate::error::{Error, Result};
use crate::text::Text;
use crate::time::{Duration, Time};
use std::io::{ErrorKind, Read};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Settings of a socket source; see [`StreamingContext::socket_text_stream_with`].
///
/// # Examples
///
/// ```
/// use dstream::{Duration, SocketOptions};
/// let options = SocketOptions { max_line_bytes: 4096, ..SocketOptions::default() };
/// assert_eq!(options.reconnect_delay, Duration::from_secs(2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketOptions {
    /// A longer line is dropped and counted in [`ReceiverReport::oversized_lines_dropped`]
    /// (default 1 MiB), so a peer that never sends a newline cannot exhaust memory.
    pub max_line_bytes: usize,
    /// How long the receiver waits before reconnecting after the server closed the connection or
    /// could not be reached (default 2 s, as in Spark).
    pub reconnect_delay: Duration,
    /// At most this many lines per second (Spark's `spark.streaming.receiver.maxRate`); `None`
    /// (the default) for no limit. Beyond it the receiver stops reading for a while, so the
    /// sender is held back by TCP itself.
    pub max_rate: Option<u32>,
    /// At most this much received data waits for the next batch (default 64 MiB, counting each
    /// line's bytes and its bookkeeping); when it is full, the receiver stops reading until the
    /// next batch takes it. Memory stays bounded however fast the sender is.
    pub max_buffered_bytes: usize,
}

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            max_line_bytes: 1 << 20,
            reconnect_delay: Duration::from_secs(2),
            max_rate: None,
            max_buffered_bytes: 64 << 20,
        }
    }
}

/// What a receiver has seen so far; see [`StreamingContext::receiver_reports`].
///
/// # Examples
///
/// ```
/// use dstream::{StreamingContext, secs};
///
/// let ssc = StreamingContext::new(secs(1))?;
/// ssc.socket_text_stream("127.0.0.1", 9).pprint();
/// let report = &ssc.receiver_reports()[0];
/// assert_eq!(report.stream, "socket_text_stream(127.0.0.1:9)");
/// assert_eq!((report.lines, report.errors, report.connected), (0, 0, false)); // not started yet
/// # Ok::<(), dstream::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverReport {
    /// The source, e.g. `socket_text_stream(localhost:9999)`.
    pub stream: String,
    /// Whether it is connected right now.
    pub connected: bool,
    /// How many connections it made.
    pub connections: u64,
    /// How many lines it received.
    pub lines: u64,
    /// Lines longer than [`SocketOptions::max_line_bytes`], dropped.
    pub oversized_lines_dropped: u64,
    /// Lines that held bytes that are not UTF-8 (kept, with U+FFFD in place of those bytes).
    pub invalid_utf8_lines: u64,
    /// Failed connection attempts and read errors.
    pub errors: u64,
    /// The latest of those errors.
    pub last_error: Option<String>,
    /// The rate it is held to, lines per second ([`SocketOptions::max_rate`], or lower with
    /// backpressure); `None` when unlimited.
    pub rate_limit: Option<u64>,
    /// How many times it stopped reading because the data waiting for the next batch reached
    /// [`SocketOptions::max_buffered_bytes`] (the pipeline is slower than the sender).
    pub buffer_full: u64,
}

struct SocketSource {
    host: String,
    port: u16,
    options: SocketOptions,
    shared: Arc<Receiver>,
}

/// State shared between the receiver thread and the rest of the context.
struct Receiver {
    received: Mutex<Buffer>,
    /// Signalled when a batch takes the buffer.
    room: std::sync::Condvar,
    limiter: RateLimiter,
    max_buffered_bytes: usize,
    stopped: AtomicBool,
    /// How it was stopped: a graceful stop reads what the peer already sent.
    graceful: AtomicBool,
    connection: Mutex<Option<TcpStream>>,
    report: Mutex<ReceiverReport>,
    /// Set when the receiver thread has ended (or never started).
    finished: AtomicBool,
}

impl Receiver {
    fn report(&self) -> std::sync::MutexGuard<'_, ReceiverReport> {
        self.report.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Ends the connection's reading: at once, or (gracefully) after what the kernel already
    /// holds — shutting down only the read side still lets the receiver read the queued bytes
    /// (on Linux), then it sees end-of-stream.
    fn shut(&self, connection: &TcpStream) {
        let how = if self.graceful.load(Ordering::Acquire) { Shutdown::Read } else { Shutdown::Both };
        let _ = connection.shutdown(how);
    }

    fn buffer(&self) -> std::sync::MutexGuard<'_, Buffer> {
        self.received.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands complete lines to the next batch and updates the counters, then waits as long as
    /// the rate limit requires.
    fn store(&self, lines: &mut Vec<Text>, splitter: &mut LineSplitter) {
        let count = lines.len() as u64;
        {
            let mut report = self.report();
            report.lines += count;
            report.oversized_lines_dropped += std::mem::take(&mut splitter.oversized);
            report.invalid_utf8_lines += std::mem::take(&mut splitter.invalid_utf8);
        }
        if !lines.is_empty() {
            let mut buffer = self.buffer();
            buffer.bytes += lines.iter().map(Buffer::weight).sum::<usize>();
            buffer.lines.append(lines);
        }
        self.limiter.acquire(count, || self.is_stopped());
    }

    /// Waits, before reading more, until the data waiting for the next batch is under the
    /// bound (or the receiver is stopped).
    fn wait_for_room(&self) {
        let mut buffer = self.buffer();
        if buffer.bytes < self.max_buffered_bytes {
            return;
        }
        self.report().buffer_full += 1;
        while buffer.bytes >= self.max_buffered_bytes && !self.is_stopped() {
            buffer = self
                .room
                .wait_timeout(buffer, std::time::Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn error(&self, message: String) {
        let mut report = self.report();
        report.errors += 1;
        report.last_error = Some(message);
    }
}

/// The lines received and not yet taken by a batch, and about how much memory they hold.
#[derive(Default)]
struct Buffer {
    lines: Vec<Text>,
    bytes: usize,
}

impl Buffer {
    /// A line's weight against [`SocketOptions::max_buffered_bytes`]: its bytes and its slot.
    fn weight(line: &Text) -> usize {
        line.len() + std::mem::size_of::<Text>()
    }
}

impl Source<Text> for SocketSource {
    fn start(&self, _start_time: Time) -> Result<()> {
        let (host, port) = (self.host.clone(), self.port);
        let (options, shared) = (self.options.clone(), Arc::clone(&self.shared));
        self.shared.finished.store(false, Ordering::Release);
        let spawned =
            std::thread::Builder::new().name(format!("dstream-receiver-{host}:{port}")).spawn(move || {
                receive(&host, port, &options, &shared);
                shared.finished.store(true, Ordering::Release);
            });
        if let Err(e) = spawned {
            self.shared.finished.store(true, Ordering::Release);
            return Err(Error::io("cannot start the socket receiver thread", e));
        }
        Ok(())
    }

    fn stop(&self, graceful: bool) {
        self.shared.graceful.store(graceful, Ordering::Release);
        self.shared.stopped.store(true, Ordering::Release);
        if let Some(connection) = self.shared.connection.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            self.shared.shut(connection);
        }
        // Wait (briefly) for the receiver to hand over its last lines.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while !self.shared.finished.load(Ordering::Acquire) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    fn take_batch(&self, _time: Time) -> Vec<Text> {
        let lines = std::mem::take(&mut *self.shared.buffer()).lines;
        self.shared.room.notify_all();
        lines
    }

    fn report(&self) -> Option<ReceiverReport> {
        let mut report = self.shared.report().clone();
        report.rate_limit = self.shared.limiter.rate().map(|r| r.round() as u64);
        Some(report)
    }

    fn pending(&self) -> u64 {
        self.shared.buffer().lines.len() as u64
    }

    fn set_rate(&self, rate: Option<f64>) {
        self.shared.limiter.set_estimate(rate);
    }
}

/// The receiver thread: connect, read lines until EOF or error, wait, reconnect; until stopped.
fn receive(host: &str, port: u16, options: &SocketOptions, receiver: &Receiver) {
    let mut failures_in_a_row = 0u32;
    while !receiver.is_stopped() {
        match TcpStream::connect((host, port)) {
            Ok(stream) => {
                failures_in_a_row = 0;
                read_connection(stream, options, receiver);
            }
            Err(e) => {
                failures_in_a_row += 1;
                receiver.error(format!("cannot connect to {host}:{port}: {e}"));
                // One line, once the failure persists: normally the server is up before the
                // stream starts, and a stream that gets nothing looks like a stream with no data.
                if failures_in_a_row == 2 {
                    eprintln!(
                        "dstream: socket_text_stream cannot connect to {host}:{port} ({e}); \
                         retrying every {} ms. Is the server started and listening on that port?",
                        options.reconnect_delay.as_millis()
                    );
                }
            }
        }
        let until = std::time::Instant::now() + options.reconnect_delay.to_std();
        while !receiver.is_stopped() && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

fn read_connection(mut stream: TcpStream, options: &SocketOptions, receiver: &Receiver) {
    if let Ok(clone) = stream.try_clone() {
        *receiver.connection.lock().unwrap_or_else(|e| e.into_inner()) = Some(clone);
    }
    {
        let mut report = receiver.report();
        report.connected = true;
        report.connections += 1;
    }
    // Stopped while connecting: `stop` found no connection to shut, so do it here.
    if receiver.is_stopped() {
        receiver.shut(&stream);
    }
    let mut splitter = LineSplitter::new(options.max_line_bytes);
    let mut buf = vec![0u8; 64 * 1024];
    let mut lines = Vec::new();
    loop {
        // Stopped at once: what the peer sent since is no batch's (a graceful stop reads it).
        if receiver.is_stopped() && !receiver.graceful.load(Ordering::Acquire) {
            break;
        }
        receiver.wait_for_room();
        match stream.read(&mut buf) {
            Ok(0) => {
                // The peer closed: a last line without newline is still a line.
                splitter.finish(&mut lines);
                break;
            }
            Ok(n) => {
                splitter.feed(&buf[..n], &mut lines);
                receiver.store(&mut lines, &mut splitter);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                // The connection broke (a reset): the line being read is cut short, and a
                // fragment is not a record. Spark's receiver drops it too.
                let dropped = splitter.discard();
                if !receiver.is_stopped() {
                    let partial = if dropped > 0 {
                        format!(" (the incomplete line being read, {dropped} bytes, was dropped)")
                    } else {
                        String::new()
                    };
                    receiver.error(format!("connection lost: {e}{partial}"));
                }
                break;
            }
        }
    }
    receiver.store(&mut lines, &mut splitter);
    *receiver.connection.lock().unwrap_or_else(|e| e.into_inner()) = None;
    receiver.report().connected = false;
}

impl StreamingContext {
    /// A stream of the text lines sent by a TCP server at `host:port` (Spark's
    /// `socketTextStream`), with the default [`SocketOptions`].
    ///
    /// A receiver thread connects when the context starts. Lines end at `\n`, `\r\n` or a lone
    /// `\r`; bytes that are not UTF-8 become U+FFFD; a last line without newline is delivered when
    /// the server closes. When the server closes or cannot be reached, the receiver retries every
    /// 2 s; a line cut short by a broken connection (a reset) is dropped, not delivered as a
    /// fragment. Each line received lands in exactly one batch. See
    /// [`receiver_reports`](StreamingContext::receiver_reports) for its counters.
    ///
    /// # Examples
    ///
    /// ```
    /// use dstream::{Duration, LineServer, Stop, StreamingContext};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let server = LineServer::cycle(["spark streaming", "big data"])
    ///     .every(Duration::from_millis(10))
    ///     .limit(2)
    ///     .start()?;
    /// let ssc = StreamingContext::new(Duration::from_millis(100))?;
    /// let lines = ssc.socket_text_stream("127.0.0.1", server.port());
    /// let got = Arc::new(Mutex::new(Vec::new()));
    /// let sink = got.clone();
    /// lines.foreach_rdd(move |rdd| sink.lock().unwrap().extend(rdd.collect()));
    /// ssc.start()?;
    /// while got.lock().unwrap().len() < 2 {
    ///     std::thread::sleep(std::time::Duration::from_millis(10));
    /// }
    /// ssc.stop(Stop::Now)?;
    /// assert_eq!(*got.lock().unwrap(), vec!["spark streaming", "big data"]);
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn socket_text_stream(&self, host: &str, port: u16) -> DStream<Text> {
        self.socket_text_stream_with(host, port, SocketOptions::default())
    }

    /// [`socket_text_stream`](StreamingContext::socket_text_stream) with explicit options.
    ///
    /// ```
    /// use dstream::{SocketOptions, StreamingContext, secs};
    ///
    /// let ssc = StreamingContext::new(secs(5))?;
    /// // At most 1,000 lines a second (Spark's spark.streaming.receiver.maxRate).
    /// let options = SocketOptions { max_rate: Some(1_000), ..SocketOptions::default() };
    /// let lines = ssc.socket_text_stream_with("localhost", 9999, options);
    /// lines.pprint();
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn socket_text_stream_with(&self, host: &str, port: u16, options: SocketOptions) -> DStream<Text> {
        let report =
            ReceiverReport { stream: format!("socket_text_stream({host}:{port})"), ..Default::default() };
        if host.is_empty() || port == 0 {
            self.shared().record_declaration_error(Error::invalid_argument(format!(
                "socket_text_stream needs a host and a port other than 0, got \"{host}\" and {port}"
            )));
        }
        if options.max_line_bytes == 0 {
            self.shared().record_declaration_error(Error::invalid_argument(
                "SocketOptions::max_line_bytes must be at least 1",
            ));
        }
        let limiter = RateLimiter::new(options.max_rate.map(f64::from));
        let max_buffered_bytes = options.max_buffered_bytes.max(1);
        let source = SocketSource {
            host: host.to_string(),
            port,
            options,
            shared: Arc::new(Receiver {
                received: Mutex::new(Buffer::default()),
                room: std::sync::Condvar::new(),
                limiter,
                max_buffered_bytes,
                stopped: AtomicBool::new(false),
                graceful: AtomicBool::new(false),
                connection: Mutex::new(None),
                report: Mutex::new(report),
                finished: AtomicBool::new(true),
            }),
        };
        input_stream(self.shared(), "socket_text_stream", source)
    }
}
