//! The embedded site: the table build.rs generated, and its lookups (binary search, no start-up work).

pub use crate::table::{Body, Encoding, File, Route, Settings, Spa, Variant};

include!(concat!(env!("OUT_DIR"), "/site_table.rs"));

/// What the decoded URL path leads to, if anything: O(log n) in the number of routes.
pub fn route(path: &str) -> Option<Route> {
    ROUTES
        .binary_search_by(|(p, _)| (*p).cmp(path))
        .ok()
        .map(|i| ROUTES[i].1)
}

/// The file at `FILES[index]`.
pub fn file(index: u32) -> &'static File {
    &FILES[index as usize]
}

/// The nearest `404.html` at or above the folder of `path` (Cloudflare Pages' rule).
pub fn not_found_page(path: &str) -> Option<&'static File> {
    let mut dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    loop {
        if let Ok(i) = NOT_FOUND_PAGES.binary_search_by(|(d, _)| (*d).cmp(dir)) {
            return Some(file(NOT_FOUND_PAGES[i].1));
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

/// The top-level `index.html`, for the single-page-app fallback.
pub fn index() -> Option<&'static File> {
    INDEX.map(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_sorted_for_binary_search() {
        assert!(ROUTES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn not_found_pages_are_sorted_for_binary_search() {
        assert!(NOT_FOUND_PAGES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn every_file_has_identity_first() {
        assert!(FILES
            .iter()
            .all(|f| f.variants[0].encoding == Encoding::Identity));
    }
}
