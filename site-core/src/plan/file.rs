//! Planning one file: its content type, headers and variants, from what the memo remembers of
//! it when its stamp is unchanged, read and encoded otherwise.

use std::fs;
use std::path::Path;

use super::error::io;
use super::headers::{self, FileHeaders};
use super::memo::{Remembered, Stamp};
use super::walk::SiteFile;
use super::{encode, media, routes, Config, Memo, Placement, PlanError, PlannedFile};
use crate::limits::Fits;
use crate::rules::HeaderRule;

/// Plans one file; the second value is what to remember of it, when it was read (not taken
/// from the memo).
#[allow(clippy::too_many_arguments)]
pub(super) fn plan_file(
    f: &SiteFile,
    (stamp, memo): (&Stamp, &Memo),
    config: &Config,
    rules: &[HeaderRule],
    headers_path: &Path,
    epoch: Option<u64>,
    options: &encode::Options,
    cache: &Path,
) -> Result<(PlannedFile, Option<Remembered>), PlanError> {
    let known = memo.recall(&f.site_path, stamp);
    if let Some(planned) = known.and_then(Remembered::take_planned) {
        return Ok((planned, None));
    }
    let mut bytes = None;
    let content_type = match known {
        Some(k) => k.content_type.clone(),
        None => {
            let read = fs::read(&f.abs).map_err(io(&f.abs))?;
            let sniffed = media::content_type_for(&f.site_path, &read);
            bytes = Some(read);
            sniffed
        }
    };
    let modified = epoch.unwrap_or_else(|| stamp.seconds());
    // What to remember of the type, for a file read now.
    let sniffed = known.is_none().then(|| content_type.clone());
    let defaults = FileHeaders {
        cache_control: media::cache_control(&f.site_path, &content_type, config),
        content_type,
        headers: config.security_headers(),
        hsts: !config.security.hsts.is_empty(),
    };
    let mut urls = routes::served_at(&f.site_path, config);
    urls.push(f.site_path.clone());
    let base = defaults.clone();
    let headers = headers::resolve(defaults, &urls, rules, headers_path)?;
    headers::check_block(&f.site_path, &headers, config, headers_path)?;

    let essence = headers
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let kind = (
        media::is_text(&essence),
        media::is_compressible(&headers.content_type),
    );
    let (variants, fresh) = match known.and_then(|k| k.variants_for(kind)) {
        Some(variants) => (variants.to_vec(), None),
        None => {
            let bytes = match bytes {
                Some(bytes) => bytes,
                None => fs::read(&f.abs).map_err(io(&f.abs))?,
            };
            let variants =
                encode::encode_file(&bytes, kind.0, kind.1, options, cache).map_err(io(&f.abs))?;
            let sniffed = sniffed
                .or_else(|| known.map(|k| k.content_type.clone()))
                .unwrap_or_default();
            let fresh = Remembered::new(*stamp, sniffed, kind, variants.clone());
            (variants, Some(fresh))
        }
    };
    let block = headers::max_block_len(&headers, config);
    let fits = variants
        .iter()
        .map(|v| Fits::of(block, v.json_len))
        .collect();
    let planned = PlannedFile {
        site_path: f.site_path.clone(),
        headers,
        base,
        modified,
        variants,
        fits,
        header_block: block,
        placement: Placement::Package,
    };
    Ok((planned, fresh))
}
