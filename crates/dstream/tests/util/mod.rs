//! Helpers shared by the integration tests.
#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;

/// `../shared/spark/` beside the repository (override with `DSTREAM_SPARK_DIR`).
pub fn spark_dir() -> PathBuf {
    let dir = std::env::var_os("DSTREAM_SPARK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spark"));
    assert!(
        dir.join("golden/input.json").is_file(),
        "Spark's golden files are missing at {}: clone the repository beside `shared/`, or set \
         DSTREAM_SPARK_DIR to the folder holding golden/",
        dir.display()
    );
    dir
}

pub fn golden_json(name: &str) -> Value {
    let path = spark_dir().join("golden").join(name);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// One golden pipeline: a JSON object per batch.
pub fn golden_lines(name: &str) -> Vec<Value> {
    let path = spark_dir().join("golden").join(format!("{name}.jsonl"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines().map(|l| serde_json::from_str(l).expect("a golden line is JSON")).collect()
}

/// The batches of `golden/input.json`, and how many batches Spark ran in all.
pub fn golden_input() -> (Vec<Vec<String>>, usize) {
    let input = golden_json("input.json");
    let batches: Vec<Vec<String>> = input["batches"]
        .as_array()
        .expect("batches")
        .iter()
        .map(|b| b.as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect())
        .collect();
    let meta = golden_json("meta.json");
    let total = meta["batches"].as_u64().expect("meta.batches") as usize;
    (batches, total)
}

/// Python's `repr` of a string, for comparing with what PySpark printed.
pub fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A `(word, count)` record as PySpark prints it: `('spark', 4)`.
pub fn py_pair(word: &str, count: i64) -> String {
    format!("({}, {count})", py_repr_str(word))
}

/// A unique scratch directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("dstream-test-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Polls `done` every 5 ms for at most `secs` seconds.
pub fn wait_for(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out after {secs} s waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// A real Kafka-protocol broker (Tansu) for the Kafka tests, on a free port of 127.0.0.1 with its
/// data in its own folder; killed on drop.
pub struct Broker {
    pub port: u16,
    pub dir: TempDir,
    child: Option<std::process::Child>,
}

impl Broker {
    pub fn start(name: &str) -> Broker {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut broker = Broker { port, dir: TempDir::new(name), child: None };
        broker.restart();
        broker
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the broker (again, on the same port and data) and waits until it listens.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the broker runs already");
        let url = format!("tcp://{}", self.address());
        let log = std::fs::File::create(self.dir.0.join("tansu.log")).unwrap();
        let child = std::process::Command::new(tansu_binary())
            .current_dir(&self.dir.0)
            .env("CLUSTER_ID", "dstream-tests")
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run Tansu ({e}); scripts/test installs it"));
        self.child = Some(child);
        let address = self.address();
        wait_for(30, "the broker to listen", || std::net::TcpStream::connect(&address).is_ok());
    }

    /// Kills the broker (its data stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Tansu: `$TANSU_BIN`, else `tansu` on the PATH, else `~/.cargo/bin/tansu`.
fn tansu_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("TANSU_BIN") {
        return PathBuf::from(bin);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("tansu"))
        .find(|p| p.is_file());
    on_path.unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        let bin = home.join(".cargo/bin/tansu");
        assert!(
            bin.is_file(),
            "the Kafka tests need Tansu, a Kafka-protocol broker: run scripts/test (it installs it), or \
             cargo install tansu --version 0.6.0 --locked --features dynostore,libsql"
        );
        bin
    })
}
