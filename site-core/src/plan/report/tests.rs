use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use crate::plan::memory::noise;
use crate::plan::{plan_with, Config, Input};

/// Plans a site of `files` (path under the site folder, bytes) with the settings `toml`, in a
/// scratch folder removed again (the report reads the plan only, never the files).
fn plan_of(files: &[(&str, &[u8])], toml: &str) -> Plan {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "report-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let site_dir = dir.join("site");
    for (path, bytes) in files {
        let file = site_dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, bytes).unwrap();
    }
    let input = Input {
        site_dir,
        config: PathBuf::new(),
        cache_dir: dir.join("cache"),
        epoch: Some(0),
    };
    let plan = plan_with(&input, Config::parse(toml).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
    plan.unwrap()
}

const PAGE: &[u8] =
    b"<!doctype html><title>t</title><p>a page a page a page a page a page a page</p>";
const STYLE: &[u8] =
    b"body { color: red; } p { color: red; } h1 { color: red; } h2 { color: red; }";

fn sample() -> Plan {
    plan_of(
        &[
            ("index.html", PAGE),
            ("404.html", PAGE),
            (
                "assets/app.3f9a2c1b.js",
                b"console.log('hi'); console.log('hi'); console.log('hi');",
            ),
            ("css/site.css", STYLE),
            ("img/logo.png", &noise(3000, 7)),
        ],
        "",
    )
}

/// The number shown for `key` in the totals.
fn total(html: &str, key: &str) -> u64 {
    let marker = format!("<b data-total={key}>");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no total {key}"))
        + marker.len();
    let shown: String = html[at..].chars().take_while(|&c| c != '<').collect();
    shown.replace(',', "").parse().unwrap()
}

/// The text of the section `id`.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id={id}>"))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = start + html[start..].find("</section>").unwrap();
    &html[start..end]
}

/// The rows of "All files", each its cells as written (escaped).
fn file_rows(html: &str) -> Vec<Vec<&str>> {
    section(html, "files")
        .lines()
        .filter_map(|l| l.strip_prefix("<tr><td>"))
        .map(|l| l.split("<td>").collect())
        .collect()
}

