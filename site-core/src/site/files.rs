//! Files read from their records: by number, in table order, the top `index.html` and the
//! nearest `404.html`.

use super::{BaseHeaders, File, Pairs, Site, Variants};
use crate::data::{self, Section};

impl Site {
    /// File number `index`, or None when there is no such file.
    pub fn get_file(&self, index: u32) -> Option<File<'_>> {
        let rec = self.record(Section::Files, index)?;
        let (first_variant, n_variants) = (data::u32_at(rec, 56)?, rec[60] as u32);
        if first_variant.checked_add(n_variants)? as usize > self.count(Section::Variants) {
            return None;
        }
        let base = match rec[62] {
            1 => Some(BaseHeaders {
                content_type: self.str_at(rec, 64)?,
                cache_control: self.str_at(rec, 72)?,
                headers: self.pairs(rec, 80)?,
                hsts: rec[63] == 1,
            }),
            _ => None,
        };
        Some(File {
            number: index,
            path: self.str_at(rec, 0)?,
            content_type: self.str_at(rec, 8)?,
            cache_control: self.str_at(rec, 16)?,
            last_modified: self.str_at(rec, 24)?,
            modified: data::u64_at(rec, 32)?,
            header_block: data::u64_at(rec, 40)?,
            headers: self.pairs(rec, 48)?,
            hsts: rec[61] == 1,
            variants: Variants {
                site: self,
                first: first_variant,
                count: n_variants,
            },
            base,
        })
    }

    /// File number `index`. A number from this site's routes always names a file (the site is
    /// checked whole when it is made); any other reads as a file with nothing stored.
    pub fn file(&self, index: u32) -> File<'_> {
        self.get_file(index).unwrap_or(File {
            number: index,
            path: "",
            content_type: "application/octet-stream",
            cache_control: "",
            last_modified: "Thu, 01 Jan 1970 00:00:00 GMT",
            modified: 0,
            headers: Pairs {
                site: self,
                first: 0,
                count: 0,
            },
            hsts: false,
            header_block: 0,
            variants: Variants {
                site: self,
                first: 0,
                count: 0,
            },
            base: None,
        })
    }

    /// How many files the site has.
    pub fn files_len(&self) -> usize {
        self.count(Section::Files)
    }

    /// Every file, in table order.
    pub fn files(&self) -> impl Iterator<Item = File<'_>> {
        (0..self.files_len() as u32).map(|k| self.file(k))
    }

    /// Folders with a `404.html` (`/`, `/docs/`), sorted, and the number of that file.
    pub fn not_found_pages(&self) -> impl Iterator<Item = (&str, u32)> {
        (0..self.count(Section::NotFound) as u32).filter_map(|k| self.not_found_at(k))
    }

    pub(super) fn not_found_at(&self, k: u32) -> Option<(&str, u32)> {
        let rec = self.record(Section::NotFound, k)?;
        Some((self.str_at(rec, 0)?, data::u32_at(rec, 8)?))
    }

    /// The nearest `404.html` at or above the folder of `path` (Cloudflare Pages' rule).
    pub fn not_found_page(&self, path: &str) -> Option<File<'_>> {
        let n = self.count(Section::NotFound);
        let find = |dir: &str| {
            let (mut lo, mut hi) = (0usize, n);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let (d, k) = self.not_found_at(mid as u32)?;
                match d.cmp(dir) {
                    std::cmp::Ordering::Less => lo = mid + 1,
                    std::cmp::Ordering::Greater => hi = mid,
                    std::cmp::Ordering::Equal => return Some(k),
                }
            }
            None
        };
        let mut dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        loop {
            if let Some(k) = find(dir) {
                return Some(self.file(k));
            }
            if dir.len() <= 1 {
                return None;
            }
            // "/a/b/" -> "/a/"
            let trimmed = &dir[..dir.len() - 1];
            dir = &trimmed[..trimmed.rfind('/').map_or(0, |i| i + 1)];
            if dir.is_empty() {
                return None;
            }
        }
    }

    /// The top-level `index.html`.
    pub fn index(&self) -> Option<File<'_>> {
        self.index.map(|i| self.file(i))
    }
}
