//! `LineServer`: a TCP server on 127.0.0.1 that sends lines of text at a steady rate — the lab's
//! "socket server simulating a stream", and its question 3 (random lines read from a file).

use crate::error::{Error, Result};
use crate::sample::SplitMix64;
use crate::time::Duration;
use std::io::{ErrorKind, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// At most this many sent lines are kept for [`LineServer::sent_lines`].
const SENT_LOG_LIMIT: usize = 1 << 20;

/// Which line comes next.
#[derive(Clone, Debug)]
enum Order {
    /// The lines in turn, starting over at the end (the lab's server).
    Cycle,
    /// A line drawn at random each time (splitmix64, seeded: the same seed gives the same lines).
    Random { seed: u64 },
}

/// How to build a [`LineServer`]: what to send, how fast, how much, on which port.
///
/// # Examples
///
/// ```
/// use dstream::{LineServer, LineServerBuilder, millis};
///
/// // Kept in a variable (a notebook cell may set it up and start it in the next one).
/// let builder: LineServerBuilder = LineServer::cycle(["spark streaming", "big data"]).every(millis(10)).limit(2);
/// let server = builder.verbose(false).start()?;
/// assert!(server.port() > 0);
/// # Ok::<(), dstream::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a LineServerBuilder does nothing until .start() is called"]
pub struct LineServerBuilder {
    lines: Vec<String>,
    order: Order,
    pub(crate) every: Duration,
    pub(crate) limit: Option<u64>,
    port: u16,
    pub(crate) verbose: bool,
}

impl LineServerBuilder {
    /// Sends one line every `interval` (default: 2 s, as in the lab).
    ///
    /// ```
    /// use dstream::LineServer;
    /// use std::io::BufRead;
    /// let server = LineServer::cycle(["spark streaming", "big data"]).every(dstream::millis(10)).start()?;
    /// let mut reader = std::io::BufReader::new(std::net::TcpStream::connect(server.addr())?);
    /// let mut line = String::new();
    /// reader.read_line(&mut line)?;
    /// assert_eq!(line.trim_end(), "spark streaming"); // then a line every 10 ms
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn every(mut self, interval: impl Into<Duration>) -> Self {
        self.every = interval.into();
        self
    }

    /// Sends `n` lines per second.
    ///
    /// ```
    /// use dstream::LineServer;
    /// let server = LineServer::cycle(["spark"]).lines_per_second(100).start()?;
    /// assert_eq!(server.sent_count(), 0, "nothing is sent before a client connects");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lines_per_second(self, n: u32) -> Self {
        let every = Duration::from_millis((1000 / i64::from(n.max(1))).max(1));
        self.every(every)
    }

    /// Stops sending after `n` lines in all (the connection stays open).
    ///
    /// ```
    /// use dstream::LineServer;
    /// use std::io::BufRead;
    /// let server = LineServer::cycle(["a", "b"]).every(dstream::millis(1)).limit(3).start()?;
    /// let reader = std::io::BufReader::new(std::net::TcpStream::connect(server.addr())?);
    /// let lines: Vec<String> = reader.lines().take(3).collect::<Result<_, _>>()?;
    /// assert_eq!(lines, ["a", "b", "a"]);
    /// std::thread::sleep(std::time::Duration::from_millis(50));
    /// assert_eq!(server.sent_count(), 3, "no line after the third");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Listens on this port of 127.0.0.1 (default 0: any free port; read it with
    /// [`LineServer::port`]).
    ///
    /// ```
    /// use dstream::LineServer;
    /// let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let free = probe.local_addr()?.port();
    /// drop(probe);
    /// let server = LineServer::cycle(["spark"]).port(free).start()?;
    /// assert_eq!(server.port(), free);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Prints `[server HH:MM:SS] sent: <line>` for each line sent, as the lab's console shows.
    ///
    /// ```
    /// use dstream::LineServer;
    /// let server = LineServer::cycle(["spark"]).verbose(false).start()?;
    /// assert!(server.port() > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verbose(mut self, on: bool) -> Self {
        self.verbose = on;
        self
    }

    /// Binds 127.0.0.1 and starts serving in a background thread.
    ///
    /// One client is served at a time; when it disconnects, the next one is served, continuing
    /// where the previous one stopped.
    ///
    /// ```
    /// use dstream::LineServer;
    /// use std::io::BufRead;
    /// let server = LineServer::cycle(["spark streaming", "big data"]).every(dstream::millis(10)).start()?;
    /// let mut reader = std::io::BufReader::new(std::net::TcpStream::connect(server.addr())?);
    /// let mut line = String::new();
    /// reader.read_line(&mut line)?;
    /// assert!(server.port() > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(self) -> Result<LineServer> {
        self.validate()?;
        let listener = TcpListener::bind(("127.0.0.1", self.port)).map_err(|e| {
            Error::io(format!("cannot listen on 127.0.0.1:{} (is another server using it? try another port, or 0 for any free one)", self.port), e)
        })?;
        let addr = listener.local_addr().map_err(|e| Error::io("cannot read the server's address", e))?;
        listener.set_nonblocking(true).map_err(|e| Error::io("cannot configure the server socket", e))?;
        let shared = Arc::new(ServerShared {
            stopped: AtomicBool::new(false),
            sent: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            clients: AtomicU64::new(0),
        });
        let state = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("dstream-line-server-{}", addr.port()))
            .spawn(move || serve(listener, self, &state))
            .map_err(|e| Error::io("cannot start the server thread", e))?;
        Ok(LineServer { addr, shared })
    }
}

