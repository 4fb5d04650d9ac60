//! The response header fields, written from one ordered list in which only Set-Cookie repeats.

use std::borrow::Cow;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

pub(super) type HeaderList<'s> = [(&'s str, Cow<'s, str>)];

fn seen_before(headers: &HeaderList<'_>, i: usize) -> bool {
    headers[..i]
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(headers[i].0))
}

/// Where a single-value header field leaves Set-Cookie.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum SetCookie {
    /// Among the headers: its first value (ALB's and Lattice's single-value mode can carry no
    /// more, and the build warns about it).
    First,
    /// Left out: payload 2.0 sends every value in `cookies`.
    Apart,
}

/// Single-value mode: one value per name (only Set-Cookie repeats).
pub(super) struct SingleHeaders<'h, 's>(pub(super) &'h HeaderList<'s>, pub(super) SetCookie);

impl Serialize for SingleHeaders<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (i, (n, v)) in self.0.iter().enumerate() {
            let apart = self.1 == SetCookie::Apart && n.eq_ignore_ascii_case("set-cookie");
            if !apart && !seen_before(self.0, i) {
                m.serialize_entry(n, v)?;
            }
        }
        m.end()
    }
}

/// Multi-value mode: each name once, with all its values in order.
pub(super) struct MultiHeaders<'h, 's>(pub(super) &'h HeaderList<'s>);

impl Serialize for MultiHeaders<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (i, (n, _)) in self.0.iter().enumerate() {
            if !seen_before(self.0, i) {
                m.serialize_entry(n, &ValuesOf(self.0, n))?;
            }
        }
        m.end()
    }
}

pub(super) struct ValuesOf<'h, 's>(pub(super) &'h HeaderList<'s>, pub(super) &'h str);

impl Serialize for ValuesOf<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.0
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(self.1))
                .map(|(_, v)| v),
        )
    }
}
