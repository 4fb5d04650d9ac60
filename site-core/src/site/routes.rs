//! What a URL path leads to: the route records, the lookup through the perfect hash, and the
//! file a rewrite serves.

use super::{Route, Site};
use crate::data::{self, Section};

impl Site {
    /// Route number `k`: its URL path and what it leads to.
    pub(super) fn route_at(&self, k: u32) -> Option<(&str, Route<&str>)> {
        let rec = self.record(Section::Routes, k)?;
        let url = self.str_at(rec, 0)?;
        let route = match rec[8] {
            data::ROUTE_FILE => Route::File(data::u32_at(rec, 12)?),
            data::ROUTE_REDIRECT => Route::Redirect(self.str_at(rec, 16)?),
            _ => return None,
        };
        Some((url, route))
    }

    /// What the decoded URL path leads to, if anything: one hash and one comparison, however
    /// many routes the site has (a perfect hash computed at build time).
    pub fn route(&self, path: &str) -> Option<Route<&str>> {
        let disps = self.section(Section::Displacements);
        let table = self.section(Section::HashTable);
        let (n_disps, n) = (disps.len() / 8, table.len() / 4);
        if n_disps == 0 || n == 0 {
            return None;
        }
        let hashes = phf_shared::hash(path, &self.phf_key);
        let d = (hashes.g % n_disps as u32) as usize * 8;
        let (d1, d2) = (data::u32_at(disps, d)?, data::u32_at(disps, d + 4)?);
        let slot = phf_shared::displace(hashes.f1, hashes.f2, d1, d2) % n as u32;
        let (url, route) = self.route_at(data::u32_at(table, slot as usize * 4)?)?;
        (url == path).then_some(route)
    }

    /// The file a rewrite rule (200 or 404) to the still-encoded URL path `encoded` serves: its
    /// route, followed through one redirect (a clean URL's), or None. The server and `explain`
    /// both ask this, so they cannot disagree on it.
    pub fn rewrite_target(&self, encoded: &str) -> Option<u32> {
        let decoded = crate::path::decode(encoded).ok()?;
        match self.route(&decoded)? {
            Route::File(k) => Some(k),
            Route::Redirect(to) => match self.route(&crate::path::decode(to).ok()?)? {
                Route::File(k) => Some(k),
                Route::Redirect(_) => None,
            },
        }
    }

    /// Every URL path and its route, in byte order (for listings and tools; not per request).
    pub fn routes(&self) -> impl Iterator<Item = (&str, Route<&str>)> {
        (0..self.routes_len() as u32).filter_map(|k| self.route_at(k))
    }

    /// How many URL paths the site answers.
    pub fn routes_len(&self) -> usize {
        self.count(Section::Routes)
    }
}
