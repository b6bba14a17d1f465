//! Splitting a byte stream into text lines, as Spark's socket receiver does.
//!
//! `\n`, `\r\n` and a lone `\r` each end a line; bytes that are not UTF-8 become U+FFFD; a line
//! longer than the limit is dropped (and counted) instead of growing memory without bound. Each
//! line becomes a [`Text`], so that splitting it into words later copies nothing.

use crate::text::Text;

/// Incremental line splitter: feed it bytes as they arrive.
pub(crate) struct LineSplitter {
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` at the start of the next one belongs to it.
    after_cr: bool,
    /// The current line passed the limit: skip to its end.
    overflowing: bool,
    max_line_bytes: usize,
    /// Lines dropped for being too long.
    pub(crate) oversized: u64,
    /// Lines that held bytes that are not UTF-8.
    pub(crate) invalid_utf8: u64,
}

impl LineSplitter {
    pub(crate) fn new(max_line_bytes: usize) -> Self {
        LineSplitter {
            line: Vec::new(),
            after_cr: false,
            overflowing: false,
            max_line_bytes,
            oversized: 0,
            invalid_utf8: 0,
        }
    }

    /// Splits `bytes`, appending each complete line to `out`.
    pub(crate) fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<Text>) {
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while let Some(end) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.push_bytes(&bytes[..end]);
            self.end_line(out);
            let is_cr = bytes[end] == b'\r';
            bytes = &bytes[end + 1..];
            if is_cr {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.push_bytes(bytes);
    }

    /// The peer closed: a last line without terminator is still a line.
    pub(crate) fn finish(&mut self, out: &mut Vec<Text>) {
        if !self.line.is_empty() || self.overflowing {
            self.end_line(out);
        }
        self.after_cr = false;
    }

    /// The connection broke: drops the line being read (a fragment is not a line); returns how
    /// many of its bytes were dropped.
    pub(crate) fn discard(&mut self) -> usize {
        let dropped = self.line.len();
        self.line.clear();
        self.overflowing = false;
        self.after_cr = false;
        dropped
    }

    fn push_bytes(&mut self, bytes: &[u8]) {
        if self.overflowing {
            return;
        }
        if self.line.len() + bytes.len() > self.max_line_bytes {
            self.overflowing = true;
            self.line = Vec::new(); // give the memory back
        } else {
            self.line.extend_from_slice(bytes);
        }
    }

    fn end_line(&mut self, out: &mut Vec<Text>) {
        if self.overflowing {
            self.overflowing = false;
            self.oversized += 1;
            return;
        }
        out.push(match std::str::from_utf8(&self.line) {
            Ok(line) => Text::new(line),
            Err(_) => {
                self.invalid_utf8 += 1;
                Text::from(String::from_utf8_lossy(&self.line).into_owned())
            }
        });
        self.line.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_in_chunks(data: &[u8], chunk: usize) -> Vec<Text> {
        let mut splitter = LineSplitter::new(64);
        let mut out = Vec::new();
        for piece in data.chunks(chunk) {
            splitter.feed(piece, &mut out);
        }
        splitter.finish(&mut out);
        out
    }

    /// The payload of `../shared/spark/socket_semantics_output.txt`, and what Spark received.
    #[test]
    fn matches_spark_socket_semantics_whatever_the_chunking() {
        let payload = b"crlf line\r\ncr only\rafter cr\n\n  two  spaces  \ntab\there\n\xc3\xa9t\xc3\xa9 caf\xc3\xa9 \xf0\x9f\x9a\x80\nlatin1 caf\xe9 bad \xff byte\n\xef\xbb\xbfbom-prefixed\nnul\x00inside\nlast line without newline";
        let want = [
            "crlf line",
            "cr only",
            "after cr",
            "",
            "  two  spaces  ",
            "tab\there",
            "été café 🚀",
            "latin1 caf\u{fffd} bad \u{fffd} byte",
            "\u{feff}bom-prefixed",
            "nul\0inside",
            "last line without newline",
        ];
        for chunk in [1, 2, 3, 7, 1000] {
            assert_eq!(split_in_chunks(payload, chunk), want, "chunks of {chunk} bytes");
        }
    }

    #[test]
    fn overlong_lines_are_dropped_and_counted() {
        let mut splitter = LineSplitter::new(4);
        let mut out = Vec::new();
        splitter.feed(b"ok\ntoo long\nfine\nxxxxxxx", &mut out);
        splitter.finish(&mut out);
        assert_eq!(out, vec!["ok", "fine"]);
        assert_eq!(splitter.oversized, 2);
    }
}
