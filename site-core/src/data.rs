//! The site's binary format: what `plan::pack` writes and [`Site`](crate::site::Site) reads.
//!
//! A site is one *index* and a few *body segments*. The index holds fixed-size little-endian
//! records (files, variants, header pairs, bodies, routes, 404 pages), a string pool they point
//! into, the perfect hash of the routes (computed at build time) and a small sequential section
//! for the settings. A segment is at most [`SEGMENT_BYTES`] of body literals laid end to end,
//! no body split across two, so the compiler never sees one huge constant.
//!
//! Every field is read from a bounds-checked slice: `include_bytes!` data has alignment 1 and
//! `unsafe_code` is forbidden, so nothing is reinterpreted as a wider type.
//!
//! Layout of the index (all integers little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 0..8 | [`MAGIC`] |
//! | 8..12 | [`VERSION`] |
//! | 12..16 | number of sections ([`SECTIONS`]) |
//! | 16..24 | the routes' perfect-hash key |
//! | 24.. | per section: offset and length (u32 each), in [`Section`] order |

use crate::limits::Fits;
use crate::site::Encoding;

/// The first bytes of every index.
pub const MAGIC: [u8; 8] = *b"ALBSITE\0";
/// The format version; an index of another version is refused (at build by a const assertion
/// over the included bytes, at start-up with an error).
pub const VERSION: u32 = 1;
/// The largest body segment: a body is never split, so a segment holding one larger body (none
/// the planner embeds is) is as large as that body.
pub const SEGMENT_BYTES: usize = 8 << 20;

/// The sections of the index, in the order of the section table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// UTF-8 strings, referenced as (offset, length).
    Strings,
    /// [`FILE_LEN`]-byte file records.
    Files,
    /// [`VARIANT_LEN`]-byte variant records; a file's are consecutive.
    Variants,
    /// [`PAIR_LEN`]-byte header (name, value) records; a list is a run of them, shared by every
    /// file with the same headers.
    Pairs,
    /// [`BODY_LEN`]-byte records: segment, offset, length of each distinct stored body.
    Bodies,
    /// [`ROUTE_LEN`]-byte route records, sorted by URL path.
    Routes,
    /// The perfect hash's displacements, two u32 each.
    Displacements,
    /// The perfect hash's table: a u32 route number per hash slot.
    HashTable,
    /// [`NOT_FOUND_LEN`]-byte records: a folder with a `404.html`, sorted, and the file.
    NotFound,
    /// The settings, the `_redirects` and `_headers` rules and the site's totals, read once
    /// at start-up (their size follows the settings, not the number of files).
    Settings,
}

/// How many sections the index has.
pub const SECTIONS: usize = 10;
/// Bytes before the section table.
pub const PREAMBLE_LEN: usize = 24;
/// Bytes of the whole header.
pub const HEADER_LEN: usize = PREAMBLE_LEN + SECTIONS * 8;

/// A string reference: offset and length in the pool.
pub const STR_LEN: usize = 8;
pub const FILE_LEN: usize = 88;
pub const VARIANT_LEN: usize = 44;
pub const PAIR_LEN: usize = 16;
pub const BODY_LEN: usize = 12;
pub const ROUTE_LEN: usize = 24;
pub const NOT_FOUND_LEN: usize = 12;

/// Record sizes by section (0: not records).
pub const RECORD_LEN: [usize; SECTIONS] = [
    0,
    FILE_LEN,
    VARIANT_LEN,
    PAIR_LEN,
    BODY_LEN,
    ROUTE_LEN,
    8,
    4,
    NOT_FOUND_LEN,
    0,
];

/// A variant record's content coding and fit, each as its position in these tables: one
/// table for the writer (`plan::pack`) and the reader (`Site`), so the two cannot disagree.
pub const ENCODINGS: [Encoding; 3] = [Encoding::Identity, Encoding::Gzip, Encoding::Brotli];
pub const FITS: [Fits; 3] = [Fits::Everywhere, Fits::LambdaOnly, Fits::Nowhere];

/// The byte that stands for `value` in `table` (its position).
pub fn code_of<T: PartialEq>(table: &[T], value: &T) -> u8 {
    table
        .iter()
        .position(|t| t == value)
        .expect("every value is in its table") as u8
}

/// Variant body kinds.
pub const BODY_STORED: u8 = 0;
pub const BODY_INFLATE: u8 = 1;
pub const BODY_OFFLOADED: u8 = 2;

/// Route kinds.
pub const ROUTE_FILE: u8 = 0;
pub const ROUTE_REDIRECT: u8 = 1;

/// Whether `index` starts with this format's magic and version: usable in a const assertion
/// over `include_bytes!` data, so a build never embeds an index it cannot read.
pub const fn header_ok(index: &[u8]) -> bool {
    if index.len() < HEADER_LEN {
        return false;
    }
    let mut i = 0;
    while i < MAGIC.len() {
        if index[i] != MAGIC[i] {
            return false;
        }
        i += 1;
    }
    let version = u32::from_le_bytes([index[8], index[9], index[10], index[11]]);
    let sections = u32::from_le_bytes([index[12], index[13], index[14], index[15]]);
    version == VERSION && sections as usize == SECTIONS
}

/// Why bytes are not a site this server can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the embedded site is not readable: {}", self.0)
    }
}

impl std::error::Error for FormatError {}

/// Little-endian reads from a bounds-checked slice.
pub(crate) fn u8_at(b: &[u8], at: usize) -> Option<u8> {
    b.get(at).copied()
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

/// A sequential reader for the settings section.
pub(crate) struct Cursor<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
    pub pool: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn bad(&self, what: &str) -> FormatError {
        FormatError(format!(
            "settings section ends early or is malformed ({what})"
        ))
    }

    pub fn u8(&mut self) -> Result<u8, FormatError> {
        let v = u8_at(self.bytes, self.pos).ok_or_else(|| self.bad("u8"))?;
        self.pos += 1;
        Ok(v)
    }

    pub fn u32(&mut self) -> Result<u32, FormatError> {
        let v = u32_at(self.bytes, self.pos).ok_or_else(|| self.bad("u32"))?;
        self.pos += 4;
        Ok(v)
    }

    pub fn u64(&mut self) -> Result<u64, FormatError> {
        let v = u64_at(self.bytes, self.pos).ok_or_else(|| self.bad("u64"))?;
        self.pos += 8;
        Ok(v)
    }

    pub fn bool(&mut self) -> Result<bool, FormatError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.bad("bool")),
        }
    }

    pub fn str(&mut self) -> Result<&'a str, FormatError> {
        let (off, len) = (self.u32()?, self.u32()?);
        pool_str(self.pool, off, len).ok_or_else(|| self.bad("string"))
    }

    pub fn opt_str(&mut self) -> Result<Option<&'a str>, FormatError> {
        Ok(if self.bool()? {
            Some(self.str()?)
        } else {
            None
        })
    }

    pub fn strs(&mut self) -> Result<Vec<&'a str>, FormatError> {
        let n = self.u32()?;
        (0..n).map(|_| self.str()).collect()
    }
}

/// The string at (`off`, `len`) in the pool, if it is there and UTF-8.
pub(crate) fn pool_str(pool: &[u8], off: u32, len: u32) -> Option<&str> {
    let start = off as usize;
    let bytes = pool.get(start..start.checked_add(len as usize)?)?;
    std::str::from_utf8(bytes).ok()
}
