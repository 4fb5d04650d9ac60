//! `site-dev check` (make check): errors as `file:line: reason` with exit 1, and the warnings.

mod common;

use std::process::Command;

use common::Scratch;

/// Runs `site-dev check` on the scratch site; exit code and what it printed.
fn check(s: &Scratch, extra: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_site-dev"))
        .arg("check")
        .arg("--site")
        .arg(s.site())
        .arg("--config")
        .arg(s.config())
        .args(["--cache", "target/dev-cache"])
        .args(extra)
        .current_dir(common::repo())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_redirects_line_fails_with_file_line_reason_and_exit_1() {
    let s = Scratch::sample("check-bad");
    let good = s.read("_redirects");
    let bad = format!("{good}/teapot /  418\n");
    let line = bad.lines().count();
    s.write("_redirects", &bad);
    let (code, out) = check(&s, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("_redirects:{line}: status 418 is not supported")),
        "{out}"
    );
}

#[test]
fn a_bad_settings_value_fails_naming_its_line() {
    let s = Scratch::sample("check-settings");
    std::fs::write(s.config(), "spa = \"auto\"\n[cache]\nhtml = \"\"\n").unwrap();
    let (code, out) = check(&s, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("site.toml:3: cache.html must not be empty"),
        "{out}"
    );
}

#[test]
fn the_sample_site_passes() {
    let s = Scratch::sample("check-ok");
    let (code, out) = check(&s, &["--multi-value"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("is fine"), "{out}");
}

#[test]
fn a_redirect_shadowed_by_a_file_is_a_warning() {
    let s = Scratch::sample("check-shadow");
    let rules = format!("{}/about.html /blog/ 302\n", s.read("_redirects"));
    let line = rules.lines().count();
    s.write("_redirects", &rules);
    let (code, out) = check(&s, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("_redirects:{line}: /about.html never fires")),
        "{out}"
    );
    assert!(out.contains("302!"), "{out}");
}

#[test]
fn a_forced_redirect_over_a_file_is_not_a_warning() {
    let s = Scratch::sample("check-forced");
    s.write(
        "_redirects",
        &format!("{}/about.html /blog/ 302!\n", s.read("_redirects")),
    );
    let (_, out) = check(&s, &[]);
    assert!(!out.contains("never fires"), "{out}");
}

#[test]
fn a_rule_after_an_identical_one_is_a_warning() {
    let s = Scratch::sample("check-twice");
    s.write("_redirects", "/gone /  302\n/gone /blog/ 301\n");
    let (_, out) = check(&s, &[]);
    assert!(
        out.contains("_redirects:2: /gone never fires: the rule on line 1"),
        "{out}"
    );
}

#[test]
fn a_headers_pattern_that_matches_no_file_is_a_warning() {
    let s = Scratch::sample("check-nomatch");
    let text = format!("{}\n/nothing/here/*\n  X-A: 1\n", s.read("_headers"));
    let line = text.lines().position(|l| l == "/nothing/here/*").unwrap() + 1;
    s.write("_headers", &text);
    let (code, out) = check(&s, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("_headers:{line}: /nothing/here/* matches no file")),
        "{out}"
    );
}

#[test]
fn two_cookies_warn_in_single_value_mode_only() {
    let s = Scratch::sample("check-cookies");
    let (_, single) = check(&s, &[]);
    assert!(single.contains("2 Set-Cookie headers"), "{single}");
    let (_, multi) = check(&s, &["--multi-value"]);
    assert!(!multi.contains("Set-Cookie"), "{multi}");
}

#[test]
fn make_check_fails_on_a_broken_site() {
    let s = Scratch::sample("check-make");
    s.write("_headers", "  X-A: 1\n");
    let out = Command::new("make")
        .args(["--no-print-directory", "-s", "check", "DEV_TOOL_BUILT=1"])
        .arg(format!("DEV_TOOL={}", env!("CARGO_BIN_EXE_site-dev")))
        .arg(format!("SITE_DIR={}", s.site().display()))
        .arg(format!("SITE_CONFIG={}", s.config().display()))
        .current_dir(common::repo())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("_headers:1: a header line comes before any URL pattern"),
        "{err}"
    );
}
