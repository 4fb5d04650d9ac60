//! Checking a site whole before it is served: every record, string, list, route and body.

use serde_json::value::RawValue;

use super::{Body, Encoding, FormatError, Route, Site};
use crate::data::Section;

impl Site {
    /// Checks every record, string, list, route and body: what a site made in memory, and the
    /// bytes a build embeds, go through before they are served, so a malformed index is an
    /// error and never a wrong answer.
    pub fn verify(&self) -> Result<(), FormatError> {
        let bad = |what: String| Err(FormatError(what));
        for k in 0..self.count(Section::Pairs) as u32 {
            if self.pair(k).is_none() {
                return bad(format!("header pair {k} is malformed"));
            }
        }
        let bodies = self.count(Section::Bodies);
        for k in 0..bodies as u32 {
            let Some(body) = self.body(k) else {
                return bad(format!("body {k} lies outside its segment"));
            };
            let json = std::str::from_utf8(body)
                .map_err(|_| FormatError(format!("body {k} is not UTF-8")))?;
            if !json.starts_with('"') || serde_json::from_str::<&RawValue>(json).is_err() {
                return bad(format!("body {k} is not a JSON string"));
            }
        }
        let files = self.files_len();
        for k in 0..files as u32 {
            let Some(file) = self.get_file(k) else {
                return bad(format!("file {k} is malformed"));
            };
            if file.variants.is_empty() {
                return bad(format!("file {} has no variants", file.path));
            }
            for j in 0..file.variants.len() {
                let Some(v) = file.variants.get(j) else {
                    return bad(format!("a variant of {} is malformed", file.path));
                };
                let ok = match v.body {
                    Body::Stored(b) => (b as usize) < bodies,
                    Body::Inflate(from) => file.variants.get(from as usize).is_some_and(|g| {
                        g.encoding == Encoding::Gzip && matches!(g.body, Body::Stored(_))
                    }),
                    Body::Offloaded => v.object.is_some(),
                };
                if !ok {
                    return bad(format!(
                        "a variant of {} names a body that is not there",
                        file.path
                    ));
                }
            }
        }
        let mut last: Option<&str> = None;
        for k in 0..self.routes_len() as u32 {
            let Some((url, route)) = self.route_at(k) else {
                return bad(format!("route {k} is malformed"));
            };
            if last.is_some_and(|l| l >= url) {
                return bad(format!("the routes are not sorted at {url}"));
            }
            last = Some(url);
            if matches!(route, Route::File(f) if f as usize >= files) {
                return bad(format!("{url} leads to a file that is not there"));
            }
            if self.route(url) != Some(route) {
                return bad(format!("{url} is not found through the perfect hash"));
            }
        }
        let mut last: Option<&str> = None;
        for k in 0..self.count(Section::NotFound) as u32 {
            match self.not_found_at(k) {
                Some((dir, f)) if (f as usize) < files && last.is_none_or(|l| l < dir) => {
                    last = Some(dir)
                }
                _ => return bad(format!("404 page entry {k} is malformed or out of order")),
            }
        }
        Ok(())
    }
}
