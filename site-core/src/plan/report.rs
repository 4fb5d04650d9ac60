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

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::fmt::Write as _;

use super::{media, Placement, Plan, PlannedFile, Stored};

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

/// What a file is, for the kind bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Html,
    Css,
    Script,
    SourceMap,
    Image,
    Font,
    Text,
    Other,
}

/// Every kind, in the order of `Kind`'s variants (a kind's tally is at `kind as usize`).
const KINDS: [Kind; 8] = [
    Kind::Html,
    Kind::Css,
    Kind::Script,
    Kind::SourceMap,
    Kind::Image,
    Kind::Font,
    Kind::Text,
    Kind::Other,
];

impl Kind {
    fn of(f: &PlannedFile) -> Kind {
        if media::extension(&f.site_path).eq_ignore_ascii_case("map") {
            return Kind::SourceMap;
        }
        let essence = f
            .headers
            .content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim();
        match essence.to_ascii_lowercase().as_str() {
            "text/html" | "application/xhtml+xml" => Kind::Html,
            "text/css" => Kind::Css,
            "text/javascript" | "application/javascript" | "application/x-javascript" => {
                Kind::Script
            }
            e if e.starts_with("image/") => Kind::Image,
            e if e.starts_with("font/")
                || e.starts_with("application/x-font")
                || e == "application/vnd.ms-fontobject" =>
            {
                Kind::Font
            }
            e if media::is_text(e) => Kind::Text,
            _ => Kind::Other,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Html => "HTML",
            Kind::Css => "CSS",
            Kind::Script => "JavaScript",
            Kind::SourceMap => "Source maps",
            Kind::Image => "Images",
            Kind::Font => "Fonts",
            Kind::Text => "Other text",
            Kind::Other => "Other",
        }
    }
}

const COLOURS: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// A part of a bar: its label (escaped when written), bytes and files.
struct Part<'a> {
    label: &'a str,
    bytes: u64,
    files: usize,
}

