//! `site-dev explain PATH`: which file or rule answers, the status, every header and its origin.

mod common;

use std::process::Command;

fn explain(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_site-dev"))
        .arg("explain")
        .args(args)
        .args(["--cache", "target/dev-cache"])
        .current_dir(common::repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The origin printed under a header line.
fn origin_of<'a>(report: &'a str, header: &str) -> &'a str {
    let mut lines = report.lines();
    lines
        .by_ref()
        .find(|l| l.trim_start().starts_with(&format!("{header}:")))
        .unwrap_or_else(|| panic!("no {header} in\n{report}"));
    lines.next().unwrap().trim_start().trim_start_matches("<- ")
}

#[test]
fn a_header_from_headers_names_its_line() {
    let r = explain(&["/blog/"]);
    assert!(r.contains("answered by: the file /blog/index.html"), "{r}");
    assert!(r.contains("status: 200 OK"), "{r}");
    assert_eq!(
        origin_of(&r, "X-Robots-Tag"),
        "site/_headers line 11 (/blog/*)"
    );
}

#[test]
fn the_cache_policy_names_its_setting() {
    let r = explain(&["/robots.txt"]);
    assert_eq!(origin_of(&r, "Cache-Control"), "site.toml [cache] default");
    assert_eq!(
        origin_of(&r, "X-Content-Type-Options"),
        "site.toml [security] headers (default on)"
    );
}

#[test]
fn a_redirects_rule_is_named_with_its_line_and_status() {
    let r = explain(&["/news/launch?x=1"]);
    assert!(
        r.contains("answered by: site/_redirects line 6 (/news/* /blog/:splat 302)"),
        "{r}"
    );
    assert!(r.contains("status: 302 Found"), "{r}");
    assert!(r.contains("Location: /blog/launch?x=1"), "{r}");
}

#[test]
fn a_header_removed_by_headers_is_listed_as_not_sent() {
    let r = explain(&["/.well-known/security.txt"]);
    let not_sent = r.split("not sent:").nth(1).expect("a not-sent list");
    assert!(not_sent.contains("X-Frame-Options"), "{r}");
    assert!(not_sent.contains("removed by site/_headers line 14"), "{r}");
}

#[test]
fn accept_encoding_picks_the_variant_explained() {
    let r = explain(&["/", "-H", "Accept-Encoding: br"]);
    assert!(r.contains("Content-Encoding: br"), "{r}");
    assert!(r.contains("body: "), "{r}");
    assert!(r.contains("(br); ALB accepts this response"), "{r}");
}

#[test]
fn a_missing_page_names_the_nearest_404_page() {
    let r = explain(&["/docs/guide/missing"]);
    assert!(
        r.contains("answered by: no file: the nearest 404 page, /404.html"),
        "{r}"
    );
    assert!(r.contains("status: 404 Not Found"), "{r}");
}

#[test]
fn make_explain_passes_url_and_headers() {
    let out = Command::new("make")
        .args([
            "--no-print-directory",
            "-s",
            "explain",
            "DEV_TOOL_BUILT=1",
            "URL=/about",
        ])
        .arg("H=Accept-Encoding: gzip|Accept: text/html")
        .arg(format!("DEV_TOOL={}", env!("CARGO_BIN_EXE_site-dev")))
        .current_dir(common::repo())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with(
            "GET /about  (single-value headers; Accept-Encoding: gzip; Accept: text/html)"
        ),
        "{text}"
    );
    assert!(text.contains("Content-Encoding: gzip"), "{text}");
}

#[test]
fn a_rewrite_names_the_rules_of_the_url_asked_for_not_the_files_own() {
    // /old-home is a 200 rewrite to /index.html; `/`'s Set-Cookie stays on `/`.
    let r = explain(&["/old-home"]);
    assert!(r.contains("status: 200 OK"), "{r}");
    assert!(!r.contains("Set-Cookie: visited=yes"), "{r}");
    let home = explain(&["/"]);
    assert!(home.contains("Set-Cookie: visited=yes"), "{home}");
}

