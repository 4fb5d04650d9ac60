//! What the planner checks of the site's URLs and rules: every file reachable at a URL of its
//! own and every fixed rewrite target a page of the site (errors), `_headers` patterns that match
//! nothing and files with more Set-Cookie headers than ALB sends (warnings).

use std::collections::BTreeMap;
use std::path::Path;

use super::walk::SiteFile;
use super::{routes, Config, Plan, PlanError, PlannedFile};
use crate::path;
use crate::rules::{self, encode_path, RedirectRule};
use crate::site::{Action, Route};

/// Every file must be reachable at a URL of its own: not longer than a request path may be
/// (percent-encoded), and not claimed by another file. Lists every offender (up to 20).
pub(super) fn check_urls(files: &[SiteFile], config: &Config) -> Result<(), PlanError> {
    let mut problems: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let len = encode_path(&f.site_path).len();
            (len > path::MAX_PATH).then(|| {
                format!(
                    "{}: its URL is {len} bytes percent-encoded, over the {} bytes a request \
                     path may have: shorten its name or its folders' names",
                    f.abs.display(),
                    path::MAX_PATH
                )
            })
        })
        .collect();
    let paths: Vec<String> = files.iter().map(|f| f.site_path.clone()).collect();
    problems.extend(routes::conflicts(&paths, config));
    if problems.is_empty() {
        return Ok(());
    }
    let shown = problems.len().min(20);
    let more = problems.len() - shown;
    let mut message = problems[..shown].join("\n");
    if more > 0 {
        message.push_str(&format!("\n... and {more} more"));
    }
    Err(PlanError::new(message))
}

/// A `_headers` pattern no URL of the site matches is likely a typo: say so, with its line.
pub(super) fn unmatched_header_rules(plan: &Plan, headers_path: &Path) -> Vec<String> {
    let elsewhere = plan.serves_at_other_urls();
    plan.header_rules
        .iter()
        .filter(|rule| {
            !plan
                .routes
                .keys()
                .chain(plan.files.iter().map(|f| &f.site_path))
                .any(|url| rules::match_pattern(&rule.pattern, url).is_some())
        })
        .map(|rule| {
            format!(
                "{}:{}: {} matches no file of the site{}",
                headers_path.display(),
                rule.line,
                rule.pattern,
                if elsewhere {
                    " (its headers go out only where a rewrite or the SPA fallback serves a file at such a URL)"
                } else {
                    ", so its headers are never sent"
                }
            )
        })
        .collect()
}

pub(super) fn cookie_warnings(files: &[PlannedFile]) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| {
            let cookies = f
                .headers
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
                .count();
            (cookies > 1).then(|| format!(
                "{} gets {cookies} Set-Cookie headers from _headers; without multi-value headers on the target group ALB can send only one (the first)",
                f.site_path
            ))
        })
        .collect()
}

/// A rewrite with a fixed target must name something the site serves.
pub(super) fn check_rewrite_targets(
    redirects: &[RedirectRule],
    routes: &BTreeMap<String, Route>,
    redirects_path: &Path,
) -> Result<(), PlanError> {
    for r in redirects {
        if matches!(r.action, Action::Rewrite | Action::RewriteNotFound) && !r.to.contains(':') {
            // Routes are keyed by decoded paths; decode the target as a request would be.
            let raw = r.to.split('?').next().unwrap_or("");
            let target = path::decode(raw)
                .map(|p| p.into_owned())
                .unwrap_or_default();
            if !routes.contains_key(&target) {
                return Err(PlanError::at_line(
                    redirects_path,
                    r.line,
                    format!(
                        "the {} rewrite target {} is not a page of the site",
                        r.action.status().code(),
                        r.to
                    ),
                ));
            }
        }
    }
    Ok(())
}
