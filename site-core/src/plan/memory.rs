//! The plan as a [`Site`] in memory, owned: what tests and local tools serve without compiling a
//! binary. The same values the generated table holds, read from the same encode cache.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use serde_json::value::RawValue;

use super::error::{io, PlanError};
use super::{plan, Input, Plan};
use crate::site::{Body, File, Options, Redirect, Routes, Site, Variant};

/// Plans the folder and returns the site in memory.
pub fn load(input: &Input) -> Result<Site, PlanError> {
    into_site(&plan(input)?)
}

/// The planned site as an owned value.
pub fn into_site(plan: &Plan) -> Result<Site, PlanError> {
    let mut files = Vec::with_capacity(plan.files.len());
    for f in &plan.files {
        let mut variants = Vec::with_capacity(f.variants.len());
        for (v, &fits) in f.variants.iter().zip(&f.fits) {
            let json = std::fs::read_to_string(&v.source.path).map_err(io(&v.source.path))?;
            let raw = RawValue::from_string(json)
                .map_err(|e| PlanError::at(&v.source.path, format!("not a JSON string: {e}")))?;
            variants.push(Variant {
                encoding: v.encoding,
                etag: v.etag.clone().into(),
                body: Body::Owned(raw),
                base64: v.source.base64,
                len: v.len,
                fits,
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
            variants: Cow::Owned(variants),
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
        not_found_pages: Cow::Owned(
            plan.not_found_pages()
                .into_iter()
                .map(|(dir, k)| (dir.into(), k))
                .collect(),
        ),
        index: plan.index(),
        options: Options {
            health_path: config.health_path.clone().into(),
            spa_fallback: plan.spa_fallback,
            redirect_status: config.redirect(),
            hsts: (!config.security.hsts.is_empty()).then(|| config.security.hsts.clone().into()),
            default_headers: owned_pairs(config.security_headers().into_iter()),
            error_cache_control: config.cache.errors.clone().into(),
        },
        site_bytes: plan.site_bytes(),
        raw_slots: &[],
    })
}

fn owned_pairs(
    pairs: impl Iterator<Item = (String, String)>,
) -> Cow<'static, [(crate::site::Text, crate::site::Text)]> {
    Cow::Owned(pairs.map(|(n, v)| (n.into(), v.into())).collect())
}
