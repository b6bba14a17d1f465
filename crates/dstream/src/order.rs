//! How records and keys are ordered by the sorting actions (`sort_by`, `top`, `take_ordered`,
//! `max`, `min`): any `Ord` type as it orders itself, and floating-point numbers in a total order
//! with NaN after every number, as Spark sorts them.

use crate::text::Text;
use crate::time::{Duration, Time};
use std::cmp::{Ordering, Reverse};

/// A type the sorting actions of [`Rdd`](crate::Rdd) can order.
///
/// Implemented for the `Ord` types of the standard library and this crate (numbers, `String`,
/// `&str`, [`Text`], `char`, `bool`, ...), for `f32` and `f64` (NaN last: Spark's order), and for
/// tuples, `Option`, `Vec`, `Reverse` and references of such types.
///
/// ```
/// use dstream::SortKey;
/// use std::cmp::Ordering;
/// assert_eq!(f64::NAN.sort_cmp(&f64::INFINITY), Ordering::Greater);
/// assert_eq!(("b", 1.5).sort_cmp(&("b", 0.5)), Ordering::Greater);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as a sort key",
    note = "sort keys are numbers (including f64), strings, Text, bool, char, or tuples, Options and Vecs of them"
)]
pub trait SortKey {
    /// Compares `self` with `other` in sorting order.
    fn sort_cmp(&self, other: &Self) -> Ordering;
}

macro_rules! by_ord {
    ($($t:ty),*) => {$(
        impl SortKey for $t {
            fn sort_cmp(&self, other: &Self) -> Ordering {
                Ord::cmp(self, other)
            }
        }
    )*};
}

by_ord!(
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    bool,
    char,
    (),
    String,
    str,
    Text,
    Time,
    Duration
);

macro_rules! float {
    ($($t:ty),*) => {$(
        impl SortKey for $t {
            /// Numbers in their order (`-0.0` equals `0.0`), NaN after all of them.
            fn sort_cmp(&self, other: &Self) -> Ordering {
                match (self.is_nan(), other.is_nan()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) => self.partial_cmp(other).unwrap_or(Ordering::Equal),
                }
            }
        }
    )*};
}

float!(f32, f64);

impl<T: SortKey + ?Sized> SortKey for &T {
    fn sort_cmp(&self, other: &Self) -> Ordering {
        (**self).sort_cmp(*other)
    }
}

impl<T: SortKey> SortKey for Option<T> {
    /// `None` first, as `Option`'s own order.
    fn sort_cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => a.sort_cmp(b),
        }
    }
}

impl<T: SortKey> SortKey for Reverse<T> {
    fn sort_cmp(&self, other: &Self) -> Ordering {
        other.0.sort_cmp(&self.0)
    }
}

impl<T: SortKey> SortKey for [T] {
    /// Lexicographic.
    fn sort_cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.iter().zip(other) {
            match a.sort_cmp(b) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        self.len().cmp(&other.len())
    }
}

impl<T: SortKey> SortKey for Vec<T> {
    fn sort_cmp(&self, other: &Self) -> Ordering {
        self.as_slice().sort_cmp(other.as_slice())
    }
}

macro_rules! tuple {
    ($($name:ident $index:tt),+) => {
        impl<$($name: SortKey),+> SortKey for ($($name,)+) {
            /// Lexicographic.
            fn sort_cmp(&self, other: &Self) -> Ordering {
                Ordering::Equal $(.then_with(|| self.$index.sort_cmp(&other.$index)))+
            }
        }
    };
}

tuple!(A 0);
tuple!(A 0, B 1);
tuple!(A 0, B 1, C 2);
tuple!(A 0, B 1, C 2, D 3);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_sort_with_nan_last_and_zeros_equal() {
        let mut v = vec![f64::NAN, 1.0, f64::NEG_INFINITY, -0.0, f64::INFINITY, 0.0];
        v.sort_by(|a, b| a.sort_cmp(b));
        assert_eq!(&format!("{v:?}"), "[-inf, -0.0, 0.0, 1.0, inf, NaN]");
    }

    #[test]
    fn tuples_options_and_reverse_compose() {
        assert_eq!((1, "b").sort_cmp(&(1, "a")), Ordering::Greater);
        assert_eq!(None::<f64>.sort_cmp(&Some(f64::NAN)), Ordering::Less);
        assert_eq!(Reverse(2.0).sort_cmp(&Reverse(1.0)), Ordering::Less);
        assert_eq!(vec![1, 2].sort_cmp(&vec![1, 2, 0]), Ordering::Less);
    }
}
