//! Where the package's bytes go: what kind of file each is, and the bars by kind and by top
//! folder with their legends.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::format::{esc, int, percent};
use super::{Row, FOLDERS};
use crate::plan::{media, Placement, PlannedFile};

/// What a file is, for the kind bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
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
    pub(super) fn of(f: &PlannedFile) -> Kind {
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

pub(super) fn package_section(out: &mut String, rows: &[Row<'_>], total: u64) {
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