/// `explain` names what answered from the steps the handler's own decision took; this holds it
/// to the status the handler sent, for every URL of the sample site and of the fixture sites
/// (each file's URLs and its own path, each `_redirects` source made concrete, and paths that
/// miss), and under a `mount`.
#[test]
fn what_explain_says_answered_agrees_with_the_status_sent_for_every_url() {
    use site_dev::explain;
    use site_dev::load::{self, Source};
    let repo = common::repo();
    let mount = std::env::temp_dir().join(format!("explain-mount-{}.toml", std::process::id()));
    std::fs::write(&mount, "mount = \"/docs\"\n").unwrap();
    let sites = [
        ("site", repo.join("site.toml"), ""),
        ("site", mount.clone(), "/docs"),
        (
            "tests/sites/spa/site",
            repo.join("tests/sites/spa/site.toml"),
            "",
        ),
        (
            "tests/sites/slashes/site",
            repo.join("tests/sites/slashes/always.toml"),
            "",
        ),
        (
            "tests/sites/slashes/site",
            repo.join("tests/sites/slashes/never.toml"),
            "",
        ),
        (
            "tests/sites/notfound/site",
            repo.join("no-such-settings.toml"),
            "",
        ),
    ];
    let mut checked = 0;
    for (dir, config, prefix) in sites {
        let source = Source {
            site_dir: repo.join(dir),
            config,
            cache_dir: repo.join("target/dev-cache"),
            epoch: None,
        };
        let loaded = load::load(&source).unwrap();
        let mut urls: Vec<String> = vec![
            "/no-such-page".into(),
            "/no/such/page/".into(),
            "/no-such-file.js".into(),
            "/%ZZ".into(),
        ];
        for f in &loaded.plan.files {
            urls.push(f.site_path.clone());
            urls.extend(site_core::plan::routes::served_at(
                &f.site_path,
                &loaded.plan.config,
            ));
        }
        for rule in &loaded.site.redirects {
            let from = rule.from.to_string();
            urls.push(
                from.split('/')
                    .map(|seg| {
                        if seg.starts_with(':') || seg == "*" {
                            "x"
                        } else {
                            seg
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
        let mut urls: Vec<String> = urls.into_iter().map(|u| format!("{prefix}{u}")).collect();
        if !prefix.is_empty() {
            urls.extend([prefix.to_string(), "/elsewhere/".into()]);
        }
        for url in urls {
            let report =
                explain::explain(&loaded.site, &loaded.plan, &source, &url, "GET", &[], false)
                    .unwrap();
            let line = |key: &str| {
                report
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .unwrap_or_else(|| panic!("no {key:?} in\n{report}"))
                    .to_string()
            };
            let by = line("answered by: ");
            let status: u16 = line("status: ")[..3].parse().unwrap();
            let fits = match by.as_str() {
                b if b.starts_with("the file ") => status == 200,
                b if b.starts_with("no file: the single-page-app fallback") => status == 200,
                b if b.starts_with("no file: the nearest 404 page") => status == 404,
                b if b.starts_with("no file, and no 404.html") => status == 404,
                b if b.starts_with("the site's own redirect") => (301..=308).contains(&status),
                b if b.starts_with("the site's mount") => (301..=308).contains(&status),
                b if b.starts_with("nothing: the path is outside") => status == 404,
                b if b.contains("_redirects line") && b.contains("serving the file") => {
                    status == 200 || status == 404
                }
                b if b.contains("_redirects line") => (301..=308).contains(&status),
                b if b.starts_with("the health check") => status == 200,
                b if b.starts_with("the server itself (400") => status == 400,
                b => panic!("{dir} {url}: an answer this test does not know: {b}"),
            };
            assert!(
                fits,
                "{dir} {url}: {by}, but the status sent was {status}\n{report}"
            );
            checked += 1;
        }
    }
    std::fs::remove_file(&mount).ok();
    assert!(checked > 60, "only {checked} URLs");
}
