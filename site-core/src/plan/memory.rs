//! The plan as a [`Site`] in memory, owned: what tests and local tools serve without compiling a
//! binary. The same values the generated table holds, read from the same encode cache.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::value::RawValue;

use super::encode::Encoded;
use super::error::{io, PlanError};
use super::{plan_with, Config, Input, Plan, Stored};
use crate::site::{BaseHeaders, Body, File, Options, Redirect, Routes, Site, Variant};

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

/// The planned site as an owned value.
pub fn into_site(plan: &Plan) -> Result<Site, PlanError> {
    into_site_reusing(plan, &|_, _| None)
}

/// [`into_site`], taking each stored body `known` has (asked by the file's index and the
/// variant, whose strong ETag and form name the bytes) instead of reading it from the encode
/// cache and checking it again: a re-plan after one edit reads only that file's bodies.
pub fn into_site_reusing(
    plan: &Plan,
    known: &dyn Fn(usize, &Encoded) -> Option<Box<RawValue>>,
) -> Result<Site, PlanError> {
    let mut files = Vec::with_capacity(plan.files.len());
    let keep_base = plan.serves_at_other_urls();
    for (i, f) in plan.files.iter().enumerate() {
        let mut variants = Vec::with_capacity(f.variants.len());
        for (k, (v, &fits)) in f.variants.iter().zip(&f.fits).enumerate() {
            let body =
                match f.stored(k) {
                    Stored::Embedded(path) => match known(i, v) {
                        Some(raw) => Body::Owned(raw),
                        None => {
                            let json = std::fs::read_to_string(path).map_err(io(path))?;
                            Body::Owned(RawValue::from_string(json).map_err(|e| {
                                PlanError::at(path, format!("not a JSON string: {e}"))
                            })?)
                        }
                    },
                    Stored::Inflate(from) => Body::Inflate(from),
                    Stored::Offloaded => Body::Offloaded,
                };
            variants.push(Variant {
                encoding: v.encoding,
                etag: v.etag.clone().into(),
                body,
                base64: v.source.base64,
                len: v.len,
                json_len: v.json_len,
                fits,
                object: f.object_key(k).map(Into::into),
            });
        }
        let h = &f.headers;
        files.push(File {
            path: f.site_path.clone().into(),
            content_type: h.content_type.clone().into(),
            cache_control: h.cache_control.clone().into(),
            last_modified: httpdate::fmt_http_date(
                SystemTime::UNIX_EPOCH + Duration::from_secs(f.modified),
            )
            .into(),
            modified: f.modified,
            headers: owned_pairs(h.headers.iter().cloned()),
            hsts: h.hsts,
            header_block: f.header_block,
            variants: Cow::Owned(variants),
            base: keep_base.then(|| BaseHeaders {
                content_type: f.base.content_type.clone().into(),
                cache_control: f.base.cache_control.clone().into(),
                headers: owned_pairs(f.base.headers.iter().cloned()),
                hsts: f.base.hsts,
            }),
        });
    }
    let config = &plan.config;
    Ok(Site {
        files: Cow::Owned(files),
        routes: Routes::Owned(
            plan.routes
                .iter()
                .map(|(url, route)| (url.clone(), route.clone()))
                .collect::<HashMap<_, _>>(),
        ),
        redirects: Cow::Owned(
            plan.redirects
                .iter()
                .map(|r| Redirect {
                    from: r.from.clone().into(),
                    to: r.to.clone().into(),
                    action: r.action,
                    force: r.force,
                })
                .collect(),
        ),
        header_rules: if keep_base {
            Cow::Owned(plan.header_rules.clone())
        } else {
            Cow::Borrowed(&[])
        },
        not_found_pages: Cow::Owned(
            plan.not_found_pages()
                .into_iter()
                .map(|(dir, k)| (dir.into(), k))
                .collect(),
        ),
        index: plan.index(),
        options: Options {
            health_path: config.health_path.clone().into(),
            mount: config.mount.clone().into(),
            spa_fallback: plan.spa_fallback,
            redirect_status: config.redirect(),
            hsts: (!config.security.hsts.is_empty()).then(|| config.security.hsts.clone().into()),
            default_headers: owned_pairs(config.security_headers().into_iter()),
            error_cache_control: config.cache.errors.clone().into(),
            auth: config.auth.as_ref().map(|a| a.to_auth()),
            presign_seconds: config.limits.presign_seconds,
        },
        site_bytes: plan.site_bytes(),
        offloaded_files: plan.files.iter().filter(|f| f.in_s3()).count() as u32,
        raw_slots: &[],
    })
}

fn owned_pairs(
    pairs: impl Iterator<Item = (String, String)>,
) -> Cow<'static, [(crate::site::Text, crate::site::Text)]> {
    Cow::Owned(pairs.map(|(n, v)| (n.into(), v.into())).collect())
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
        assert_eq!(site.files.len(), 2);
        assert_eq!(site.route("/"), Some(&Route::File(1)));
        assert_eq!(
            site.route("/index.html"),
            Some(&Route::Redirect("/".into()))
        );
        assert_eq!(site.redirects[0].action, Action::Redirect(Status::Found));
        assert_eq!(site.redirects[1].action, Action::Rewrite);
        assert_eq!(site.options.redirect_status, Status::MovedPermanently);
        assert!(!site.options.spa_fallback);
        assert_eq!(
            site.not_found_page("/docs/a/b").map(|f| &*f.path),
            Some("/docs/404.html")
        );
        let index = site.index().unwrap();
        assert_eq!(
            site.raw_body(index.identity()).unwrap().get(),
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
