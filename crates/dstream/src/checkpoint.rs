//! Checkpoints: after its batches, a context with a checkpoint directory writes what it needs to
//! resume — the last completed batch, where replayable sources stand, and the data of windows and
//! states — so that [`StreamingContext::get_or_create`] can continue after a crash.
//!
//! Each checkpoint is one file, `checkpoint-<batch time in ms>`, written under a hidden name,
//! flushed to disk, then renamed: a reader sees a whole file or none. It ends with a checksum, so
//! a truncated or damaged file is detected and never used. The two newest are kept: if the newest
//! is damaged, recovery falls back to the one before.

use crate::context::StreamingContext;
use crate::error::{Error, ErrorKind, Result};
use crate::persist::Persist;
use crate::time::Time;
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"DSTREAM-CHECKPOINT 1\n";
const PREFIX: &str = "checkpoint-";
const KEEP: usize = 2;
/// Left in a directory once checkpoints are written to it: a directory that has it but no
/// checkpoint lost them (deleted by hand).
const MARKER: &str = ".dstream-checkpoints";

/// What a checkpoint holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    /// The last batch whose outputs completed.
    pub(crate) time: Time,
    /// The graph's zero time, so windows keep sliding on the same boundaries.
    pub(crate) zero: Time,
    /// Each source's position, by declaration order, with its name.
    pub(crate) inputs: Vec<(String, Vec<u8>)>,
    /// Each window's or state's data, by declaration order, with its name.
    pub(crate) stateful: Vec<(String, Vec<u8>)>,
}

fn corrupt(message: String) -> Error {
    Error::new(ErrorKind::Checkpoint, message)
}

/// FNV-1a, 64 bits: enough to detect truncation and damage (not tampering).
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

impl Snapshot {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        self.time.as_millis().write(&mut out);
        self.zero.as_millis().write(&mut out);
        self.inputs.write(&mut out);
        self.stateful.write(&mut out);
        let sum = checksum(&out);
        sum.write(&mut out);
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Snapshot> {
        if !bytes.starts_with(MAGIC) {
            return Err(corrupt("it is not a dstream checkpoint (wrong header)".into()));
        }
        if bytes.len() < MAGIC.len() + 8 {
            return Err(corrupt("it is truncated".into()));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        if checksum(body) != u64::from_le_bytes(sum.try_into().expect("8 bytes")) {
            return Err(corrupt("its checksum does not match (truncated or damaged)".into()));
        }
        let mut input = &body[MAGIC.len()..];
        let snapshot = Snapshot {
            time: Time::from_millis(i64::read(&mut input)?),
            zero: Time::from_millis(i64::read(&mut input)?),
            inputs: Vec::read(&mut input)?,
            stateful: Vec::read(&mut input)?,
        };
        if !input.is_empty() {
            return Err(corrupt("it has trailing bytes".into()));
        }
        Ok(snapshot)
    }
}

/// Writes `snapshot` into `dir` atomically and durably, then removes older checkpoints.
pub(crate) fn write(dir: &Path, snapshot: &Snapshot) -> Result<()> {
    use std::io::Write;
    let fail =
        |what: &str, path: &Path, e| Error::io(format!("cannot {what} the checkpoint {}", path.display()), e);
    let name = format!("{PREFIX}{:013}", snapshot.time.as_millis());
    crate::fs::create_dirs(dir, "checkpoint directory")?;
    let staging = dir.join(format!(".{name}.tmp"));
    let target = dir.join(&name);
    let mut file = std::fs::File::create(&staging).map_err(|e| fail("create", &staging, e))?;
    file.write_all(&snapshot.encode()).map_err(|e| fail("write", &staging, e))?;
    file.sync_all().map_err(|e| fail("flush", &staging, e))?;
    drop(file);
    std::fs::rename(&staging, &target).map_err(|e| fail("publish", &target, e))?;
    crate::fs::sync_dir(dir); // make the rename itself durable
    let marker = dir.join(MARKER);
    if !marker.exists() {
        let _ = std::fs::write(&marker, "dstream checkpoints are written in this folder\n");
    }
    for (_, old) in list(dir)?.into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(old);
    }
    Ok(())
}

