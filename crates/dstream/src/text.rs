//! `Text`: an immutable string, stored in place when short and shared when long, so that
//! splitting a line into words allocates nothing.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// An immutable UTF-8 string, cheap to clone: short texts are stored in place, long ones share
/// one buffer with their slices.
///
/// Text sources ([`socket_text_stream`](crate::StreamingContext::socket_text_stream),
/// [`text_file_stream`](crate::StreamingContext::text_file_stream)) deliver each line as a
/// `Text`. [`Text::split`] then cuts it into words without copying them, and returns an iterator
/// that owns what it needs, so the lab's line reads as in PySpark:
/// `lines.flat_map(|line| line.split(' '))`.
///
/// A `Text` behaves like a `&str`: it dereferences to `str` (so `w.len()`, `w.to_lowercase()`,
/// `w.starts_with("a")` work), compares, orders and hashes like its characters, prints like a
/// string (`Debug` gives `"spark"`), and converts to and from `String`.
///
/// # Examples
///
/// ```
/// use dstream::Text;
///
/// let line = Text::from("spark streaming  dstream");
/// let words: Vec<Text> = line.split(' ').collect();
/// assert_eq!(words, ["spark", "streaming", "", "dstream"]); // Python's split(" ")
/// assert_eq!(words[0].to_uppercase(), "SPARK");
/// assert_eq!(format!("{:?}", (words[0].clone(), 4)), r#"("spark", 4)"#);
/// let owned: String = words[1].to_string();
/// assert_eq!(owned, "streaming");
/// ```
#[derive(Clone)]
pub struct Text {
    repr: Repr,
}

/// Texts this short are stored in place: making, cloning and dropping them touches no shared
/// counter and allocates nothing. Most words are this short.
const INLINE: usize = 15;

/// A short text's bytes, stored in place: 16 bytes, 8-aligned, so that `Text` is 24 bytes
/// (the enum's tag lives in the shared buffer's non-null pointer) and two of them compare as
/// two words. In memory: the text's bytes, zeros, and the length in the last byte.
///
/// Two plain words rather than a byte array, so that fewer of a word's copies go through
/// memory while it is cut and handed on: a `Text` written to memory in parts and read back at
/// once in bigger parts stalls the processor (store forwarding fails), and the word count pays
/// that on every word.
///
/// Invariant: the bytes past `len` are zero, so equal texts have equal `Small`s.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(C)]
struct Small {
    /// Bytes 0..8, in memory order (`u64::from_ne_bytes`).
    lo: u64,
    /// Bytes 8..16, in memory order; byte 15 is the length.
    hi: u64,
}

impl Small {
    /// The 16 bytes, as a little-endian number (byte 0 lowest).
    #[inline]
    fn to_le(self) -> u128 {
        (u64::from_le(self.hi) as u128) << 64 | u64::from_le(self.lo) as u128
    }

    /// The `Small` of the first `len` bytes of `bytes` (little-endian), the rest cleared.
    #[inline]
    fn from_prefix(bytes: u128, len: usize) -> Small {
        debug_assert!(len <= INLINE);
        let packed = (bytes & KEEP_FIRST[len]) | ((len as u128) << (8 * INLINE));
        Small { lo: (packed as u64).to_le(), hi: ((packed >> 64) as u64).to_le() }
    }

    #[inline]
    fn len(&self) -> usize {
        (u64::from_le(self.hi) >> 56) as usize
    }

    /// The text's bytes.
    #[inline]
    fn bytes(&self) -> &[u8] {
        // SAFETY: `Small` is 16 plain bytes (repr(C), two u64), and `len() <= INLINE < 16`.
        unsafe { std::slice::from_raw_parts((self as *const Small).cast::<u8>(), self.len()) }
    }
}

/// `KEEP_FIRST[n]`: the mask of the first `n` bytes of a little-endian `u128`.
const KEEP_FIRST: [u128; INLINE + 1] = {
    let mut masks = [0u128; INLINE + 1];
    let mut n = 1;
    while n <= INLINE {
        masks[n] = (1u128 << (n * 8)) - 1;
        n += 1;
    }
    masks
};

#[derive(Clone)]
enum Repr {
    Inline(Small),
    /// Invariant: `start..end` lies within `buf` on character boundaries, and is longer than
    /// `INLINE` (shorter texts are inline).
    Shared {
        buf: Arc<str>,
        start: u32,
        end: u32,
    },
}