/// A TCP server on 127.0.0.1 sending lines of text at a steady rate, until stopped (or dropped).
///
/// # Examples
///
/// The lab's server: its three sentences in turn, one every 2 s (here every 5 ms).
///
/// ```
/// use dstream::{Duration, LineServer};
/// use std::io::{BufRead, BufReader};
///
/// let server = LineServer::cycle(["spark streaming dstream", "spark spark streaming", "big data spark"])
///     .every(Duration::from_millis(5))
///     .start()?;
/// let client = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
/// let lines: Vec<String> = BufReader::new(client).lines().take(4).map(Result::unwrap).collect();
/// assert_eq!(lines[0], "spark streaming dstream");
/// assert_eq!(lines[3], "spark streaming dstream");
/// server.stop();
/// # Ok::<(), dstream::Error>(())
/// ```
///
/// Question 3 of the lab, random lines of a file, reproducible with a seed:
///
/// ```
/// use dstream::LineServer;
/// let path = std::env::temp_dir().join(format!("dstream-doc-lines-{}.txt", std::process::id()));
/// std::fs::write(&path, "one\ntwo\nthree\n").unwrap();
/// let server = LineServer::random_from_file(&path, 42)?.lines_per_second(100).start()?;
/// assert!(server.port() > 0);
/// # std::fs::remove_file(path).ok();
/// # Ok::<(), dstream::Error>(())
/// ```
pub struct LineServer {
    addr: SocketAddr,
    shared: Arc<ServerShared>,
}

struct ServerShared {
    stopped: AtomicBool,
    sent: AtomicU64,
    log: Mutex<Vec<String>>,
    clients: AtomicU64,
}

