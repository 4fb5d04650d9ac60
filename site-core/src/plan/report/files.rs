//! The file tables: the largest files, and every file, one row each, in blocks.

use std::fmt::Write as _;

use super::format::{esc, int, percent};
use super::{Row, BLOCK, LARGEST};
use crate::plan::{media, Placement, PlannedFile, Stored};

pub(super) fn largest_section(out: &mut String, rows: &[Row<'_>]) {
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

pub(super) fn files_section(out: &mut String, rows: &[Row<'_>]) {
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