impl Text {
    /// A `Text` holding a copy of `s`.
    ///
    /// # Panics
    ///
    /// If `s` is 4 GiB or longer.
    ///
    /// ```
    /// use dstream::Text;
    /// let t = Text::new("spark streaming");
    /// assert_eq!(t, "spark streaming");
    /// ```
    pub fn new(s: &str) -> Self {
        if s.len() <= INLINE { Text::inline(s) } else { Text::shared(Arc::from(s)) }
    }

    #[inline]
    fn inline(s: &str) -> Self {
        let mut bytes = [0u8; 16];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Text { repr: Repr::Inline(Small::from_prefix(u128::from_le_bytes(bytes), s.len())) }
    }

    fn shared(buf: Arc<str>) -> Self {
        let end = u32::try_from(buf.len()).expect("a Text must be shorter than 4 GiB");
        Text { repr: Repr::Shared { buf, start: 0, end } }
    }

    /// The characters, as a `&str`.
    ///
    /// ```
    /// use dstream::Text;
    /// assert_eq!(Text::new("spark").as_str().len(), 5);
    /// ```
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.repr {
            // SAFETY: the first `len` bytes were copied from a `&str` (whole, or cut on
            // character boundaries by `sub`).
            Repr::Inline(small) => unsafe { std::str::from_utf8_unchecked(small.bytes()) },
            // SAFETY: `start..end` lies within `buf` on character boundaries: `shared` takes the
            // whole string, and `sub` only narrows it to boundaries of the current text.
            Repr::Shared { buf, start, end } => unsafe { buf.get_unchecked(*start as usize..*end as usize) },
        }
    }

    /// The part of this text in `range`, for byte positions known to be character boundaries of
    /// `self`: a short part is copied in place, a long one shares the buffer.
    #[inline]
    fn sub(&self, range: std::ops::Range<usize>) -> Text {
        debug_assert!(self.as_str().get(range.clone()).is_some());
        let len = range.len();
        if len <= INLINE {
            // One fixed-size load of 16 bytes that hold the part, shifted and cut to it by a mask,
            // instead of a call to `memcpy`: words are short, and most of them are short parts.
            let wide = match &self.repr {
                // The part lies within the 16 bytes of `small`.
                Repr::Inline(small) => small.to_le() >> (8 * range.start),
                // Invariant: a shared text is longer than 16 bytes, so 16 of them start at `base`.
                Repr::Shared { .. } if len > 0 => {
                    let s = self.as_str();
                    let base = range.start.min(s.len() - 16);
                    // SAFETY: `base + 16 <= s.len()`, so the 16 bytes read lie within `s`.
                    let at = unsafe { std::ptr::read_unaligned(s.as_ptr().add(base).cast::<[u8; 16]>()) };
                    // `range.start - base <= 16 - len < 16`: the part is within the 16 bytes read.
                    u128::from_le_bytes(at) >> (8 * (range.start - base))
                }
                Repr::Shared { .. } => 0,
            };
            return Text { repr: Repr::Inline(Small::from_prefix(wide, len)) };
        }
        match &self.repr {
            Repr::Shared { buf, start, .. } => Text {
                repr: Repr::Shared {
                    buf: Arc::clone(buf),
                    start: start + range.start as u32,
                    end: start + range.end as u32,
                },
            },
            Repr::Inline(_) => unreachable!("an inline text is never longer than INLINE"),
        }
    }

    /// The part of this text in `range` (byte offsets, as for `&s[range]`), sharing the buffer
    /// when it is long.
    ///
    /// # Panics
    ///
    /// If `range` is out of bounds or not on character boundaries, as `&str` slicing does.
    ///
    /// ```
    /// use dstream::Text;
    /// assert_eq!(Text::new("spark streaming").slice(6..15), "streaming");
    /// ```
    pub fn slice(&self, range: std::ops::Range<usize>) -> Text {
        let _ = &self.as_str()[range.clone()]; // the same checks and messages as str slicing
        self.sub(range)
    }

    /// The parts separated by `separator`, like `str::split` (and Python's `split(" ")`):
    /// consecutive separators give empty parts, and an empty text gives one empty part. The
    /// separator is what `str::split` takes: a `char` (`' '`), a string (`" "`, `", "`), an
    /// array or slice of `char`s (`[' ', ',']`), or a `char` predicate
    /// (`char::is_whitespace`, `|c| c == ';'`).
    ///
    /// The iterator owns a handle on the text (the words are not copied), so it can be returned
    /// from a closure: `lines.flat_map(|line| line.split(" "))` works as in PySpark.
    ///
    /// ```
    /// use dstream::Text;
    /// let parts: Vec<Text> = Text::from("a,,b").split(',').collect();
    /// assert_eq!(parts, ["a", "", "b"]);
    /// assert_eq!(Text::from("").split(' ').count(), 1);
    /// let words: Vec<Text> = Text::from("spark streaming").split(" ").collect(); // as in Python
    /// assert_eq!(words, ["spark", "streaming"]);
    /// let fields: Vec<Text> = Text::from("a; b,c").split([';', ',']).collect();
    /// assert_eq!(fields, ["a", " b", "c"]);
    /// let digits: Vec<Text> = Text::from("a1b22c").split(|c: char| c.is_ascii_digit()).collect();
    /// assert_eq!(digits, ["a", "b", "", "c"]);
    /// ```
    pub fn split<P: Separator>(&self, separator: P) -> Split<P> {
        Split { text: self.clone(), position: 0, separator, done: false, started: false }
    }

    /// The parts separated by runs of whitespace, without empty parts (Python's `split()`).
    ///
    /// ```
    /// use dstream::Text;
    /// let parts: Vec<Text> = Text::from("  a \t b  ").split_whitespace().collect();
    /// assert_eq!(parts, ["a", "b"]);
    /// ```
    pub fn split_whitespace(&self) -> SplitWhitespace {
        SplitWhitespace { text: self.clone(), position: 0 }
    }

    /// The text without leading and trailing whitespace, as a `Text` (Python's `strip()`), so
    /// that `line.trim().split(' ')` works inside a closure.
    ///
    /// ```
    /// use dstream::Text;
    /// assert_eq!(Text::new("  spark \n").trim(), "spark");
    /// ```
    pub fn trim(&self) -> Text {
        let s = self.as_str();
        let start = s.len() - s.trim_start().len();
        let end = s.trim_end().len().max(start);
        self.sub(start..end)
    }

    /// The text in lower case, as a `Text` (Python's `lower()`): `line.to_lowercase().split(' ')`
    /// works inside a closure, where `str::to_lowercase` would leave a `String` that the split
    /// cannot outlive.
    ///
    /// ```
    /// use dstream::{DStream, testing::run_batches};
    /// let out = run_batches(vec![vec!["Spark STREAMING"]], |lines: DStream<&str>| {
    ///     lines.map(dstream::Text::from).flat_map(|l| l.to_lowercase().split(' '))
    /// });
    /// assert_eq!(out, vec![vec!["spark", "streaming"]]);
    /// ```
    pub fn to_lowercase(&self) -> Text {
        let s = self.as_str();
        if s.bytes().all(|b| !b.is_ascii_uppercase() && b.is_ascii()) {
            self.clone()
        } else {
            Text::from(s.to_lowercase())
        }
    }

    /// The text in upper case, as a `Text` (Python's `upper()`).
    ///
    /// ```
    /// use dstream::Text;
    /// assert_eq!(Text::from("été").to_uppercase(), "ÉTÉ");
    /// ```
    pub fn to_uppercase(&self) -> Text {
        let s = self.as_str();
        if s.bytes().all(|b| !b.is_ascii_lowercase() && b.is_ascii()) {
            self.clone()
        } else {
            Text::from(s.to_uppercase())
        }
    }
}