impl LineServer {
    /// A server sending `lines` in turn, over and over.
    ///
    /// ```
    /// use dstream::LineServer;
    /// use std::io::BufRead;
    /// let server = LineServer::cycle(["spark streaming", "big data"]).every(dstream::millis(10)).start()?;
    /// let mut reader = std::io::BufReader::new(std::net::TcpStream::connect(server.addr())?);
    /// let mut line = String::new();
    /// reader.read_line(&mut line)?;
    /// assert_eq!(line, "spark streaming\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cycle<S: Into<String>>(lines: impl IntoIterator<Item = S>) -> LineServerBuilder {
        LineServer::builder(lines.into_iter().map(Into::into).collect(), Order::Cycle)
    }

    /// A server sending lines drawn at random from `lines`; the same `seed` gives the same lines.
    ///
    /// ```
    /// use dstream::LineServer;
    /// use std::io::BufRead;
    /// let server = LineServer::random(["a", "b", "c"], 42).every(dstream::millis(1)).limit(20).start()?;
    /// let reader = std::io::BufReader::new(std::net::TcpStream::connect(server.addr())?);
    /// let lines: Vec<String> = reader.lines().take(20).collect::<Result<_, _>>()?;
    /// assert_eq!(lines.len(), 20);
    /// assert!(lines.iter().all(|l| ["a", "b", "c"].contains(&l.as_str())));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn random<S: Into<String>>(lines: impl IntoIterator<Item = S>, seed: u64) -> LineServerBuilder {
        LineServer::builder(lines.into_iter().map(Into::into).collect(), Order::Random { seed })
    }

    /// A server sending lines drawn at random from the file at `path` (empty lines skipped).
    ///
    /// ```
    /// use dstream::{LineServer, testing::TempDir};
    /// let dir = TempDir::new()?;
    /// std::fs::write(dir.path().join("phrases.txt"), "spark streaming\n\nbig data\n")?;
    /// let server = LineServer::random_from_file(dir.path().join("phrases.txt"), 7)?.start()?;
    /// assert!(LineServer::random_from_file(dir.path().join("missing.txt"), 7).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn random_from_file(path: impl AsRef<Path>, seed: u64) -> Result<LineServerBuilder> {
        let path = path.as_ref();
        let text =
            std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        let text = String::from_utf8_lossy(&text);
        let lines: Vec<String> = text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect();
        if lines.is_empty() {
            return Err(Error::invalid_argument(format!("{} has no non-empty line to send", path.display())));
        }
        Ok(LineServer::random(lines, seed))
    }

    fn builder(lines: Vec<String>, order: Order) -> LineServerBuilder {
        LineServerBuilder {
            lines,
            order,
            every: Duration::from_secs(2),
            limit: None,
            port: 0,
            verbose: false,
        }
    }

    /// The port it listens on.
    ///
    /// ```
    /// use dstream::LineServer;
    /// use std::io::BufRead;
    /// let server = LineServer::cycle(["spark streaming", "big data"]).every(dstream::millis(10)).start()?;
    /// let mut reader = std::io::BufReader::new(std::net::TcpStream::connect(server.addr())?);
    /// let mut line = String::new();
    /// reader.read_line(&mut line)?;
    /// assert_eq!(server.port(), server.addr().port());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The address it listens on (127.0.0.1 and the port).
    ///
    /// ```
    /// use dstream::LineServer;
    /// use std::io::BufRead;
    /// let server = LineServer::cycle(["spark streaming", "big data"]).every(dstream::millis(10)).start()?;
    /// let mut reader = std::io::BufReader::new(std::net::TcpStream::connect(server.addr())?);
    /// let mut line = String::new();
    /// reader.read_line(&mut line)?;
    /// assert_eq!(server.addr().ip().to_string(), "127.0.0.1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many lines it has sent. A line counts once it is written to the socket: a client may
    /// read it a moment before.
    ///
    /// ```
    /// use dstream::LineServer;
    /// use std::io::BufRead;
    /// let server = LineServer::cycle(["spark streaming", "big data"]).every(dstream::millis(10)).start()?;
    /// let mut reader = std::io::BufReader::new(std::net::TcpStream::connect(server.addr())?);
    /// let mut line = String::new();
    /// reader.read_line(&mut line)?;
    /// for _ in 0..1000 {
    ///     if server.sent_count() >= 1 {
    ///         break;
    ///     }
    ///     std::thread::sleep(std::time::Duration::from_millis(1));
    /// }
    /// assert!(server.sent_count() >= 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sent_count(&self) -> u64 {
        self.shared.sent.load(Ordering::Acquire)
    }

    /// The lines it has sent, in order (the first million); like [`sent_count`](Self::sent_count),
    /// a line is there once written to the socket.
    ///
    /// ```
    /// use dstream::LineServer;
    /// use std::io::BufRead;
    /// let server = LineServer::cycle(["spark streaming", "big data"]).every(dstream::millis(10)).start()?;
    /// let mut reader = std::io::BufReader::new(std::net::TcpStream::connect(server.addr())?);
    /// let mut line = String::new();
    /// reader.read_line(&mut line)?;
    /// for _ in 0..1000 {
    ///     if !server.sent_lines().is_empty() {
    ///         break;
    ///     }
    ///     std::thread::sleep(std::time::Duration::from_millis(1));
    /// }
    /// assert_eq!(server.sent_lines()[0], "spark streaming");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sent_lines(&self) -> Vec<String> {
        self.shared.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many clients have connected so far.
    ///
    /// ```
    /// use dstream::LineServer;
    /// use std::io::BufRead;
    /// let server = LineServer::cycle(["spark streaming", "big data"]).every(dstream::millis(10)).start()?;
    /// let mut reader = std::io::BufReader::new(std::net::TcpStream::connect(server.addr())?);
    /// let mut line = String::new();
    /// reader.read_line(&mut line)?;
    /// assert_eq!(server.clients(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clients(&self) -> u64 {
        self.shared.clients.load(Ordering::Acquire)
    }

    /// Stops serving and closes the connection.
    ///
    /// ```
    /// use dstream::LineServer;
    /// use std::io::BufRead;
    /// let server = LineServer::cycle(["spark streaming", "big data"]).every(dstream::millis(10)).start()?;
    /// let mut reader = std::io::BufReader::new(std::net::TcpStream::connect(server.addr())?);
    /// let mut line = String::new();
    /// reader.read_line(&mut line)?;
    /// server.stop();
    /// let mut rest = String::new();
    /// while reader.read_line(&mut rest)? > 0 { rest.clear(); } // the connection ends
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop(&self) {
        self.shared.stopped.store(true, Ordering::Release);
    }
}