fn row<'a>(rows: &'a [Vec<&'a str>], path: &str) -> &'a [&'a str] {
    rows.iter()
        .find(|r| r[0] == path)
        .unwrap_or_else(|| panic!("no row {path}: {rows:?}"))
}

/// A cell as a number ("" is none).
fn number(cell: &str) -> u64 {
    match cell.replace(',', "") {
        n if n.is_empty() => 0,
        n => n.parse().unwrap(),
    }
}

#[test]
fn every_file_is_listed_once_in_path_order() {
    let plan = sample();
    let html = render(&plan, "site");
    let paths: Vec<&str> = file_rows(&html).iter().map(|r| r[0]).collect();
    let planned: Vec<&str> = plan.files.iter().map(|f| f.site_path.as_str()).collect();
    assert_eq!(paths, planned);
    assert_eq!(total(&html, "files"), 5);
}

#[test]
fn names_are_escaped_as_text() {
    let plan = plan_of(
        &[
            ("a<b>&\"q'.html", PAGE),
            ("release notes.txt", b"notes"),
            ("caf\u{e9}/\u{fc}ber.txt", b"text"),
        ],
        "",
    );
    let html = render(&plan, "<my site>");
    let paths: Vec<&str> = file_rows(&html).iter().map(|r| r[0]).collect();
    assert!(
        paths.contains(&"/a&lt;b&gt;&amp;&quot;q&#39;.html"),
        "{paths:?}"
    );
    assert!(paths.contains(&"/release notes.txt"));
    assert!(paths.contains(&"/caf\u{e9}/\u{fc}ber.txt"));
    assert!(!html.contains("a<b>"));
    assert!(html.contains("<title>Build report: &lt;my site&gt;</title>"));
}

#[test]
fn the_totals_are_what_the_package_and_s3_hold() {
    let plan = plan_of(
        &[
            ("index.html", PAGE),
            ("big.bin", &noise(20_000, 1)),
            ("page.html", PAGE),
        ],
        "[limits]\ntoo_large = \"s3\"\npackage_budget = 1000",
    );
    let html = render(&plan, "site");
    let offloaded = plan.offloaded();
    assert!(!offloaded.is_empty(), "the budget sends a file to S3");
    assert_eq!(total(&html, "files"), plan.files.len() as u64);
    assert_eq!(total(&html, "site-bytes"), plan.site_bytes());
    assert_eq!(total(&html, "embedded-bytes"), plan.embedded_bytes());
    assert_eq!(total(&html, "s3-objects"), offloaded.len() as u64);
    assert_eq!(
        total(&html, "s3-bytes"),
        offloaded.iter().map(|(_, v, _)| v.len).sum::<u64>()
    );
    assert_eq!(
        total(&html, "s3-files"),
        plan.files.iter().filter(|f| f.in_s3()).count() as u64
    );
}

#[test]
fn a_file_kept_in_s3_counts_in_s3_and_not_in_the_package() {
    let plan = plan_of(
        &[("index.html", PAGE), ("big.bin", &noise(20_000, 2))],
        "[limits]\ntoo_large = \"s3\"\npackage_budget = 1000",
    );
    let html = render(&plan, "site");
    let rows = file_rows(&html);
    let big = row(&rows, "/big.bin");
    assert_eq!(big[5], "S3");
    assert_eq!(big[6], "", "nothing in the package");
    assert_eq!(number(big[7]), 20_000);
    let index = row(&rows, "/index.html");
    assert_eq!(index[5], "package");
    assert_eq!(index[7], "", "nothing in S3");
    assert_eq!(total(&html, "embedded-bytes"), number(index[6]));
}

#[test]
fn a_file_in_both_counts_in_both() {
    // Over ALB's 1 MB as base64 in every encoding, under Lambda's 6 MB.
    let plan = plan_of(
        &[("index.html", PAGE), ("photo.png", &noise(900_000, 3))],
        "[limits]\ntoo_large = \"s3\"\nlambda_sized = \"embed\"",
    );
    let html = render(&plan, "site");
    let rows = file_rows(&html);
    let photo = row(&rows, "/photo.png");
    assert_eq!(photo[5], "package + S3");
    assert!(number(photo[6]) > 900_000, "{photo:?}");
    assert_eq!(number(photo[7]), 900_000);
    assert_eq!(total(&html, "s3-files"), 1);
}

#[test]
fn the_rows_add_up_to_the_totals_and_identical_bodies_count_once() {
    let plan = plan_of(&[("a.html", PAGE), ("b.html", PAGE), ("c.css", STYLE)], "");
    let html = render(&plan, "site");
    let rows = file_rows(&html);
    assert_eq!(
        number(row(&rows, "/b.html")[6]),
        0,
        "b.html shares a.html's bodies"
    );
    assert!(number(row(&rows, "/a.html")[6]) > 0);
    let package: u64 = rows.iter().map(|r| number(r[6])).sum();
    assert_eq!(package, total(&html, "embedded-bytes"));
    let sizes: u64 = rows.iter().map(|r| number(r[1])).sum();
    assert_eq!(sizes, total(&html, "site-bytes"));
}

#[test]
fn the_encodings_kept_are_listed_with_their_ratio() {
    let plan = sample();
    let html = render(&plan, "site");
    let rows = file_rows(&html);
    let css = plan
        .files
        .iter()
        .find(|f| f.site_path == "/css/site.css")
        .unwrap();
    let expected: Vec<String> = css.variants[1..]
        .iter()
        .map(|v| {
            let mut n = String::new();
            int(&mut n, v.len);
            let ratio = v.len as f64 * 100.0 / css.variants[0].len as f64;
            format!("{} {n} {ratio:.0}%", v.encoding.token())
        })
        .collect();
    assert!(expected.len() == 2, "gzip and br are kept: {expected:?}");
    // The identity is not kept: the server inflates the gzip variant.
    assert_eq!(row(&rows, "/css/site.css")[2], expected.join(" \u{b7} "));
    // An incompressible file keeps its identity alone.
    assert_eq!(row(&rows, "/img/logo.png")[2], "identity");
}

#[test]
fn each_file_has_its_cache_class_and_content_type() {
    let plan = sample();
    let html = render(&plan, "site");
    let rows = file_rows(&html);
    let cells = |p: &str| (row(&rows, p)[3].to_string(), row(&rows, p)[4].to_string());
    assert_eq!(
        cells("/index.html"),
        ("html".into(), "text/html; charset=utf-8".into())
    );
    assert_eq!(cells("/404.html").0, "html, 404 page");
    assert_eq!(
        cells("/assets/app.3f9a2c1b.js"),
        ("immutable".into(), "text/javascript; charset=utf-8".into())
    );
    assert_eq!(
        cells("/img/logo.png"),
        ("default".into(), "image/png".into())
    );
}

#[test]
fn a_cache_class_is_the_policy_the_file_is_served_with() {
    let plan = sample();
    let html = render(&plan, "site");
    let cache = &plan.config.cache;
    for (file, cells) in plan.files.iter().zip(file_rows(&html)) {
        let class = cells[3].trim_end_matches(", 404 page");
        let policy = match class {
            "html" => &cache.html,
            "immutable" => &cache.immutable,
            "default" => &cache.default,
            other => panic!("{other}"),
        };
        assert_eq!(&file.headers.cache_control, policy, "{}", file.site_path);
    }
}

#[test]
fn a_cache_policy_from_headers_is_custom_with_its_value() {
    let plan = plan_of(
        &[
            ("index.html", PAGE),
            ("_headers", b"/index.html\n  Cache-Control: max-age=<5>\n"),
        ],
        "",
    );
    let html = render(&plan, "site");
    assert_eq!(
        row(&file_rows(&html), "/index.html")[3],
        "custom: max-age=&lt;5&gt;"
    );
}

#[test]
fn warnings_are_listed_as_text() {
    let mut plan = sample();
    plan.warnings = vec![
        "<script>alert(1)</script> & more".into(),
        "two\nlines".into(),
    ];
    let html = render(&plan, "site");
    let warnings = section(&html, "warnings");
    assert!(warnings.contains("<h2>Warnings (2)</h2>"));
    assert!(
        warnings.contains("<li><pre>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</pre></li>")
    );
    assert!(warnings.contains("<li><pre>two\nlines</pre></li>"));
    assert!(!html.contains("<script>"));
    assert_eq!(total(&html, "warnings"), 2);
}

#[test]
fn a_build_without_warnings_says_so() {
    let html = render(&sample(), "site");
    assert!(section(&html, "warnings").contains("<h2>Warnings (0)</h2><p class=muted>None.</p>"));
}

#[test]
fn the_planner_s_own_warnings_are_shown() {
    let plan = plan_of(
        &[("index.html", PAGE), ("_headers", b"/nowhere\n  X-A: b\n")],
        "",
    );
    assert!(!plan.warnings.is_empty());
    let html = render(&plan, "site");
    assert!(section(&html, "warnings").contains("/nowhere matches no file of the site"));
}

#[test]
fn the_package_bars_split_the_bytes_by_kind_and_top_folder() {
    let plan = sample();
    let html = render(&plan, "site");
    let package = section(&html, "package");
    let rows = file_rows(&html);
    let bytes = |p: &str| number(row(&rows, p)[6]);
    let legend = |label: &str, n: u64| {
        let mut shown = format!("</span>{label}<td class=num>");
        int(&mut shown, n);
        assert!(package.contains(&shown), "{label} {n}: {package}");
    };
    legend("CSS", bytes("/css/site.css"));
    legend("Images", bytes("/img/logo.png"));
    legend("/assets/", bytes("/assets/app.3f9a2c1b.js"));
    legend("/", bytes("/index.html") + bytes("/404.html"));
}

#[test]
fn the_largest_files_come_first() {
    let plan = sample();
    let html = render(&plan, "site");
    let largest = section(&html, "largest");
    let first = largest
        .lines()
        .find_map(|l| l.strip_prefix("<tr><td>"))
        .unwrap();
    assert!(first.starts_with("/img/logo.png<td"), "{first}");
}

#[test]
fn the_page_loads_nothing_and_runs_no_script() {
    let html = render(&sample(), "site");
    for needle in ["<script", "src=", "url(", "@import", "http:", "https:"] {
        assert!(!html.contains(needle), "{needle}");
    }
    // The one link: an empty icon, so a browser asks for no favicon.
    assert_eq!(html.matches("href=").count(), 1);
    assert!(html.contains("<link rel=icon href=\"data:,\">"));
}

#[test]
fn many_files_come_in_blocks() {
    let mut plan = sample();
    let template = plan.files[0].clone();
    plan.files = (0..1201)
        .map(|k| {
            let mut f = template.clone();
            f.site_path = format!("/p/{k:05}.html");
            f
        })
        .collect();
    let html = render(&plan, "site");
    assert_eq!(file_rows(&html).len(), 1201);
    assert_eq!(
        section(&html, "files").matches("<div class=block>").count(),
        3
    );
}

#[test]
fn numbers_have_thousands_separators() {
    let shown = |n| {
        let mut s = String::new();
        int(&mut s, n);
        s
    };
    assert_eq!(shown(0), "0");
    assert_eq!(shown(999), "999");
    assert_eq!(shown(1000), "1,000");
    assert_eq!(shown(28_572), "28,572");
    assert_eq!(shown(u64::MAX), "18,446,744,073,709,551,615");
    assert_eq!(human(512), "512 B");
    assert_eq!(human(28_572), "27.9 KiB");
}
