//! Holding the planned files to ALB's 1 MB response limit (`limits.too_large`,
//! `limits.lambda_sized`) and the package to `limits.package_budget`.

use super::config::{LambdaSized, TooLarge};
use super::{Config, Placement, PlanError, PlannedFile};
use crate::limits::{Fits, ResponseLimit};
use crate::rules::encode_path;

/// A file left out of the table whose URLs redirect elsewhere: its site path and new location.
type Moved = (String, String);

/// Applies `limits.too_large` to files no encoding can serve within one ALB response: fail the
/// plan, leave them out, leave them out and redirect their URLs elsewhere, or keep them in S3
/// (and, with `limits.lambda_sized = "embed"`, in the package too when Lambda's 6 MB takes
/// them, for the other front doors). Then holds the package to `limits.package_budget` (with
/// "s3", by keeping the largest files only in S3). Returns the files kept and the ones moved.
pub(super) fn apply_size_limit(
    files: Vec<PlannedFile>,
    config: &Config,
    warnings: &mut Vec<String>,
) -> Result<(Vec<PlannedFile>, Vec<Moved>), PlanError> {
    let fits = |f: &PlannedFile| f.fits.iter().any(|fits| fits.within(ResponseLimit::Alb));
    let list = |files: &mut dyn Iterator<Item = &PlannedFile>| {
        files
            .map(|f| {
                let sizes = f
                    .variants
                    .iter()
                    .map(|v| format!("{} {} bytes", v.encoding.token(), v.len))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("  {} ({sizes})", f.site_path)
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut kept = files;
    let mut external = Vec::new();
    if !kept.iter().all(fits) {
        let listed = list(&mut kept.iter().filter(|f| !fits(f)));
        match config.limits.too_large {
            TooLarge::Fail => {
                return Err(PlanError::new(format!(
                    "these files cannot be served within ALB's 1 MB response limit in any encoding:\n{listed}\n\
                     Make them smaller, or set limits.too_large = \"s3\", \"skip\" or \"redirect\" in the settings file."
                )))
            }
            TooLarge::Skip => {
                warnings.push(format!("left out, too large for one ALB response:\n{listed}"));
                kept.retain(fits);
            }
            TooLarge::Redirect => {
                let prefix = config.limits.external_prefix.trim_end_matches('/');
                warnings.push(format!(
                    "redirected to {}, too large for one ALB response:\n{listed}",
                    config.limits.external_prefix
                ));
                let (fitting, moved): (Vec<_>, Vec<_>) = kept.into_iter().partition(fits);
                kept = fitting;
                external = moved
                    .into_iter()
                    .map(|f| {
                        let location = format!("{prefix}{}", encode_path(&f.site_path));
                        (f.site_path, location)
                    })
                    .collect();
            }
            TooLarge::S3 => {
                for f in kept.iter_mut().filter(|f| !fits(f)) {
                    let lambda_takes = f.fits.iter().any(|x| x.within(ResponseLimit::Lambda));
                    f.placement = match config.limits.lambda_sized {
                        LambdaSized::Embed if lambda_takes => Placement::PackageAndS3,
                        _ => Placement::S3,
                    };
                    if f.offloaded() {
                        mark_offloaded(f);
                    }
                }
            }
        }
    }
    let budget = config.limits.package_budget;
    let mut embedded: u64 = kept.iter().map(PlannedFile::embedded_bytes).sum();
    if embedded > budget {
        if config.limits.too_large != TooLarge::S3 {
            let mut largest: Vec<&PlannedFile> = kept.iter().collect();
            largest.sort_by(|a, b| {
                (b.embedded_bytes(), &a.site_path).cmp(&(a.embedded_bytes(), &b.site_path))
            });
            let listed = list(&mut largest.into_iter().take(10));
            return Err(PlanError::new(format!(
                "the site would embed {embedded} bytes, over limits.package_budget = {budget}: \
                 set limits.too_large = \"s3\" to keep the largest files in S3, or raise the budget \
                 (Lambda's limit is 262,144,000 bytes unzipped, the server's code included). \
                 The largest files:\n{listed}"
            )));
        }
        // Largest first; ties by path, so the choice is the same on every machine.
        let mut order: Vec<usize> = (0..kept.len()).filter(|&k| !kept[k].offloaded()).collect();
        order.sort_by(|&a, &b| {
            (kept[b].embedded_bytes(), &kept[a].site_path)
                .cmp(&(kept[a].embedded_bytes(), &kept[b].site_path))
        });
        for k in order {
            if embedded <= budget {
                break;
            }
            embedded -= kept[k].embedded_bytes();
            mark_offloaded(&mut kept[k]);
        }
    }
    if kept.iter().any(|f| f.offloaded()) {
        warnings.push(format!(
            "kept in S3 (make deploy uploads them; make local serves them from disk), too large for one ALB response or over limits.package_budget:\n{}",
            list(&mut kept.iter().filter(|f| f.offloaded()))
        ));
    }
    if kept.iter().any(|f| f.placement == Placement::PackageAndS3) {
        warnings.push(format!(
            "kept in S3 for an ALB's requests and in the package for the other front doors (limits.lambda_sized = \"embed\"), over ALB's 1 MB but under Lambda's 6 MB:\n{}",
            list(&mut kept.iter().filter(|f| f.placement == Placement::PackageAndS3))
        ));
    }
    Ok((kept, external))
}

/// Marks the file for S3 only: no variant is served from the package.
fn mark_offloaded(file: &mut PlannedFile) {
    file.placement = Placement::S3;
    file.fits.iter_mut().for_each(|f| *f = Fits::Nowhere);
}
