//! The build report: the plan as one static HTML page, for a person to see what the package
//! holds (as webpack-bundle-analyzer does for a bundle). Every file with its size, the encodings
//! kept and their ratio, its cache class and content type, and whether it is embedded or kept
//! in S3; the largest files; where the package's bytes go, by kind and by top folder; the
//! build's warnings; the totals. `build.rs` writes it beside the binary (`make build` copies it
//! to `dist/report.html`) and `make dev` renders it at `/_dev/report` from the plan in memory;
//! it is never part of the package.
//!
//! A pure function of the plan, linear in its files: one pass makes the rows, one writes them.
//! The markup stays lean for a site of 100,000 files (a row is its cells and nothing else, no
//! script), and the rows come in blocks the browser lays out only when scrolled to. Every file
//! name, warning and setting is escaped: a site's names are its author's input.

mod files;
mod format;
mod package;

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fmt::Write as _;

use super::{Plan, PlannedFile, Stored};
use files::{files_section, largest_section};
use format::{esc, human, int, on_off, percent};
use package::{package_section, Kind};

/// The report's file name, beside the build's other outputs.
pub const FILE_NAME: &str = "report.html";

/// Rows per block the browser may skip laying out until it is scrolled to.
const BLOCK: usize = 500;
/// How many files "Largest files" lists.
const LARGEST: usize = 20;
/// How many top folders the folder bar names (the rest are one part).
const FOLDERS: usize = 8;

/// One file and what it adds.
struct Row<'a> {
    file: &'a PlannedFile,
    /// Bytes it adds to the package: its stored bodies not already stored for an earlier file
    /// (the package keeps identical bodies once), so the rows add up to the package's total.
    package: u64,
    /// Bytes of its objects in S3.
    s3: u64,
    kind: Kind,
    not_found_page: bool,
}

/// What the package and S3 hold in all.
struct Totals {
    files: usize,
    site_bytes: u64,
    package: u64,
    s3_files: usize,
    s3_objects: usize,
    s3_bytes: u64,
}

/// The page for `plan`, its warnings included; `site` names the site folder in the title.
pub fn render(plan: &Plan, site: &str) -> String {
    let rows = rows(plan);
    let totals = Totals {
        files: rows.len(),
        site_bytes: plan.site_bytes(),
        package: rows.iter().map(|r| r.package).sum(),
        s3_files: rows.iter().filter(|r| r.file.in_s3()).count(),
        s3_objects: rows
            .iter()
            .filter(|r| r.file.in_s3())
            .map(|r| r.file.variants.len())
            .sum(),
        s3_bytes: rows.iter().map(|r| r.s3).sum(),
    };
    let names: usize = rows.iter().map(|r| r.file.site_path.len()).sum();
    let mut out = String::with_capacity(16_384 + names + rows.len() * 150);
    head(&mut out, site);
    totals_section(&mut out, plan, &totals);
    warnings_section(&mut out, &plan.warnings);
    package_section(&mut out, &rows, totals.package);
    largest_section(&mut out, &rows);
    files_section(&mut out, &rows);
    out.push_str("</main></body></html>\n");
    out
}

fn rows(plan: &Plan) -> Vec<Row<'_>> {
    let mut not_found = vec![false; plan.files.len()];
    for (_, k) in plan.not_found_pages() {
        not_found[k as usize] = true;
    }
    // By the blobs' names as bytes: hashing a `Path` goes component by component, slower.
    let mut stored: HashSet<&OsStr> = HashSet::with_capacity(plan.files.len() * 2);
    plan.files
        .iter()
        .zip(not_found)
        .map(|(file, not_found_page)| {
            let package = (0..file.variants.len())
                .filter_map(|k| match file.stored(k) {
                    Stored::Embedded(blob) if stored.insert(blob.as_os_str()) => {
                        Some(file.variants[k].json_len)
                    }
                    _ => None,
                })
                .sum();
            let s3 = if file.in_s3() {
                file.variants.iter().map(|v| v.len).sum()
            } else {
                0
            };
            Row {
                file,
                package,
                s3,
                kind: Kind::of(file),
                not_found_page,
            }
        })
        .collect()
}

