//! The text `pprint` prints for one batch, in Spark's layout.

use std::fmt::{Debug, Write};

const RULE: &str = "-------------------------------------------";

/// Spark's `pprint` block: rule, `Time: <time>`, rule, at most `n` records (`Debug` form), `...`
/// if there were more, and an empty line.
pub(crate) fn format_batch<'a, T: Debug + 'a>(
    time: &str,
    records: impl Iterator<Item = &'a T>,
    n: usize,
) -> String {
    let mut out = format!("{RULE}\nTime: {time}\n{RULE}\n");
    let mut records = records.peekable();
    for record in records.by_ref().take(n) {
        let _ = writeln!(out, "{record:?}");
    }
    if records.peek().is_some() {
        out.push_str("...\n");
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_with_more_records_than_shown() {
        let text = format_batch("2026-11-25 09:39:20", [("a", 1), ("b", 2), ("c", 3)].iter(), 2);
        assert_eq!(
            text,
            format!("{RULE}\nTime: 2026-11-25 09:39:20\n{RULE}\n(\"a\", 1)\n(\"b\", 2)\n...\n\n")
        );
    }

    #[test]
    fn empty_batch_prints_the_header_only() {
        assert_eq!(format_batch("t", std::iter::empty::<&i32>(), 10), format!("{RULE}\nTime: t\n{RULE}\n\n"));
    }
}
