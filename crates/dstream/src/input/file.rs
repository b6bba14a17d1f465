//! `text_file_stream`: the lines of new files appearing in a directory (Spark's
//! `FileInputDStream`).

use super::lines::LineSplitter;
use super::socket::ReceiverReport;
use super::{Source, input_stream};
use crate::context::StreamingContext;
use crate::dstream::DStream;
use crate::persist::Persist;
use crate::text::Text;
use crate::time::Time;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// How long a file's name is remembered after its modification time (Spark: one minute).
/// Files older than that are ignored, so the memory of seen files stays bounded.
const REMEMBER_MS: i64 = 60_000;

struct FileSource {
    dir: PathBuf,
    state: Mutex<FileState>,
}

struct FileState {
    /// Files modified at or before this time (ms since epoch) are ignored.
    ignore_threshold: i64,
    /// Files already read, with their modification time.
    seen: HashMap<PathBuf, i64>,
    /// The threshold of the run a checkpoint was taken in: files that appeared while the
    /// stream was down are read after a restart.
    restored_threshold: Option<i64>,
    /// Links that led nowhere, reported once each.
    broken_links: std::collections::HashSet<PathBuf>,
    report: ReceiverReport,
}

impl Source<Text> for FileSource {
    fn start(&self, _start_time: Time) -> crate::Result<()> {
        if !self.dir.is_dir() {
            return Err(crate::Error::invalid_argument(format!(
                "text_file_stream: {} is not a directory; create it before start()",
                self.dir.display()
            )));
        }
        // Only files that appear after start() count ("new files only", as in Spark). File times
        // are wall-clock times whatever the context's clock.
        let mut state = self.lock();
        state.ignore_threshold = state.restored_threshold.unwrap_or_else(wall_clock_ms);
        Ok(())
    }

    fn take_batch(&self, _time: Time) -> Vec<Text> {
        let mut state = self.lock();
        let new_files = match new_files(&self.dir, &state) {
            Ok((files, broken)) => {
                for link in broken {
                    if state.broken_links.insert(link.clone()) {
                        state.report.errors += 1;
                        state.report.last_error = Some(format!(
                            "{} is a link to a file that does not exist: skipped",
                            link.display()
                        ));
                    }
                }
                files
            }
            Err(e) => {
                state.report.errors += 1;
                state.report.last_error = Some(format!("cannot list {}: {e}", self.dir.display()));
                return Vec::new();
            }
        };
        let mut lines = Vec::new();
        for (mtime, path) in new_files {
            match read_lines(&path, &mut lines) {
                Ok(splitter) => {
                    state.report.invalid_utf8_lines += splitter.invalid_utf8;
                    state.report.oversized_lines_dropped += splitter.oversized;
                    state.report.connections += 1;
                    state.seen.insert(path, mtime);
                }
                Err(e) => {
                    // Not marked as seen: it is tried again at the next batch.
                    state.report.errors += 1;
                    state.report.last_error = Some(format!("cannot read {}: {e}", path.display()));
                }
            }
        }
        state.report.lines += lines.len() as u64;
        // Forget files too old to be picked again, and raise the threshold to match.
        let horizon = wall_clock_ms() - REMEMBER_MS;
        state.ignore_threshold = state.ignore_threshold.max(horizon);
        let threshold = state.ignore_threshold;
        state.seen.retain(|_, mtime| *mtime > threshold);
        lines
    }

    fn report(&self) -> Option<ReceiverReport> {
        Some(self.lock().report.clone())
    }

    fn save(&self, out: &mut Vec<u8>) {
        let state = self.lock();
        state.ignore_threshold.write(out);
        let seen: Vec<(String, i64)> =
            state.seen.iter().map(|(path, mtime)| (path.to_string_lossy().into_owned(), *mtime)).collect();
        seen.write(out);
    }

    /// Files read before the checkpoint are not read again.
    fn restore(&self, input: &mut &[u8]) -> crate::Result<()> {
        let threshold = i64::read(input)?;
        let seen = Vec::<(String, i64)>::read(input)?;
        let mut state = self.lock();
        state.restored_threshold = Some(threshold);
        state.seen = seen.into_iter().map(|(path, mtime)| (PathBuf::from(path), mtime)).collect();
        Ok(())
    }
}