/// What [`Text::split`] splits on: the separators `str::split` takes — a `char`, a string, an
/// array or slice of `char`s, a `char` predicate. (`str::split`'s own `Pattern` trait cannot be
/// named outside the standard library.)
///
/// # Examples
///
/// ```
/// use dstream::Text;
///
/// let line = Text::from("a b,c;d");
/// assert_eq!(line.split(' ').count(), 2); // a char
/// assert_eq!(line.split(" ").count(), 2); // a string, as in the lab's `line.split(" ")`
/// assert_eq!(line.split([' ', ',', ';']).count(), 4); // any of these chars
/// assert_eq!(line.split(|c: char| !c.is_alphabetic()).count(), 4); // a predicate
/// ```
pub trait Separator {
    /// The first match in `haystack`, as byte positions `start..end`.
    ///
    /// ```
    /// use dstream::text::Separator;
    /// assert_eq!(", ".find_in("a, b"), Some((1, 3)));
    /// assert_eq!('x'.find_in("a, b"), None);
    /// ```
    fn find_in(&mut self, haystack: &str) -> Option<(usize, usize)>;

    /// The separator's byte when it is a single ASCII character (`' '`, `" "`, `','`): split
    /// then looks for that byte alone. `None` otherwise (the default).
    ///
    /// ```
    /// use dstream::text::Separator;
    /// assert_eq!(" ".ascii_byte(), Some(b' '));
    /// assert_eq!('é'.ascii_byte(), None);
    /// assert_eq!(", ".ascii_byte(), None);
    /// ```
    fn ascii_byte(&self) -> Option<u8> {
        None
    }
}