fn package_section(out: &mut String, rows: &[Row<'_>], total: u64) {
    out.push_str("<section id=package><h2>Where the package bytes go</h2>");
    if total == 0 {
        out.push_str("<p class=muted>Nothing is embedded.</p></section>\n");
        return;
    }
    let mut kinds = [(0u64, 0usize); KINDS.len()];
    let mut folders: HashMap<&str, (u64, usize)> = HashMap::new();
    for r in rows.iter().filter(|r| r.file.placement != Placement::S3) {
        let k = &mut kinds[r.kind as usize];
        k.0 += r.package;
        k.1 += 1;
        let f = folders.entry(top_folder(&r.file.site_path)).or_default();
        f.0 += r.package;
        f.1 += 1;
    }
    let by_kind: Vec<Part<'_>> = KINDS
        .iter()
        .zip(kinds)
        .map(|(kind, (bytes, files))| Part {
            label: kind.name(),
            bytes,
            files,
        })
        .collect();
    bar(out, "by kind", &by_kind, total);
    let mut by_folder: Vec<Part<'_>> = folders
        .into_iter()
        .map(|(label, (bytes, files))| Part {
            label,
            bytes,
            files,
        })
        .collect();
    by_folder.sort_by(|a, b| (b.bytes, a.label).cmp(&(a.bytes, b.label)));
    if by_folder.len() > FOLDERS + 1 {
        let rest = by_folder.split_off(FOLDERS);
        by_folder.push(Part {
            label: "other folders",
            bytes: rest.iter().map(|p| p.bytes).sum(),
            files: rest.iter().map(|p| p.files).sum(),
        });
    }
    bar(out, "by top folder", &by_folder, total);
    out.push_str("</section>\n");
}

/// "/assets/" for "/assets/app.js"; "/" for a file at the top.
fn top_folder(path: &str) -> &str {
    match path.get(1..).and_then(|rest| rest.find('/')) {
        Some(i) => &path[..i + 2],
        None => "/",
    }
}

fn bar(out: &mut String, title: &str, parts: &[Part<'_>], total: u64) {
    let _ = write!(out, "<h3>{title}</h3><div class=bar>");
    let shown = parts.iter().enumerate().filter(|(_, p)| p.bytes > 0);
    for (i, p) in shown.clone() {
        let _ = write!(
            out,
            "<span style=\"width:{:.3}%;background:{}\" title=\"",
            percent(p.bytes, total),
            COLOURS[i % COLOURS.len()]
        );
        esc(out, p.label);
        let _ = write!(out, ": {:.1}%\"></span>", percent(p.bytes, total));
    }
    out.push_str("</div><table class=legend>");
    for (i, p) in shown {
        let _ = write!(
            out,
            "<tr><td><span class=swatch style=\"background:{}\"></span>",
            COLOURS[i % COLOURS.len()]
        );
        esc(out, p.label);
        out.push_str("<td class=num>");
        int(out, p.bytes);
        let _ = write!(
            out,
            " bytes<td class=num>{:.1}%<td class=num>{} file{}</tr>",
            percent(p.bytes, total),
            p.files,
            if p.files == 1 { "" } else { "s" }
        );
    }
    out.push_str("</table>\n");
}

fn largest_section(out: &mut String, rows: &[Row<'_>]) {
    let stored = |r: &Row<'_>| r.package + r.s3;
    let mut order: Vec<&Row<'_>> = rows.iter().collect();
    let by_size = |a: &&Row<'_>, b: &&Row<'_>| {
        (stored(b), &a.file.site_path).cmp(&(stored(a), &b.file.site_path))
    };
    if order.len() > LARGEST {
        order.select_nth_unstable_by(LARGEST, by_size);
        order.truncate(LARGEST);
    }
    order.sort_by(by_size);
    out.push_str(
        "<section id=largest><h2>Largest files <small class=muted>(by bytes stored: package + S3)</small></h2>\
<table><thead><tr><th>Path<th class=num>Size<th class=num>In package<th class=num>In S3<th>Kept in</thead><tbody>\n",
    );
    for r in order {
        out.push_str("<tr><td>");
        esc(out, &r.file.site_path);
        out.push_str("<td class=num>");
        int(out, r.file.variants[0].len);
        out.push_str("<td class=num>");
        int(out, r.package);
        out.push_str("<td class=num>");
        int(out, r.s3);
        out.push_str("<td>");
        out.push_str(placement(r.file.placement));
        out.push('\n');
    }
    out.push_str("</tbody></table></section>\n");
}

fn files_section(out: &mut String, rows: &[Row<'_>]) {
    out.push_str("<section id=files><h2>All files <small class=muted>(");
    int(out, rows.len() as u64);
    out.push_str(
        ", by path)</small></h2>\
<table class=\"files head\"><thead><tr><th>Path<th>Size<th>Encodings kept (bytes, %)\
<th>Cache<th>Content type<th>Kept in<th>In package<th>In S3</thead></table>\n",
    );
    for block in rows.chunks(BLOCK) {
        out.push_str("<div class=block><table class=\"files rows\"><tbody>\n");
        for r in block {
            file_row(out, r);
        }
        out.push_str("</tbody></table></div>\n");
    }
    out.push_str("</section>\n");
}

/// One row, cells unclosed (HTML closes them): its bytes are most of a large site's page.
fn file_row(out: &mut String, r: &Row<'_>) {
    let f = r.file;
    let size = f.variants[0].len;
    out.push_str("<tr><td>");
    esc(out, &f.site_path);
    out.push_str("<td>");
    int(out, size);
    out.push_str("<td>");
    let mut first = true;
    for (k, v) in f.variants.iter().enumerate() {
        // An identity the package does not store (it is inflated from gzip) is not kept,
        // unless S3 keeps it.
        if matches!(f.stored(k), Stored::Inflate(_)) && !f.in_s3() {
            continue;
        }
        if !first {
            out.push_str(" \u{b7} ");
        }
        first = false;
        out.push_str(v.encoding.token());
        if k > 0 {
            out.push(' ');
            int(out, v.len);
            let _ = write!(out, " {:.0}%", percent(v.len, size));
        }
    }
    out.push_str("<td>");
    cache_class(out, f);
    if r.not_found_page {
        out.push_str(", 404 page");
    }
    out.push_str("<td>");
    esc(out, &f.headers.content_type);
    out.push_str("<td>");
    out.push_str(placement(f.placement));
    out.push_str("<td>");
    if f.placement != Placement::S3 {
        int(out, r.package);
    }
    out.push_str("<td>");
    if f.in_s3() {
        int(out, r.s3);
    }
    out.push('\n');
}

/// The file's cache class (`media::CacheClass`, the one `media::cache_control` decides by),
/// or "custom" with the value when `_headers` changed it.
fn cache_class(out: &mut String, f: &PlannedFile) {
    if f.headers.cache_control != f.base.cache_control {
        out.push_str("custom: ");
        match f.headers.cache_control.as_str() {
            "" => out.push_str("none"),
            value => esc(out, value),
        }
    } else {
        out.push_str(media::CacheClass::of(&f.site_path, &f.base.content_type).name());
    }
}

fn placement(p: Placement) -> &'static str {
    match p {
        Placement::Package => "package",
        Placement::PackageAndS3 => "package + S3",
        Placement::S3 => "S3",
    }
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// `n` with thousands separators: 1,234,567.
fn int(out: &mut String, mut n: u64) {
    // Written from the end into a buffer (a page of 100,000 files writes 400,000 of them).
    let mut buf = [0u8; 26];
    let mut at = buf.len();
    let mut digits = 0;
    loop {
        if digits > 0 && digits % 3 == 0 {
            at -= 1;
            buf[at] = b',';
        }
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        digits += 1;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or_default());
}

/// A size for people: 512 B, 27.9 KiB, 3.4 MiB.
fn human(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `s` as HTML text or a quoted attribute value.
fn esc(out: &mut String, s: &str) {
    let mut done = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[done..i]);
        out.push_str(entity);
        done = i + 1;
    }
    out.push_str(&s[done..]);
}

#[cfg(test)]
mod tests;