/// Appends the lines of the file at `path` to `lines`, read in blocks: a line longer than the
/// socket's limit ([`SocketOptions::max_line_bytes`](crate::SocketOptions::max_line_bytes), 1 MiB)
/// is dropped and counted, so a huge file without newlines cannot become one huge record.
fn read_lines(path: &Path, lines: &mut Vec<Text>) -> std::io::Result<LineSplitter> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut splitter = LineSplitter::new(crate::SocketOptions::default().max_line_bytes);
    let mut buf = vec![0u8; 64 * 1024];
    let start = lines.len();
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => splitter.feed(&buf[..n], lines),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                lines.truncate(start); // not half a file: it is read again at the next batch
                return Err(e);
            }
        }
    }
    splitter.finish(lines);
    Ok(splitter)
}

impl FileSource {
    fn lock(&self) -> std::sync::MutexGuard<'_, FileState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A file to read: its modification time (ms since the epoch) and its path.
type NewFile = (i64, PathBuf);

/// Files of `dir` not seen yet, modified after the threshold, oldest first, and the links that
/// lead nowhere; names starting with `.` are skipped (write a file under such a name, then
/// rename it, to publish it whole).
fn new_files(dir: &Path, state: &FileState) -> std::io::Result<(Vec<NewFile>, Vec<PathBuf>)> {
    let (mut found, mut broken) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        // Links are followed: a link to a file is read like the file.
        let meta = match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => meta,
            Ok(_) => continue,
            Err(_) => {
                broken.push(path); // a link that leads nowhere
                continue;
            }
        };
        let mtime = meta.modified().map(ms_since_epoch).unwrap_or(0);
        if mtime > state.ignore_threshold && !state.seen.contains_key(&path) {
            found.push((mtime, path));
        }
    }
    found.sort();
    Ok((found, broken))
}

fn ms_since_epoch(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn wall_clock_ms() -> i64 {
    ms_since_epoch(SystemTime::now())
}

impl StreamingContext {
    /// A stream of the lines of the files that appear in `dir` (Spark's `textFileStream`).
    ///
    /// At each batch, files modified since the context started and not read before are read
    /// whole, oldest first; each of their lines is a record. Names starting with `.` are ignored:
    /// write a file as `.name` and rename it when complete, so no half-written file is read.
    /// Links are followed (a link to nowhere is reported in the receiver report). A
    /// line longer than 1 MiB (the socket's [`max_line_bytes`](crate::SocketOptions::max_line_bytes))
    /// is dropped and counted in [`receiver_reports`](StreamingContext::receiver_reports). The
    /// time spent reading is part of the batch's
    /// [`scheduling_delay`](crate::BatchInfo::scheduling_delay).
    ///
    /// # Examples
    ///
    /// ```
    /// use dstream::{Duration, Stop, StreamingContext};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let dir = std::env::temp_dir().join(format!("dstream-doc-files-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let ssc = StreamingContext::new(Duration::from_millis(100))?;
    /// let got = Arc::new(Mutex::new(Vec::new()));
    /// let sink = got.clone();
    /// ssc.text_file_stream(&dir).foreach_rdd(move |rdd| sink.lock().unwrap().extend(rdd.collect()));
    /// ssc.start()?;
    /// std::thread::sleep(std::time::Duration::from_millis(20));
    /// std::fs::write(dir.join(".part"), "one\ntwo\n").unwrap();
    /// std::fs::rename(dir.join(".part"), dir.join("batch-1.txt")).unwrap();
    /// while got.lock().unwrap().len() < 2 {
    ///     std::thread::sleep(std::time::Duration::from_millis(10));
    /// }
    /// ssc.stop(Stop::Now)?;
    /// assert_eq!(*got.lock().unwrap(), vec!["one", "two"]);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn text_file_stream(&self, dir: impl AsRef<Path>) -> DStream<Text> {
        let dir = dir.as_ref().to_path_buf();
        let report =
            ReceiverReport { stream: format!("text_file_stream({})", dir.display()), ..Default::default() };
        let source = FileSource {
            dir,
            state: Mutex::new(FileState {
                ignore_threshold: i64::MAX,
                seen: HashMap::new(),
                restored_threshold: None,
                broken_links: Default::default(),
                report,
            }),
        };
        input_stream(self.shared(), "text_file_stream", source)
    }
}