const STYLE: &str = "\
:root{color-scheme:light dark;--line:#8884;--muted:#777}\
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;padding:1em 2em;max-width:1400px}\
h1{margin:.2em 0}h1 small{font-weight:normal;color:var(--muted)}h2{margin:1.6em 0 .5em}\
.note,.muted{color:var(--muted)}\
.totals{display:grid;grid-template-columns:repeat(auto-fill,minmax(15em,1fr));gap:.6em;margin:0}\
.totals div{border:1px solid var(--line);border-radius:6px;padding:.5em .8em}\
.totals dt{color:var(--muted)}.totals dd{margin:0;font-size:1.2em}\
.bar{display:flex;height:1.6em;border-radius:4px;overflow:hidden;border:1px solid var(--line)}\
.bar span{display:block;min-width:1px}\
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.4em}\
table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:2px 6px;border-bottom:1px solid var(--line);vertical-align:top}\
th{font-weight:600}.legend{width:auto}.legend td{border:0}\
.num,.files td:nth-child(2),.files td:nth-child(7),.files td:nth-child(8),\
.files th:nth-child(2),.files th:nth-child(7),.files th:nth-child(8){text-align:right;\
font-variant-numeric:tabular-nums}\
.files{table-layout:fixed}.files td:first-child{overflow-wrap:anywhere}\
.files :is(td,th):nth-child(1){width:26%}.files :is(td,th):nth-child(2){width:6%}\
.files :is(td,th):nth-child(3){width:19%}.files :is(td,th):nth-child(4){width:9%}\
.files :is(td,th):nth-child(5){width:17%}.files :is(td,th):nth-child(6){width:8%}\
.files :is(td,th):nth-child(7){width:8%}.files :is(td,th):nth-child(8){width:7%}\
.head{position:sticky;top:0;z-index:1;background:Canvas}\
.block{content-visibility:auto;contain-intrinsic-size:auto 11000px}\
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;font-size:13px}\
#warnings li{margin:.4em 0;padding:.4em .6em;border-left:3px solid #d89000;background:#d8900014}";

fn head(out: &mut String, site: &str) {
    out.push_str(
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>\
<meta name=viewport content=\"width=device-width,initial-scale=1\">\
<meta name=generator content=\"alb-static-site build report\">\
<link rel=icon href=\"data:,\"><title>Build report: ",
    );
    esc(out, site);
    let _ = write!(
        out,
        "</title><style>{STYLE}</style></head><body><main>\n<h1>Build report <small>"
    );
    esc(out, site);
    out.push_str("</small></h1>\n");
}

fn totals_section(out: &mut String, plan: &Plan, t: &Totals) {
    let limits = &plan.config.limits;
    out.push_str("<section id=totals><dl class=totals>\n");
    let mut item = |label: &str, key: &str, n: u64, bytes: bool| {
        let _ = write!(out, "<div><dt>{label}</dt><dd><b data-total={key}>");
        int(out, n);
        out.push_str("</b>");
        if bytes {
            let _ = write!(out, " bytes <span class=muted>({})</span>", human(n));
        }
        out.push_str("</dd></div>\n");
    };
    item("Files", "files", t.files as u64, false);
    item(
        "Site (the files' own bytes)",
        "site-bytes",
        t.site_bytes,
        true,
    );
    item("Embedded in the package", "embedded-bytes", t.package, true);
    item("Files kept in S3", "s3-files", t.s3_files as u64, false);
    item("Objects in S3", "s3-objects", t.s3_objects as u64, false);
    item("Bytes in S3", "s3-bytes", t.s3_bytes, true);
    item("Warnings", "warnings", plan.warnings.len() as u64, false);
    out.push_str("</dl>\n<p class=note>The package stores each body as a JSON string (UTF-8 text as \
itself, anything else as base64) and identical bodies once: a file that shares a body with an earlier \
one counts none of it. It keeps a file's identity only when it has no gzip variant (the server inflates \
gzip for a client that takes neither). S3 keeps every encoding of its files as raw bytes. ");
    let _ = write!(
        out,
        "Package budget (limits.package_budget): {:.1}% of ",
        percent(t.package, limits.package_budget)
    );
    int(out, limits.package_budget);
    let lower = |v: &dyn std::fmt::Debug| format!("{v:?}").to_ascii_lowercase();
    let _ = writeln!(
        out,
        " bytes; limits.too_large = \"{}\", limits.lambda_sized = \"{}\".</p>",
        lower(&limits.too_large),
        lower(&limits.lambda_sized)
    );
    let cache = &plan.config.cache;
    out.push_str("<p class=note>Cache classes: ");
    for (class, policy, what) in [
        ("html", &cache.html, "pages"),
        ("immutable", &cache.immutable, "names with a content hash"),
        ("default", &cache.default, "everything else"),
        (
            "errors",
            &cache.errors,
            "the server's own error answers: a 404 with no 404 page, 405",
        ),
    ] {
        let _ = write!(out, "<b>{class}</b> \u{201c}");
        esc(out, policy);
        let _ = write!(out, "\u{201d} ({what}); ");
    }
    let compression = &plan.config.compression;
    let _ = writeln!(
        out,
        "<b>custom</b>: set by _headers. Compression: gzip {}, br {}, a variant kept at most {:.0}% of the file.</p></section>",
        on_off(compression.gzip),
        on_off(compression.brotli),
        compression.max_ratio * 100.0
    );
}

fn warnings_section(out: &mut String, warnings: &[String]) {
    let _ = write!(
        out,
        "<section id=warnings><h2>Warnings ({})</h2>",
        warnings.len()
    );
    if warnings.is_empty() {
        out.push_str("<p class=muted>None.</p>");
    } else {
        out.push_str("<ol>");
        for w in warnings {
            out.push_str("<li><pre>");
            esc(out, w);
            out.push_str("</pre></li>");
        }
        out.push_str("</ol>");
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests;
