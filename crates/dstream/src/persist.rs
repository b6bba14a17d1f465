//! `Persist`: how data kept across batches (window contents, state) is written to a checkpoint
//! and read back, in a compact binary form with no dependency.

use crate::error::{Error, ErrorKind, Result};
use crate::text::Text;

/// Data that can be written to a checkpoint and read back.
///
/// Window and state operations keep data from one batch to the next; to resume exactly after a
/// crash they write it to the checkpoint directory. Numbers, `bool`, `char`, `String`, [`Text`],
/// string literals, `()`, tuples of up to four, `Vec`, `Option` and `Box` of persistable types implement it. For a
/// type of your own, write its fields one after the other and read them back in the same order.
///
/// # Examples
///
/// ```
/// use dstream::Persist;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Average { sum: f64, count: u64 }
///
/// impl Persist for Average {
///     fn write(&self, out: &mut Vec<u8>) {
///         self.sum.write(out);
///         self.count.write(out);
///     }
///     fn read(input: &mut &[u8]) -> dstream::Result<Self> {
///         Ok(Average { sum: f64::read(input)?, count: u64::read(input)? })
///     }
/// }
///
/// let mut bytes = Vec::new();
/// (String::from("spark"), Average { sum: 3.0, count: 2 }).write(&mut bytes);
/// let back = <(String, Average)>::read(&mut bytes.as_slice())?;
/// assert_eq!(back.1, Average { sum: 3.0, count: 2 });
/// # Ok::<(), dstream::Error>(())
/// ```
pub trait Persist: Sized {
    /// Appends this value to `out`.
    fn write(&self, out: &mut Vec<u8>);
    /// Reads a value from the front of `input`, advancing it.
    fn read(input: &mut &[u8]) -> Result<Self>;
}

fn truncated() -> Error {
    Error::new(ErrorKind::Checkpoint, "the checkpoint data ends too early (truncated or corrupt)")
}

/// Takes `n` bytes from the front of `input`.
pub(crate) fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    if input.len() < n {
        return Err(truncated());
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Ok(head)
}

macro_rules! persist_number {
    ($($t:ty),*) => {$(
        impl Persist for $t {
            fn write(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn read(input: &mut &[u8]) -> Result<Self> {
                let bytes = take(input, std::mem::size_of::<$t>())?;
                Ok(<$t>::from_le_bytes(bytes.try_into().expect("exact length")))
            }
        }
    )*};
}
persist_number!(i8, i16, i32, i64, i128, u8, u16, u32, u64, u128, f32, f64);

impl Persist for usize {
    fn write(&self, out: &mut Vec<u8>) {
        (*self as u64).write(out);
    }
    fn read(input: &mut &[u8]) -> Result<Self> {
        usize::try_from(u64::read(input)?).map_err(|_| truncated())
    }
}

impl Persist for isize {
    fn write(&self, out: &mut Vec<u8>) {
        (*self as i64).write(out);
    }
    fn read(input: &mut &[u8]) -> Result<Self> {
        isize::try_from(i64::read(input)?).map_err(|_| truncated())
    }
}

impl Persist for bool {
    fn write(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn read(input: &mut &[u8]) -> Result<Self> {
        match u8::read(input)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(truncated()),
        }
    }
}

impl Persist for char {
    fn write(&self, out: &mut Vec<u8>) {
        u32::from(*self).write(out);
    }
    fn read(input: &mut &[u8]) -> Result<Self> {
        char::from_u32(u32::read(input)?).ok_or_else(truncated)
    }
}

impl Persist for () {
    fn write(&self, _: &mut Vec<u8>) {}
    fn read(_: &mut &[u8]) -> Result<Self> {
        Ok(())
    }
}

/// Strings are written as their length then their UTF-8 bytes.
fn write_str(s: &str, out: &mut Vec<u8>) {
    s.len().write(out);
    out.extend_from_slice(s.as_bytes());
}

fn read_str<'a>(input: &mut &'a [u8]) -> Result<&'a str> {
    let len = usize::read(input)?;
    std::str::from_utf8(take(input, len)?).map_err(|_| truncated())
}

impl Persist for String {
    fn write(&self, out: &mut Vec<u8>) {
        write_str(self, out);
    }
    fn read(input: &mut &[u8]) -> Result<Self> {
        read_str(input).map(str::to_string)
    }
}

impl Persist for Text {
    fn write(&self, out: &mut Vec<u8>) {
        write_str(self, out);
    }
    fn read(input: &mut &[u8]) -> Result<Self> {
        read_str(input).map(Text::new)
    }
}

/// String literals (handy in tests and examples). Reading one back allocates a string that is
/// never freed, since it must live for the whole program: keep long-lived state in `String` or
/// [`Text`].
impl Persist for &'static str {
    fn write(&self, out: &mut Vec<u8>) {
        write_str(self, out);
    }
    fn read(input: &mut &[u8]) -> Result<Self> {
        read_str(input).map(|s| &*Box::leak(s.to_string().into_boxed_str()))
    }
}

impl<T: Persist> Persist for Option<T> {
    fn write(&self, out: &mut Vec<u8>) {
        self.is_some().write(out);
        if let Some(v) = self {
            v.write(out);
        }
    }
    fn read(input: &mut &[u8]) -> Result<Self> {
        Ok(if bool::read(input)? { Some(T::read(input)?) } else { None })
    }
}

impl<T: Persist> Persist for Vec<T> {
    fn write(&self, out: &mut Vec<u8>) {
        self.len().write(out);
        for v in self {
            v.write(out);
        }
    }
    fn read(input: &mut &[u8]) -> Result<Self> {
        let len = usize::read(input)?;
        // Each element takes at least a byte, except zero-sized ones: do not trust `len` further.
        let mut out = Vec::with_capacity(len.min(input.len()));
        for _ in 0..len {
            out.push(T::read(input)?);
        }
        Ok(out)
    }
}

impl<T: Persist> Persist for Box<T> {
    fn write(&self, out: &mut Vec<u8>) {
        (**self).write(out);
    }
    fn read(input: &mut &[u8]) -> Result<Self> {
        T::read(input).map(Box::new)
    }
}

macro_rules! persist_tuple {
    ($($name:ident),+) => {
        impl<$($name: Persist),+> Persist for ($($name,)+) {
            #[allow(non_snake_case)]
            fn write(&self, out: &mut Vec<u8>) {
                let ($($name,)+) = self;
                $($name.write(out);)+
            }
            fn read(input: &mut &[u8]) -> Result<Self> {
                Ok(($($name::read(input)?,)+))
            }
        }
    };
}
persist_tuple!(A);
persist_tuple!(A, B);
persist_tuple!(A, B, C);
persist_tuple!(A, B, C, D);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Persist + PartialEq + std::fmt::Debug>(value: T) {
        let mut bytes = Vec::new();
        value.write(&mut bytes);
        let mut input = bytes.as_slice();
        assert_eq!(T::read(&mut input).unwrap(), value);
        assert!(input.is_empty());
        // Every strict prefix is detected as truncated.
        for cut in 0..bytes.len() {
            assert!(T::read(&mut &bytes[..cut]).is_err(), "prefix of {cut} bytes");
        }
    }

    #[test]
    fn values_round_trip_and_truncation_is_detected() {
        round_trip((Text::from("café 🚀"), 42i64));
        round_trip(vec![(String::from("a"), Some(1.5f64)), (String::new(), None)]);
        round_trip((true, 'é', 7u8, -3i32));
        round_trip(Box::new(usize::MAX));
    }
}
