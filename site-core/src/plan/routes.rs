//! The URL space of the site: which URL path serves which file, and which URL paths redirect to
//! their canonical form (folder slashes, clean URLs). Decided once, here, at build time. Keys
//! are decoded paths (as a request's path is looked up); redirect targets are percent-encoded.

use std::collections::BTreeMap;

use super::config::{Config, TrailingSlash};
use crate::rules::encode_path;
use crate::site::Route;

/// The URL paths at which a file is served (its canonical URL first).
pub fn served_at(site_path: &str, config: &Config) -> Vec<String> {
    // site_path has a leading slash: "/blog/index.html", "/about.html", "/img/a.png".
    let mut urls = Vec::new();
    if let Some(dir) = site_path.strip_suffix("index.html") {
        if dir.ends_with('/') {
            // "/blog/" or "/"
            if dir == "/" || config.trailing_slash != TrailingSlash::Never {
                urls.push(dir.to_string());
            } else {
                urls.push(dir.trim_end_matches('/').to_string());
            }
            if !config.clean_urls {
                urls.push(site_path.to_string());
            }
            return urls;
        }
    }
    if config.clean_urls {
        if let Some(stem) = site_path.strip_suffix(".html") {
            if !stem.ends_with('/') {
                match config.trailing_slash {
                    TrailingSlash::Always => urls.push(format!("{stem}/")),
                    _ => urls.push(stem.to_string()),
                }
                return urls;
            }
        }
    }
    urls.push(site_path.to_string());
    urls
}

/// Files that would be served at one URL (`/about.html` and `/about/index.html` with clean
/// URLs): one message per URL, naming both files and the way out. A plan with any is an error,
/// so no file of the site is silently left unserved.
pub fn conflicts(site_paths: &[String], config: &Config) -> Vec<String> {
    let mut claimed: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, p) in site_paths.iter().enumerate() {
        if served_at(p, config).contains(p) {
            claimed.insert(p.clone(), i);
        }
    }
    for (i, p) in site_paths.iter().enumerate() {
        for url in served_at(p, config) {
            match claimed.get(&url) {
                None => {
                    claimed.insert(url, i);
                }
                Some(&j) if j != i => out.push(format!(
                    "{} and {} would both be served at the URL {url}: rename or remove one of \
                     them (or set clean_urls = false, or another trailing_slash)",
                    site_paths[j], p
                )),
                _ => {}
            }
        }
    }
    out
}

/// Builds the route table. Serving routes win over redirects; when two files claim one URL, the
/// earlier claim wins (exact file paths are claimed first) and a warning is returned.
pub fn build(site_paths: &[String], config: &Config) -> (BTreeMap<String, Route>, Vec<String>) {
    let mut routes: BTreeMap<String, Route> = BTreeMap::new();
    let mut warnings = Vec::new();
    // Pass 1: each file at its own path, where that is its canonical URL or clean URLs are off.
    // Pass 2: the other canonical URLs. Pass 3: redirects from the non-canonical spellings.
    let canon: Vec<Vec<String>> = site_paths.iter().map(|p| served_at(p, config)).collect();
    for (i, p) in site_paths.iter().enumerate() {
        if canon[i].contains(p) {
            routes.insert(p.clone(), Route::File(i as u32));
        }
    }
    for (i, urls) in canon.iter().enumerate() {
        for url in urls {
            match routes.get(url) {
                None => {
                    routes.insert(url.clone(), Route::File(i as u32));
                }
                Some(Route::File(j)) if *j as usize != i => {
                    let j = *j as usize;
                    warnings.push(format!(
                        "{} and {} both map to the URL {url}; {} is served there",
                        site_paths[j], site_paths[i], site_paths[j]
                    ))
                }
                _ => {}
            }
        }
    }
    for (i, p) in site_paths.iter().enumerate() {
        let Some(main) = canon[i].first() else {
            continue;
        };
        if !matches!(routes.get(main), Some(Route::File(j)) if *j as usize == i) {
            continue; // this file lost its URL to another; don't point redirects at the other one
        }
        for alias in aliases(p, main) {
            if alias != *main {
                routes
                    .entry(alias)
                    .or_insert_with(|| Route::Redirect(encode_path(main).into()));
            }
        }
    }
    (routes, warnings)
}

/// The other spellings of a file's URL that should redirect to its canonical URL.
fn aliases(site_path: &str, canonical: &str) -> Vec<String> {
    let mut out = vec![site_path.to_string()];
    if canonical.len() > 1 {
        if let Some(without) = canonical.strip_suffix('/') {
            out.push(without.to_string());
        } else {
            out.push(format!("{canonical}/"));
        }
    }
    out
}