impl Drop for LineServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for LineServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineServer").field("addr", &self.addr).field("sent", &self.sent_count()).finish()
    }
}

/// The splitmix64 generator (also used by the benchmark corpus).
impl LineServerBuilder {
    /// The lines to send, one per call, in the builder's order.
    pub(crate) fn line_picker(&self) -> impl FnMut() -> String + Send + 'static {
        let mut rng = SplitMix64::new(match self.order {
            Order::Random { seed } => seed,
            Order::Cycle => 0,
        });
        let mut position = 0usize;
        let (lines, order) = (self.lines.clone(), self.order.clone());
        move || {
            let i = match order {
                Order::Cycle => {
                    let i = position % lines.len();
                    position += 1;
                    i
                }
                Order::Random { .. } => (rng.next_u64() % lines.len() as u64) as usize,
            };
            lines[i].clone()
        }
    }

    /// Checks what `start` needs, whatever the destination.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.lines.is_empty() {
            return Err(Error::invalid_argument("a LineServer needs at least one line to send"));
        }
        if self.every <= Duration::ZERO {
            return Err(Error::invalid_argument(format!(
                "the interval between lines must be positive, got {}",
                self.every
            )));
        }
        Ok(())
    }
}

fn serve(listener: TcpListener, config: LineServerBuilder, shared: &ServerShared) {
    let mut next_line = config.line_picker();
    let stopped = || shared.stopped.load(Ordering::Acquire);
    // A line that could not be sent to a client that left goes to the next client.
    let mut pending: Option<String> = None;
    while !stopped() {
        let client = match listener.accept() {
            Ok((client, _)) => client,
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            }
            Err(_) => {
                std::thread::sleep(std::time::Duration::from_millis(100));
                continue;
            }
        };
        shared.clients.fetch_add(1, Ordering::AcqRel);
        let _ = client.set_nonblocking(false);
        send_to(client, &mut next_line, &mut pending, &config, shared);
    }
}

/// Sends lines to one client until it leaves, the limit is reached and we are stopped, or we are
/// stopped.
fn send_to(
    mut client: TcpStream,
    next_line: &mut impl FnMut() -> String,
    pending: &mut Option<String>,
    config: &LineServerBuilder,
    shared: &ServerShared,
) {
    let _ = client.set_nodelay(true);
    let mut due = std::time::Instant::now();
    loop {
        if shared.stopped.load(Ordering::Acquire) {
            return;
        }
        let now = std::time::Instant::now();
        if now < due {
            std::thread::sleep((due - now).min(std::time::Duration::from_millis(20)));
            continue;
        }
        if config.limit.is_some_and(|limit| shared.sent.load(Ordering::Acquire) >= limit) {
            due = now + std::time::Duration::from_millis(20);
            continue;
        }
        let line = pending.take().unwrap_or_else(&mut *next_line);
        if client.write_all(format!("{line}\n").as_bytes()).is_err() {
            *pending = Some(line);
            return;
        }
        shared.sent.fetch_add(1, Ordering::AcqRel);
        if config.verbose {
            println!("[server {}] sent: {line}", crate::local_time::clock_now());
        }
        let mut log = shared.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() < SENT_LOG_LIMIT {
            log.push(line);
        }
        drop(log);
        due += config.every.to_std();
    }
}