impl Separator for char {
    #[inline]
    fn find_in(&mut self, haystack: &str) -> Option<(usize, usize)> {
        haystack.find(*self).map(|at| (at, at + self.len_utf8()))
    }

    #[inline]
    fn ascii_byte(&self) -> Option<u8> {
        self.is_ascii().then_some(*self as u8)
    }
}

impl Separator for &str {
    #[inline]
    fn find_in(&mut self, haystack: &str) -> Option<(usize, usize)> {
        haystack.find(*self).map(|at| (at, at + self.len()))
    }

    #[inline]
    fn ascii_byte(&self) -> Option<u8> {
        match self.as_bytes() {
            &[byte] if byte.is_ascii() => Some(byte),
            _ => None,
        }
    }
}

impl Separator for String {
    fn find_in(&mut self, haystack: &str) -> Option<(usize, usize)> {
        self.as_str().find_in(haystack)
    }
}

impl Separator for &String {
    fn find_in(&mut self, haystack: &str) -> Option<(usize, usize)> {
        self.as_str().find_in(haystack)
    }
}

impl<const N: usize> Separator for [char; N] {
    fn find_in(&mut self, haystack: &str) -> Option<(usize, usize)> {
        haystack.char_indices().find(|(_, c)| self.contains(c)).map(|(at, c)| (at, at + c.len_utf8()))
    }
}

impl<const N: usize> Separator for &[char; N] {
    fn find_in(&mut self, haystack: &str) -> Option<(usize, usize)> {
        haystack.char_indices().find(|(_, c)| self.contains(c)).map(|(at, c)| (at, at + c.len_utf8()))
    }
}

impl Separator for &[char] {
    fn find_in(&mut self, haystack: &str) -> Option<(usize, usize)> {
        haystack.char_indices().find(|(_, c)| self.contains(c)).map(|(at, c)| (at, at + c.len_utf8()))
    }
}

impl<F: FnMut(char) -> bool> Separator for F {
    fn find_in(&mut self, haystack: &str) -> Option<(usize, usize)> {
        haystack.char_indices().find(|(_, c)| self(*c)).map(|(at, c)| (at, at + c.len_utf8()))
    }
}

/// The iterator of [`Text::split`]; `Split` alone is the one for a `char` separator.
///
/// Its parts are `Text`s that share the line's bytes (or hold short ones in place): no `String`
/// is allocated per word.
///
/// # Examples
///
/// ```
/// use dstream::Text;
/// use dstream::text::Split;
///
/// let words: Split = Text::from("spark streaming spark").split(' ');
/// assert_eq!(words.collect::<Vec<_>>(), ["spark", "streaming", "spark"]);
/// ```
#[derive(Clone)]
pub struct Split<P = char> {
    text: Text,
    position: usize,
    separator: P,
    done: bool,
    /// A part was returned: an empty match right where the previous one ended does not count
    /// again (as in `str::split("")`).
    started: bool,
}

impl<P: Separator> Iterator for Split<P> {
    type Item = Text;

    #[inline]
    fn next(&mut self) -> Option<Text> {
        if self.done {
            return None;
        }
        match self.separator.ascii_byte() {
            Some(byte) => Some(self.next_at_byte(byte)),
            None => Some(self.next_match()),
        }
    }
}

impl<P: Separator> Split<P> {
    /// The next part for a one-byte separator (the lab's `split(' ')`): a byte loop finds the
    /// next space sooner than a call to `memchr` in words this short. An ASCII byte never occurs
    /// inside a multi-byte character, and a byte never matches empty. Inlined into the caller's
    /// loop: it is the word count's inner loop.
    #[inline(always)]
    fn next_at_byte(&mut self, byte: u8) -> Text {
        let (from, bytes) = (self.position, self.text.as_str().as_bytes());
        let (end, next) = match bytes[from..].iter().position(|&b| b == byte) {
            Some(at) => (from + at, from + at + 1),
            None => {
                self.done = true;
                (bytes.len(), bytes.len())
            }
        };
        self.position = next;
        self.text.sub(from..end)
    }

