//! Writing a batch as a directory of text files, atomically, in Spark's layout.

use crate::error::{Error, Result};
use crate::text::Text;
use crate::time::Time;
use std::any::Any;
use std::fmt::Debug;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// `<prefix>-<batch ms>.<suffix>`, or `<prefix>-<batch ms>` when `suffix` is empty (Spark's rule).
pub(crate) fn batch_dir_name(prefix: &str, suffix: &str, time: Time) -> PathBuf {
    if suffix.is_empty() {
        PathBuf::from(format!("{prefix}-{}", time.as_millis()))
    } else {
        PathBuf::from(format!("{prefix}-{}.{suffix}", time.as_millis()))
    }
}

/// Writes `parts` under `dir` (one `part-NNNNN` per partition, then `_SUCCESS`) into a hidden
/// sibling directory, syncs it to disk, then renames it into place, so that `dir` appears complete
/// or not at all, and stays complete after a power cut.
pub(crate) fn write_text_dir<T: Debug + 'static>(dir: &Path, parts: &[Vec<T>]) -> Result<()> {
    let name = dir
        .file_name()
        .ok_or_else(|| {
            Error::invalid_argument(format!("cannot save to {}: it has no file name", dir.display()))
        })?
        .to_string_lossy()
        .into_owned();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    crate::fs::create_dirs(&parent, "directory")?;
    let unique = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos()
    );
    let staging = parent.join(format!(".{name}.tmp-{unique}"));
    let result = write_parts(&staging, parts).and_then(|()| publish(&staging, dir, &parent, &name, &unique));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn write_parts<T: Debug + 'static>(staging: &Path, parts: &[Vec<T>]) -> Result<()> {
    let fail = |what: &Path, e| Error::io(format!("cannot write {}", what.display()), e);
    std::fs::create_dir(staging).map_err(|e| fail(staging, e))?;
    for (i, part) in parts.iter().enumerate() {
        let path = staging.join(format!("part-{i:05}"));
        let file = std::fs::File::create(&path).map_err(|e| fail(&path, e))?;
        let mut out = BufWriter::new(file);
        for record in part {
            write_record(&mut out, record).map_err(|e| fail(&path, e))?;
        }
        let file = out.into_inner().map_err(|e| fail(&path, e.into_error()))?;
        // On disk before the directory is published: after a power cut, a batch marked
        // `_SUCCESS` holds its records (checkpoints do the same).
        file.sync_all().map_err(|e| fail(&path, e))?;
    }
    let success = staging.join("_SUCCESS");
    std::fs::File::create(&success).and_then(|f| f.sync_all()).map_err(|e| fail(&success, e))?;
    crate::fs::sync_dir(staging);
    Ok(())
}

/// Writes one record and a newline as Spark writes `str(record)`: a string as itself (no quotes,
/// no escapes: reading the line back gives the string), anything else in its `Debug` form, which
/// for tuples is the form `pprint` shows (`("spark", 4)`).
fn write_record<T: Debug + 'static>(out: &mut impl Write, record: &T) -> std::io::Result<()> {
    let any = record as &dyn Any;
    if let Some(s) = any.downcast_ref::<String>() {
        writeln!(out, "{s}")
    } else if let Some(s) = any.downcast_ref::<&'static str>() {
        writeln!(out, "{s}")
    } else if let Some(t) = any.downcast_ref::<Text>() {
        writeln!(out, "{t}")
    } else if let Some(c) = any.downcast_ref::<char>() {
        writeln!(out, "{c}")
    } else {
        writeln!(out, "{record:?}")
    }
}

/// Renames `staging` to `dir`, replacing an older `dir` (which is moved aside first).
fn publish(staging: &Path, dir: &Path, parent: &Path, name: &str, unique: &str) -> Result<()> {
    let old = parent.join(format!(".{name}.old-{unique}"));
    let replaced = dir.exists();
    if replaced {
        std::fs::rename(dir, &old).map_err(|e| Error::io(format!("cannot replace {}", dir.display()), e))?;
    }
    std::fs::rename(staging, dir).map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    crate::fs::sync_dir(parent);
    if replaced {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}