/// A running context's claim on its checkpoint directory: the file `.lock` holding the owner's
/// process id, created when the context starts and removed when it stops. Two streams writing
/// the same checkpoints would overwrite each other's files, and a recovery would silently take
/// the other's state; the second one is refused instead. A lock left by a process that no longer
/// runs (a crash) is taken over.
pub(crate) struct DirLock {
    path: PathBuf,
    owner: String,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock> {
        use std::io::Write;
        let path = dir.join(".lock");
        let pid = std::process::id();
        let owner = format!(
            "{pid} {}\n",
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos()
        );
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    file.write_all(owner.as_bytes())
                        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
                    return Ok(DirLock { path, owner });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held = std::fs::read_to_string(&path).unwrap_or_default();
                    let holder: Option<u32> = held.split_whitespace().next().and_then(|p| p.parse().ok());
                    let alive = holder.is_some_and(|p| p == pid || Path::new(&format!("/proc/{p}")).exists());
                    if !alive {
                        let _ = std::fs::remove_file(&path); // left by a process that is gone
                        continue;
                    }
                    let who = match holder {
                        Some(p) if p == pid => "another StreamingContext of this program".to_string(),
                        Some(p) => format!("another running program (process {p})"),
                        None => "another program".to_string(),
                    };
                    return Err(Error::new(
                        ErrorKind::Checkpoint,
                        format!(
                            "the checkpoint directory {} is in use by {who}: two streams writing the \
                             same checkpoints would overwrite each other's. Stop the other one \
                             first, or give this stream a directory of its own. (If no such stream \
                             runs, delete {}.)",
                            dir.display(),
                            path.display()
                        ),
                    ));
                }
                Err(e) => return Err(Error::io(format!("cannot create {}", path.display()), e)),
            }
        }
        Err(Error::new(
            ErrorKind::Checkpoint,
            format!("cannot take {}: it keeps reappearing", path.display()),
        ))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Only ours: a lock taken over after we were thought gone belongs to someone else.
        if std::fs::read_to_string(&self.path).is_ok_and(|held| held == self.owner) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The checkpoint files of `dir`, newest first.
fn list(dir: &Path) -> Result<Vec<(i64, PathBuf)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::io(format!("cannot read the checkpoint directory {}", dir.display()), e));
        }
    };
    let mut found: Vec<(i64, PathBuf)> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let time = entry.file_name().to_str()?.strip_prefix(PREFIX)?.parse().ok()?;
            Some((time, entry.path()))
        })
        .collect();
    found.sort_by_key(|(time, _)| std::cmp::Reverse(*time));
    Ok(found)
}

/// The newest valid checkpoint of `dir` (`None` if there is none), and what was wrong with the
/// newer ones that were skipped.
pub(crate) fn read_latest(dir: &Path) -> Result<Option<(Snapshot, Vec<String>)>> {
    let found = list(dir)?;
    let mut problems = Vec::new();
    for (_, path) in &found {
        let outcome = std::fs::read(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))
            .and_then(|bytes| Snapshot::decode(&bytes));
        match outcome {
            Ok(snapshot) => return Ok(Some((snapshot, problems))),
            Err(err) => problems.push(format!("{}: {}", path.display(), err)),
        }
    }
    if problems.is_empty() {
        Ok(None)
    } else {
        Err(corrupt(format!(
            "no usable checkpoint in {}: {}. Delete the directory to start afresh (the state \
             will be lost), or put back a good copy.",
            dir.display(),
            problems.join("; ")
        )))
    }
}