    /// The next part for any other separator, as `str::split` finds it.
    #[inline(never)]
    fn next_match(&mut self) -> Text {
        let text = self.text.as_str();
        let mut from = self.position;
        let found = loop {
            match self.separator.find_in(&text[from..]) {
                Some((start, end)) if start == end && from + start == self.position && self.started => {
                    match text[from..].chars().next() {
                        Some(c) => from += c.len_utf8(),
                        None => break None,
                    }
                }
                Some((start, end)) => break Some((from + start, from + end)),
                None => break None,
            }
        };
        self.started = true;
        let (end, next) = found.unwrap_or_else(|| {
            self.done = true;
            (text.len(), text.len())
        });
        let part = self.text.sub(self.position..end);
        self.position = next;
        part
    }
}

/// The iterator of [`Text::split_whitespace`].
///
/// # Examples
///
/// ```
/// use dstream::Text;
/// use dstream::text::SplitWhitespace;
///
/// let words: SplitWhitespace = Text::from("  spark\tstreaming \n").split_whitespace();
/// assert_eq!(words.collect::<Vec<_>>(), ["spark", "streaming"]);
/// ```
#[derive(Clone)]
pub struct SplitWhitespace {
    text: Text,
    position: usize,
}

impl Iterator for SplitWhitespace {
    type Item = Text;

    fn next(&mut self) -> Option<Text> {
        let rest = &self.text.as_str()[self.position..];
        let skipped = rest.len() - rest.trim_start().len();
        if skipped == rest.len() {
            self.position = self.text.len();
            return None;
        }
        let start = self.position + skipped;
        let end =
            self.text.as_str()[start..].find(char::is_whitespace).map_or(self.text.len(), |i| start + i);
        self.position = end;
        Some(self.text.sub(start..end))
    }
}

impl Deref for Text {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::new("")
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text {
    #[inline]
    fn eq(&self, other: &Text) -> bool {
        match (&self.repr, &other.repr) {
            // Inline bytes past `len` are always zero (`Text::inline`), so two inline texts are
            // equal exactly when their fixed-size arrays are: no call to `memcmp`.
            (Repr::Inline(a), Repr::Inline(b)) => a == b,
            _ => self.as_str() == other.as_str(),
        }
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    /// Hashes like `str`, so maps keyed by `Text` can be queried with a `&str`.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

macro_rules! eq_with {
    ($($other:ty),*) => {$(
        impl PartialEq<$other> for Text {
            fn eq(&self, other: &$other) -> bool {
                self.as_str() == AsRef::<str>::as_ref(other)
            }
        }
        impl PartialEq<Text> for $other {
            fn eq(&self, other: &Text) -> bool {
                AsRef::<str>::as_ref(self) == other.as_str()
            }
        }
    )*};
}
eq_with!(str, &str, String);

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        if s.len() <= INLINE { Text::inline(&s) } else { Text::shared(Arc::from(s)) }
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text::new(s)
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.as_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn split_matches_str_split() {
        for s in ["", " ", "a", "a b", "  leading", "trailing  ", "a  b", "tab\tx y", "été à 🚀 x"] {
            let ours: Vec<String> = Text::from(s).split(' ').map(String::from).collect();
            let std: Vec<String> = s.split(' ').map(String::from).collect();
            assert_eq!(ours, std, "{s:?}");
            let ours: Vec<String> = Text::from(s).split_whitespace().map(String::from).collect();
            let std: Vec<String> = s.split_whitespace().map(String::from).collect();
            assert_eq!(ours, std, "{s:?}");
        }
        let multi: Vec<Text> = Text::from("a→b→").split('→').collect();
        assert_eq!(multi, ["a", "b", ""]);
    }

    /// Every separator `str::split` takes gives what `str::split` gives.
    #[test]
    fn split_with_any_separator_matches_str_split() {
        fn same<P: Separator + Clone, Q: for<'a> FnMut(&'a str) -> Vec<&'a str>>(p: P, mut std: Q) {
            for s in ["", " ", "a", "a b", "a  b ", "  x", "a, b,,c", "été, à;🚀", "ab", "abc"] {
                let ours: Vec<String> = Text::from(s).split(p.clone()).map(String::from).collect();
                assert_eq!(ours, std(s), "{s:?}");
            }
        }
        same(" ", |s| s.split(" ").collect());
        same(", ", |s| s.split(", ").collect());
        same("", |s| s.split("").collect());
        same(String::from(","), |s| s.split(",").collect());
        same([',', ';'], |s| s.split([',', ';']).collect());
        same(char::is_whitespace, |s| s.split(char::is_whitespace).collect());
        same(|c: char| c == 'b', |s| s.split('b').collect());
    }

