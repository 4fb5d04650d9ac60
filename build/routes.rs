//! The URL space of the site: which URL path serves which file, and which URL paths redirect to
//! their canonical form (folder slashes, clean URLs). Decided once, here, at build time.

use std::collections::BTreeMap;

use crate::settings::{Settings, TrailingSlash};

/// What a URL path leads to, before code generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Serve the file with this index in the file list.
    File(usize),
    /// Redirect to this decoded URL path.
    Redirect(String),
}

/// The URL paths at which a file is served (its canonical URL first).
pub fn served_at(site_path: &str, settings: &Settings) -> Vec<String> {
    // site_path has a leading slash: "/blog/index.html", "/about.html", "/img/a.png".
    let mut urls = Vec::new();
    if let Some(dir) = site_path.strip_suffix("index.html") {
        if dir.ends_with('/') {
            // "/blog/" or "/"
            if dir == "/" || settings.trailing_slash != TrailingSlash::Never {
                urls.push(dir.to_string());
            } else {
                urls.push(dir.trim_end_matches('/').to_string());
            }
            if !settings.clean_urls {
                urls.push(site_path.to_string());
            }
            return urls;
        }
    }
    if settings.clean_urls {
        if let Some(stem) = site_path.strip_suffix(".html") {
            if !stem.ends_with('/') {
                match settings.trailing_slash {
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

/// Builds the route table. Serving routes win over redirects; when two files claim one URL, the
/// earlier claim wins (exact file paths are claimed first) and a warning is returned.
pub fn build(
    site_paths: &[String],
    settings: &Settings,
) -> (BTreeMap<String, Target>, Vec<String>) {
    let mut routes: BTreeMap<String, Target> = BTreeMap::new();
    let mut warnings = Vec::new();
    // Pass 1: each file at its own path, where that is its canonical URL or clean URLs are off.
    // Pass 2: the other canonical URLs. Pass 3: redirects from the non-canonical spellings.
    let canon: Vec<Vec<String>> = site_paths.iter().map(|p| served_at(p, settings)).collect();
    for (i, p) in site_paths.iter().enumerate() {
        if canon[i].contains(p) {
            routes.insert(p.clone(), Target::File(i));
        }
    }
    for (i, urls) in canon.iter().enumerate() {
        for url in urls {
            match routes.get(url) {
                None => {
                    routes.insert(url.clone(), Target::File(i));
                }
                Some(Target::File(j)) if *j != i => warnings.push(format!(
                    "{} and {} both map to the URL {url}; {} is served there",
                    site_paths[*j], site_paths[i], site_paths[*j]
                )),
                _ => {}
            }
        }
    }
    for (i, p) in site_paths.iter().enumerate() {
        let Some(main) = canon[i].first() else {
            continue;
        };
        if !matches!(routes.get(main), Some(Target::File(j)) if *j == i) {
            continue; // this file lost its URL to another; don't point redirects at the other one
        }
        for alias in aliases(p, main) {
            if alias != *main {
                routes
                    .entry(alias)
                    .or_insert_with(|| Target::Redirect(main.clone()));
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
