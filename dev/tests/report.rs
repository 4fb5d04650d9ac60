//! The build report of the site being edited: `make dev`'s `/_dev/report`, rendered from the
//! plan in memory (and again after each change), and `site-dev report`.

mod common;

use std::process::Command;

use common::{Dev, Scratch};

/// The number a report shows for one of its totals.
fn total(page: &str, key: &str) -> u64 {
    let marker = format!("<b data-total={key}>");
    let at = page.find(&marker).expect("the total") + marker.len();
    let shown: String = page[at..].chars().take_while(|&c| c != '<').collect();
    shown.replace(',', "").parse().unwrap()
}

/// Whether the report lists the file (its site path as the page writes it, escaped).
fn lists(page: &str, site_path: &str) -> bool {
    page.contains(&format!("\n<tr><td>{site_path}<td>"))
}

#[test]
fn make_dev_serves_the_report_of_the_site_being_edited() {
    let s = Scratch::sample("report");
    let dev = Dev::start(&s, &[]);
    let r = dev.get("/_dev/report");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let page = r.text();
    assert!(lists(&page, "/about.html"), "{page}");
    assert!(lists(&page, "/docs/release notes.txt"));
    let files = std::fs::read_dir(s.site().join("blog")).unwrap().count();
    assert_eq!(rows_under(&page, "/blog/"), files, "every file of blog/");
    assert_eq!(total(&page, "files"), rows_under(&page, "/") as u64);
}

/// How many rows of "All files" are of files under `folder`.
fn rows_under(page: &str, folder: &str) -> usize {
    let start = page.find("<section id=files>").expect("the files");
    let end = start + page[start..].find("</section>").expect("their end");
    page[start..end]
        .matches(&format!("\n<tr><td>{folder}"))
        .count()
}

#[test]
fn the_report_follows_an_edit() {
    let s = Scratch::sample("report-edit");
    let dev = Dev::start(&s, &[]);
    let before = total(&dev.get("/_dev/report").text(), "files");
    s.write("fresh/new <page> & more.html", "<p>fresh</p>");
    let r = dev.poll("/_dev/report", |r| {
        lists(&r.text(), "/fresh/new &lt;page&gt; &amp; more.html")
    });
    assert_eq!(total(&r.text(), "files"), before + 1);
}

#[test]
fn the_report_reloads_itself_after_a_change() {
    let s = Scratch::sample("report-reload");
    let dev = Dev::start(&s, &[]);
    let page = dev.get("/_dev/report").text();
    assert!(page.contains("<script data-site-dev>"), "{page}");
}

#[test]
fn the_report_of_a_site_that_cannot_be_planned_says_why() {
    let s = Scratch::sample("report-broken");
    let dev = Dev::start(&s, &[]);
    let good = s.read("_headers");
    let broken = format!("{good}\n/about\n  ETag: \"mine\"\n");
    let line = broken.lines().position(|l| l.contains("ETag")).unwrap() + 1;
    s.write("_headers", &broken);
    let r = dev.poll("/_dev/report", |r| r.status == 500);
    let expected = format!("_headers:{line}: ETag is computed by the server");
    assert!(r.text().contains(&expected), "{}", r.text());
    s.write("_headers", &good);
    dev.poll("/_dev/report", |r| r.status == 200);
}

#[test]
fn site_dev_report_writes_the_page_and_what_the_packed_site_holds() {
    let s = Scratch::sample("report-cli");
    let out = s.dir.join("report.html");
    let run = Command::new(env!("CARGO_BIN_EXE_site-dev"))
        .arg("report")
        .arg("--site")
        .arg(s.site())
        .arg("--config")
        .arg(s.config())
        .args(["--cache", "target/dev-cache"])
        .arg("--out")
        .arg(&out)
        .current_dir(common::repo())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{said}");
    let page = std::fs::read_to_string(&out).unwrap();
    let line = |label: &str| -> u64 {
        let prefix = format!("{label}: ");
        said.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {label} in {said}"))
            .parse()
            .unwrap()
    };
    assert_eq!(total(&page, "files"), line("files"));
    assert_eq!(total(&page, "embedded-bytes"), line("embedded bytes"));
    assert_eq!(total(&page, "s3-files"), line("files kept in S3"));
    assert!(
        !page.contains("<script"),
        "the built report has no script; only dev's has the reload script"
    );
}