    #[test]
    fn case_and_trim_give_texts() {
        assert_eq!(Text::from("Spark Été").to_lowercase(), "spark été");
        assert_eq!(Text::from("spark").to_uppercase(), "SPARK");
        let words: Vec<Text> = Text::from("  The Fox ").trim().to_lowercase().split(' ').collect();
        assert_eq!(words, ["the", "fox"]);
    }

    #[test]
    fn hashes_like_str_so_maps_can_be_queried_with_str() {
        let mut counts: HashMap<Text, i32> = HashMap::new();
        for w in Text::from("b a b").split(' ') {
            *counts.entry(w).or_default() += 1;
        }
        assert_eq!(counts.get("b"), Some(&2));
    }

    #[test]
    fn long_parts_share_short_parts_are_inline() {
        let line = Text::from(format!("{} {}", "x".repeat(40), "short"));
        let parts: Vec<Text> = line.split(' ').collect();
        assert!(matches!(parts[0].repr, Repr::Shared { .. }));
        assert!(matches!(parts[1].repr, Repr::Inline(_)));
        assert_eq!(parts[0].len(), 40);
        assert_eq!(parts[1], "short");
        assert_eq!(parts[0].slice(38..40), "xx");
        assert_eq!(std::mem::size_of::<Text>(), 24);
    }

    /// Parts cut by a fixed-size load (most words) and parts copied (the end of a line, short
    /// lines) are the same texts: equal bytes, equal lengths, nothing left past the end.
    #[test]
    fn parts_cut_in_place_equal_the_same_text_made_anew() {
        // Inline texts, a shared one of exactly 16 bytes, longer ones, and shared texts that are
        // parts of a longer buffer: every part of each, at every pair of character boundaries.
        let long = "été à 🚀 spark streaming, dstream!";
        let texts = [
            Text::from(""),
            Text::from("a b"),
            Text::from("é à 🚀 b"),
            Text::from("exactly 16 bytes"),
            Text::from(long),
            Text::from(long).slice(2..26),
            Text::from(long).slice(2..39).slice(3..21),
        ];
        for text in &texts {
            let line = text.as_str();
            for start in (0..=line.len()).filter(|&i| line.is_char_boundary(i)) {
                for end in (start..=line.len()).filter(|&i| line.is_char_boundary(i)) {
                    let part = text.slice(start..end);
                    let anew = Text::new(&line[start..end]);
                    assert_eq!(part.as_str(), &line[start..end], "{line:?} {start}..{end}");
                    assert!(part == anew, "{line:?} {start}..{end}");
                    if let (Repr::Inline(a), Repr::Inline(b)) = (&part.repr, &anew.repr) {
                        assert_eq!(a.to_le(), b.to_le(), "{line:?} {start}..{end}");
                    }
                }
            }
        }
    }

    #[test]
    fn splits_as_str_splits() {
        let lines = [
            "",
            " ",
            "a",
            "spark streaming dstream",
            " leading and trailing ",
            "two  spaces,  commas,,and a very-long-word-past-sixteen-bytes at the end",
            "été à 🚀 naïve   café",
        ];
        for line in lines {
            let text = Text::from(line);
            let by = |parts: Vec<Text>| parts.iter().map(|p| p.to_string()).collect::<Vec<_>>();
            let want = |sep: &str| line.split(sep).map(str::to_string).collect::<Vec<_>>();
            assert_eq!(by(text.split(' ').collect()), want(" "), "{line:?}");
            assert_eq!(by(text.split(" ").collect()), want(" "), "{line:?}");
            assert_eq!(by(text.split(',').collect()), want(","), "{line:?}");
            assert_eq!(by(text.split("  ").collect()), want("  "), "{line:?}");
            assert_eq!(by(text.split('à').collect()), want("à"), "{line:?}");
            assert_eq!(by(text.split("").collect()), line.split("").map(str::to_string).collect::<Vec<_>>());
        }
    }

    #[test]
    fn slices_and_trim() {
        let t = Text::from("  hello world ");
        assert_eq!(t.trim(), "hello world");
        assert_eq!(t.trim().slice(6..11), "world");
        assert_eq!(Text::from("   ").trim(), "");
    }
}
