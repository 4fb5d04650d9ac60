//! `make check`: the site and its settings planned exactly as a build plans them (no release
//! build), every error as `file:line: reason` (exit 1), and warnings for what a build accepts
//! but cannot be what was meant: `_redirects` rules that can never fire, `_headers` patterns
//! that match no file, several Set-Cookie headers where ALB can carry one.

use std::path::Path;
use std::process::ExitCode;

use site_core::plan::Plan;
use site_core::site::{Route, Site};

use crate::load::{self, Source};

/// What `check` found.
#[derive(Debug, Default)]
pub struct Report {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    /// "16 files, 37 URLs" when the site was planned.
    pub summary: String,
}

/// Checks the site; `multi_value`: the target group has multi-value headers on.
pub fn check(source: &Source, multi_value: bool) -> Report {
    let loaded = match load::load(source) {
        Ok(loaded) => loaded,
        Err(e) => {
            return Report {
                errors: e.lines().map(str::to_string).collect(),
                ..Report::default()
            }
        }
    };
    let (plan, site) = (&loaded.plan, &loaded.site);
    let root = source
        .site_dir
        .canonicalize()
        .unwrap_or_else(|_| source.site_dir.clone());
    let mut warnings: Vec<String> = plan
        .warnings
        .iter()
        // The planner's Set-Cookie warning is about single-value mode only.
        .filter(|w| !(multi_value && w.contains("Set-Cookie")))
        .map(|w| load::shorten(w))
        .collect();
    warnings.extend(redirects_that_never_fire(
        site,
        plan,
        &root.join("_redirects"),
    ));
    Report {
        errors: Vec::new(),
        warnings,
        summary: format!("{} files, {} URLs", site.files_len(), site.routes_len()),
    }
}

/// Prints the report; exit 1 on any error.
pub fn run(source: &Source, multi_value: bool) -> ExitCode {
    let report = check(source, multi_value);
    for e in &report.errors {
        eprintln!("error: {e}");
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let site = load::shown(&source.site_dir);
    let config = load::shown(&source.config);
    if report.errors.is_empty() {
        eprintln!(
            "check: {site} with {config} is fine ({}; {} warning{})",
            report.summary,
            report.warnings.len(),
            if report.warnings.len() == 1 { "" } else { "s" }
        );
        ExitCode::SUCCESS
    } else {
        eprintln!("check: {site} with {config} cannot be built");
        ExitCode::from(1)
    }
}

/// `_redirects` rules no request can reach: a fixed path the site answers itself (files shadow
/// rules unless forced with `!`), or one an earlier rule always takes first.
pub fn redirects_that_never_fire(site: &Site, plan: &Plan, file: &Path) -> Vec<String> {
    let shown = load::shown(file);
    let mut out = Vec::new();
    for (i, rule) in plan.redirects.iter().enumerate() {
        let literal = !rule.from.contains('*') && !rule.from.contains(':');
        if literal && !rule.force {
            let alternate = (rule.from.len() > 1)
                .then(|| rule.from.strip_suffix('/'))
                .flatten();
            let answered = site
                .route(&rule.from)
                .or_else(|| alternate.and_then(|a| site.route(a)));
            if let Some(route) = answered {
                let what = match route {
                    Route::File(k) => format!("the file {}", site.file(k).path),
                    Route::Redirect(to) => format!("the site's own redirect to {to}"),
                };
                out.push(format!(
                    "{shown}:{}: {} never fires: {what} answers that path, and files shadow rules \
                     (write the status as {}! to force it)",
                    rule.line,
                    rule.from,
                    rule.action.status().code()
                ));
                continue;
            }
        }
        let earlier = plan.redirects[..i]
            .iter()
            .find(|e| (e.from == rule.from || e.from == "/*") && (e.force || !rule.force));
        if let Some(e) = earlier {
            out.push(format!(
                "{shown}:{}: {} never fires: the rule on line {} ({}) matches every path it does, first",
                rule.line, rule.from, e.line, e.from
            ));
        }
    }
    out
}