impl StreamingContext {
    /// Recovers a context from the checkpoint in `dir`, or creates a new one (Spark's
    /// `StreamingContext.getOrCreate`).
    ///
    /// `setup` declares the whole pipeline — sources, transformations, outputs — on a new context
    /// and returns it, without starting it. It is called in both cases: Rust closures cannot be
    /// saved to disk, so after a crash the pipeline is declared again by the same code, then the
    /// checkpoint's data (window contents, states, positions of replayable sources) is put back
    /// into it. `setup` must therefore declare the same sources, windows and states, in the same
    /// order, as the run that wrote the checkpoint; if it does not, this returns an error naming
    /// the difference.
    ///
    /// A recovered context resumes with the batch after the last checkpointed one
    /// ([`resumed_from`](StreamingContext::resumed_from)); with the system clock, batches missed
    /// while the program was down are run at once, as in Spark. The checkpoint directory is set to
    /// `dir`.
    ///
    /// # Errors
    ///
    /// If the checkpoints in `dir` are all damaged (a damaged newest one falls back to the one
    /// before), if `setup` fails, or if the pipeline does not match the checkpoint.
    ///
    /// # Examples
    ///
    /// ```
    /// use dstream::{Clock, Duration, ManualClock, PairDStreamExt, Stop, StreamingContext, Time};
    ///
    /// let dir = std::env::temp_dir().join(format!("dstream-doc-recover-{}", std::process::id()));
    /// let clock = ManualClock::new(Time::from_millis(0));
    /// let setup = || {
    ///     let ssc = StreamingContext::with_clock(Duration::from_secs(1), Clock::Manual(clock.clone()))?;
    ///     let totals = ssc
    ///         .queue_stream(vec![vec![("a", 1i64)], vec![("a", 2)], vec![("a", 3)]], true, None)
    ///         .update_state_by_key(|new: Vec<i64>, total: Option<i64>| Some(total.unwrap_or(0) + new.iter().sum::<i64>()));
    ///     totals.foreach_rdd(|_| {});
    ///     Ok(ssc)
    /// };
    ///
    /// // A first run processes two batches, then stops (it could as well have crashed).
    /// let ssc = StreamingContext::get_or_create(&dir, setup)?;
    /// assert_eq!(ssc.resumed_from(), None);
    /// ssc.start()?;
    /// clock.set(Time::from_millis(2000));
    /// while ssc.batch_history().len() < 2 { std::thread::yield_now(); }
    /// ssc.stop(Stop::Now)?;
    ///
    /// // A second run resumes after batch 2000 with the state {"a": 3}.
    /// let ssc = StreamingContext::get_or_create(&dir, setup)?;
    /// assert_eq!(ssc.resumed_from(), Some(Time::from_millis(2000)));
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), dstream::Error>(())
    /// ```
    pub fn get_or_create(
        dir: impl AsRef<Path>,
        setup: impl FnOnce() -> Result<StreamingContext>,
    ) -> Result<StreamingContext> {
        let dir = dir.as_ref();
        let found = read_latest(dir)?;
        let ssc = setup()?;
        ssc.checkpoint(dir)?;
        if let Some((snapshot, skipped)) = found {
            if !skipped.is_empty() {
                eprintln!(
                    "dstream: recovering from the checkpoint of batch {} ms; newer checkpoints were \
                     unusable and ignored: {}",
                    snapshot.time.as_millis(),
                    skipped.join("; ")
                );
            }
            crate::scheduler::restore(ssc.shared(), dir, snapshot)?;
        } else if dir.join(MARKER).exists() {
            eprintln!(
                "dstream: {} held checkpoints of an earlier run, and holds none now (deleted?): \
                 starting afresh, with empty windows and states.",
                dir.display()
            );
        }
        Ok(ssc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(time: i64) -> Snapshot {
        Snapshot {
            time: Time::from_millis(time),
            zero: Time::from_millis(0),
            inputs: vec![("queue_stream".into(), vec![1, 2, 3])],
            stateful: vec![("update_state_by_key".into(), vec![9; 40])],
        }
    }

    #[test]
    fn round_trip_and_every_truncation_or_flip_is_detected() {
        let bytes = snapshot(5000).encode();
        assert_eq!(Snapshot::decode(&bytes).unwrap(), snapshot(5000));
        for cut in 0..bytes.len() {
            assert!(Snapshot::decode(&bytes[..cut]).is_err(), "truncated at {cut}");
        }
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x10;
            assert!(Snapshot::decode(&damaged).is_err(), "flipped byte {i}");
        }
    }

    #[test]
    fn keeps_two_and_falls_back_when_the_newest_is_damaged() {
        let dir = std::env::temp_dir().join(format!("dstream-ckpt-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for t in [1000, 2000, 3000] {
            write(&dir, &snapshot(t)).unwrap();
        }
        assert_eq!(list(&dir).unwrap().len(), 2);
        let newest = list(&dir).unwrap()[0].1.clone();
        let bytes = std::fs::read(&newest).unwrap();
        std::fs::write(&newest, &bytes[..bytes.len() / 2]).unwrap();
        let (found, skipped) = read_latest(&dir).unwrap().unwrap();
        assert_eq!(found.time, Time::from_millis(2000));
        assert_eq!(skipped.len(), 1);
        std::fs::write(list(&dir).unwrap()[1].1.clone(), b"garbage").unwrap();
        let err = read_latest(&dir).unwrap_err();
        assert!(err.to_string().contains("no usable checkpoint"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
