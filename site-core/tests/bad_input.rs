//! Bad input at build time: each is a clear error that names the path(s) and says what to do,
//! or is served correctly, and none panics. Planned in memory through the build's own planner
//! (what is served is tested against the handler in `tests/sites.rs`).

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use site_core::plan::{self, memory, walk, Config, Input};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bad-input-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("site")).unwrap();
    dir
}

fn plan_err(dir: &std::path::Path, toml: &str) -> String {
    let input = Input {
        site_dir: dir.join("site"),
        config: PathBuf::new(),
        cache_dir: dir.join("cache"),
        epoch: Some(0),
    };
    plan::plan_with(&input, Config::parse(toml).unwrap())
        .map(|_| ())
        .expect_err("the plan should fail")
        .to_string()
}

#[test]
fn a_name_that_is_not_utf8_is_an_error_naming_it_and_saying_to_rename_it() {
    let dir = scratch("not-utf8");
    std::fs::write(dir.join("site/index.html"), "x").unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.html");
    std::fs::write(dir.join("site").join(name), "x").unwrap();
    let e = plan_err(&dir, "");
    assert!(e.contains("caf\u{fffd}.html"), "{e}");
    assert!(e.contains("not UTF-8") && e.contains("rename it"), "{e}");
}

#[test]
fn a_url_longer_than_a_request_path_may_be_is_an_error_naming_the_file() {
    let dir = scratch("long-url");
    std::fs::write(dir.join("site/index.html"), "x").unwrap();
    // 16 folders of 80 two- and three-byte characters: 3.2 KB on disk, 9.6 KB percent-encoded.
    let folder = "é".repeat(40) + &"€".repeat(40);
    let mut deep = dir.join("site");
    for _ in 0..16 {
        deep = deep.join(&folder);
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("page.html"), "x").unwrap();
    let e = plan_err(&dir, "");
    assert!(
        e.contains("page.html") && e.contains("percent-encoded"),
        "{e}"
    );
    assert!(e.contains("shorten"), "{e}");
}

#[test]
fn two_files_served_at_one_url_are_an_error_naming_both() {
    let dir = scratch("one-url");
    for f in ["index.html", "about.html", "about/index.html"] {
        let p = dir.join("site").join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x").unwrap();
    }
    let e = plan_err(&dir, "trailing_slash = \"never\"");
    assert!(
        e.contains("/about.html and /about/index.html would both be served at the URL /about"),
        "{e}"
    );
    assert!(e.contains("rename or remove one"), "{e}");
}

#[test]
fn a_site_over_the_package_budget_with_too_large_fail_names_s3_and_the_largest_files() {
    let dir = scratch("budget");
    let mut x = 1u32;
    let noise: Vec<u8> = (0..300_000)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(dir.join("site/index.html"), "x").unwrap();
    std::fs::write(dir.join("site/a.bin"), &noise).unwrap();
    std::fs::write(dir.join("site/b.bin"), &noise[..200_000]).unwrap();
    let e = plan_err(
        &dir,
        "[limits]\npackage_budget = 400000\ntoo_large = \"fail\"\n",
    );
    assert!(e.contains("limits.too_large = \"s3\""), "{e}");
    assert!(e.contains("262,144,000"), "{e}");
    assert!(e.contains("/a.bin") && e.contains("/b.bin"), "{e}");
}

#[test]
fn the_default_package_budget_is_lambdas_unzipped_limit_less_the_server() {
    let budget = Config::default().limits.package_budget;
    assert!((200_000_000..262_144_000).contains(&budget), "{budget}");
}

#[test]
fn a_hundred_thousand_files_in_one_folder_are_walked_in_order() {
    let dir = scratch("wide");
    let site = dir.join("site");
    for i in 0..100_000 {
        std::fs::write(site.join(format!("f{i:06}.txt")), "").unwrap();
    }
    let root = site.canonicalize().unwrap();
    let (files, warnings) = walk::walk(&root).unwrap();
    assert_eq!(files.len(), 100_000);
    assert!(warnings.is_empty());
    assert_eq!(files[0].site_path, "/f000000.txt");
    assert_eq!(files[99_999].site_path, "/f099999.txt");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_folder_of_two_thousand_files_packs_and_every_one_is_routed() {
    let files: Vec<(String, Vec<u8>)> = (0..2_000)
        .map(|i| {
            (
                format!("many/p{i:05}.txt"),
                format!("page {i}").into_bytes(),
            )
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), &b[..])).collect();
    let site = memory::from_files(&refs, "").unwrap();
    assert_eq!(site.files_len(), 2_000);
    for i in [0, 999, 1_999] {
        assert!(site.route(&format!("/many/p{i:05}.txt")).is_some(), "{i}");
    }
}
