//! The plan as a [`Site`] in memory, owning its bytes: what tests and local tools serve without
//! compiling a binary. The same bytes build.rs embeds ([`pack`](super::pack)), read through the
//! same view.

use std::path::{Path, PathBuf};

use super::encode::Encoded;
use super::error::{io, PlanError};
use super::{plan_with, Config, Input, Plan};
use crate::site::Site;

/// Plans `site_dir` with the settings `config_toml` (a settings file's text), caching encoded
/// bodies in `cache_dir`.
pub fn load_with(site_dir: &Path, config_toml: &str, cache_dir: &Path) -> Result<Site, PlanError> {
    let config =
        Config::parse(config_toml).map_err(|e| PlanError::new(format!("settings: {e}")))?;
    let input = Input {
        site_dir: site_dir.to_path_buf(),
        config: PathBuf::new(),
        cache_dir: cache_dir.to_path_buf(),
        epoch: None,
    };
    into_site(&plan_with(&input, config)?)
}

/// The planned site in memory: the plan packed into the site format and opened from those
/// bytes, exactly as the binary opens the bytes it embeds.
pub fn into_site(plan: &Plan) -> Result<Site, PlanError> {
    into_site_reusing(plan, &|_, _| None)
}

/// [`into_site`], taking each stored body that `known` holds (asked by the file's index and the
/// variant, whose strong ETag and form name the bytes) instead of reading it from the encode
/// cache and checking it again: a re-plan after one edit reads only that file's bodies.
pub fn into_site_reusing(
    plan: &Plan,
    known: &dyn Fn(usize, &Encoded) -> Option<Vec<u8>>,
) -> Result<Site, PlanError> {
    Site::from_data(super::pack::pack_with(plan, known)?)
        .map_err(|e| PlanError::new(format!("the packed site does not read back: {e}")))
}

/// `len` bytes that do not compress (a xorshift stream from `seed`): a file for tests whose size
/// on the wire is its size.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Plans a site made of `files` (site path without the leading slash, bytes; `_headers` and
/// `_redirects` included) with the settings `config_toml`, in a scratch folder that is removed
/// again: a site for tests and tools, through exactly the planning code of a build.
pub fn from_files(files: &[(&str, &[u8])], config_toml: &str) -> Result<Site, PlanError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let scratch = std::env::temp_dir().join(format!(
        "site-core-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let site_dir = scratch.join("site");
    let result = (|| {
        for (path, bytes) in files {
            let file = site_dir.join(path);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::write(&file, bytes).map_err(io(&file))?;
        }
        load_with(&site_dir, config_toml, &scratch.join("cache"))
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::{Action, Route, Status};

    #[test]
    fn a_site_from_files_has_its_routes_rules_and_bodies_in_memory() {
        let site = from_files(
            &[
                ("index.html", b"<h1>home</h1>"),
                ("docs/404.html", b"gone"),
                ("_redirects", b"/old /  302\n/app/* /index.html 200\n"),
            ],
            "spa = \"off\"\nredirect_status = 301",
        )
        .unwrap();
        assert_eq!(site.files_len(), 2);
        assert_eq!(site.route("/"), Some(Route::File(1)));
        assert_eq!(site.route("/index.html"), Some(Route::Redirect("/")));
        assert_eq!(site.redirects[0].action, Action::Redirect(Status::Found));
        assert_eq!(site.redirects[1].action, Action::Rewrite);
        assert_eq!(site.options.redirect_status, Status::MovedPermanently);
        assert!(!site.options.spa_fallback);
        assert_eq!(
            site.not_found_page("/docs/a/b").map(|f| f.path),
            Some("/docs/404.html")
        );
        let index = site.index().unwrap();
        assert_eq!(
            site.raw_body(&index.identity()).unwrap().get(),
            "\"<h1>home</h1>\""
        );
    }

    #[test]
    fn a_bad_rules_file_is_an_error_naming_its_line() {
        let e = from_files(
            &[("index.html", b"x"), ("_redirects", b"\n/a /b 418\n")],
            "",
        )
        .unwrap_err();
        assert!(e.to_string().ends_with("_redirects:2: status 418 is not supported (use 301, 302, 303, 307, 308, 200 or 404)"), "{e}");
    }
}
