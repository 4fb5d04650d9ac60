//! gzip and brotli for the build, and the policy that picks brotli's quality for each file.
//!
//! The policy: gzip level 9 and brotli window 22 (4 MB) for every file; brotli quality 11 for
//! files of 64 KiB and more, and for every file of a site whose small compressible files (under
//! 64 KiB) add up to at most 16 MB; quality 10 for the small files of a bigger site.
//!
//! Why (BENCHMARKS.md, "Build speed: the compression policy"; CPU of one core): brotli 11 runs
//! at 0.8-1 MB/s whatever the file's size (a 10 KB page costs per byte what a 1.7 MB bundle
//! does), so a site's encode time is its bytes: about 120 s of CPU for the 10,000-file, 105 MB
//! site. Quality 10 is 2.2-2.7x faster, and 1.4-2.6 % larger on real pages (the Rust book:
//! 75 bytes per small file on average, 333 at most; 4-5 % on the synthetic site's 100-word
//! filler) and 2.1 % on swagger-ui-dist, whose 1.7 MB bundle grows by 6 KB. Quality 9 and
//! below are 3-40x faster but 6-19 % larger. So large files, where the bytes on the wire are,
//! keep quality 11, and a big site's small files, where its build time is, get 10; a site with
//! at most 16 MB of small files (under 10 s of encoding on two cores) keeps 11 everywhere and is
//! served the same bytes as before. swagger-ui-dist: the same bytes (0.01 % more if it were
//! over the budget); the Rust book: the same (0.6 % more over the budget). Window: 24 gave the
//! same bytes as 22 (no file over 4 MB) and 18 gave 2.5 % more in the same time. gzip 6 was no
//! faster on the big site and saved 0.5 s of swagger-ui-dist's 17 s for 0.6 % more gzip bytes:
//! gzip stays at 9.
//!
//! Every setting is a pure function of the file's length and of the site (its small files'
//! total), and the blob cache is keyed by the settings actually used ([`Settings::tag`]), so
//! the same site gives the same bytes and a change of policy never reuses a stale blob.

use std::io::{self, Write};

use super::media;
use crate::site::Encoding;

/// gzip's level, for every file.
pub const GZIP_LEVEL: u32 = 9;
/// brotli's window (log2 of its bytes), for every file: 4 MB, more than any file that can be
/// served (ALB's 1 MB response), and the most every browser decodes is 24.
pub const BROTLI_WINDOW: u32 = 22;

/// How a site's files are compressed: brotli's quality by the file's length and the site's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Files at least this long are large and get `large_quality`.
    pub large_file: u64,
    pub large_quality: u32,
    /// Smaller files get `small_quality` when the site's small compressible files add up to
    /// more than `small_budget` bytes, and `large_quality` otherwise.
    pub small_quality: u32,
    pub small_budget: u64,
}

impl Policy {
    /// The build's policy (see the module's documentation for the measurements).
    pub const DEFAULT: Policy = Policy {
        large_file: 64 * 1024,
        large_quality: 11,
        small_quality: 10,
        small_budget: 16_000_000,
    };

    /// Quality 11 for every file, as every build did before the policy; for comparisons.
    pub const ALWAYS_11: Policy = Policy {
        large_file: 0,
        large_quality: 11,
        small_quality: 11,
        small_budget: 0,
    };

    /// The settings for a site whose compressible files shorter than `large_file` add up to
    /// `small_bytes` bytes.
    pub const fn for_site(&self, small_bytes: u64) -> Settings {
        Settings {
            large_file: self.large_file,
            large_quality: self.large_quality,
            small_quality: if small_bytes > self.small_budget {
                self.small_quality
            } else {
                self.large_quality
            },
        }
    }

    /// What [`Policy::for_site`] takes: the bytes of the site's small compressible files, given
    /// each file's site path and length. Compressible by the name's type, before `_headers` or
    /// sniffing: an estimate, but a deterministic one.
    pub fn small_bytes<'a>(&self, files: impl IntoIterator<Item = (&'a str, u64)>) -> u64 {
        files
            .into_iter()
            .filter(|&(path, len)| {
                len < self.large_file && media::is_compressible(&media::content_type(path))
            })
            .map(|(_, len)| len)
            .sum()
    }
}

/// The settings of one site's build: what each file is compressed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    large_file: u64,
    large_quality: u32,
    small_quality: u32,
}

impl Settings {
    /// brotli's quality for a file of `len` bytes.
    pub fn brotli_quality(&self, len: u64) -> u32 {
        if len >= self.large_file {
            self.large_quality
        } else {
            self.small_quality
        }
    }

    /// The blob cache's name for a file's variant: every setting that shapes its bytes.
    pub fn tag(&self, encoding: Encoding, len: u64) -> String {
        match encoding {
            Encoding::Gzip => format!("gz{GZIP_LEVEL}"),
            Encoding::Brotli => format!("br{}w{BROTLI_WINDOW}", self.brotli_quality(len)),
            Encoding::Identity => unreachable!("identity is never compressed"),
        }
    }

    /// Compresses a file's bytes with `encoding`.
    pub fn compress(&self, encoding: Encoding, bytes: &[u8]) -> io::Result<Vec<u8>> {
        match encoding {
            Encoding::Gzip => gzip(bytes, GZIP_LEVEL),
            Encoding::Brotli => brotli(
                bytes,
                self.brotli_quality(bytes.len() as u64),
                BROTLI_WINDOW,
            ),
            Encoding::Identity => unreachable!("identity is never compressed"),
        }
    }
}

/// gzip with no file name and mtime 0, so the same bytes give the same output.
pub fn gzip(bytes: &[u8], level: u32) -> io::Result<Vec<u8>> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::new(level));
    enc.write_all(bytes)?;
    enc.finish()
}

/// brotli at `quality` (0-11) with a window of 2^`lgwin` bytes.
pub fn brotli(bytes: &[u8], quality: u32, lgwin: u32) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 1 << 16, quality, lgwin);
        w.write_all(bytes)?;
        w.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
