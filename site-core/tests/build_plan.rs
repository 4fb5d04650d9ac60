//! The build-time planning, tested directly: URL routes for every trailing-slash policy and
//! clean-URL setting, and validation of the settings file.

use site_core::plan::{routes, Config};
use site_core::site::Route;

const SITE: &[&str] = &[
    "/index.html",
    "/about.html",
    "/blog/index.html",
    "/blog/post.html",
    "/img/a.png",
];

fn plan(toml: &str) -> std::collections::BTreeMap<String, Route> {
    let config = Config::parse(toml).unwrap();
    let paths: Vec<String> = SITE.iter().map(|s| s.to_string()).collect();
    routes::build(&paths, &config).0
}

fn serves(map: &std::collections::BTreeMap<String, Route>, url: &str, file: &str) {
    let i = SITE.iter().position(|p| *p == file).unwrap();
    assert_eq!(
        map.get(url),
        Some(&Route::File(i as u32)),
        "{url} should serve {file}"
    );
}

fn redirects(map: &std::collections::BTreeMap<String, Route>, url: &str, to: &str) {
    assert_eq!(
        map.get(url),
        Some(&Route::Redirect(to.to_string().into())),
        "{url} should redirect to {to}"
    );
}

#[test]
fn auto_policy_gives_folders_a_slash_and_pages_none() {
    let m = plan("");
    serves(&m, "/", "/index.html");
    serves(&m, "/blog/", "/blog/index.html");
    redirects(&m, "/blog", "/blog/");
    serves(&m, "/about", "/about.html");
    redirects(&m, "/about.html", "/about");
    redirects(&m, "/about/", "/about");
    redirects(&m, "/index.html", "/");
    redirects(&m, "/blog/index.html", "/blog/");
    serves(&m, "/img/a.png", "/img/a.png");
}

#[test]
fn always_policy_puts_a_slash_on_every_page() {
    let m = plan("trailing_slash = \"always\"");
    serves(&m, "/about/", "/about.html");
    redirects(&m, "/about", "/about/");
    redirects(&m, "/about.html", "/about/");
    serves(&m, "/blog/post/", "/blog/post.html");
    redirects(&m, "/blog", "/blog/");
}

#[test]
fn never_policy_drops_the_slash_from_folders() {
    let m = plan("trailing_slash = \"never\"");
    serves(&m, "/blog", "/blog/index.html");
    redirects(&m, "/blog/", "/blog");
    serves(&m, "/", "/index.html");
    serves(&m, "/about", "/about.html");
}

#[test]
fn without_clean_urls_html_files_keep_their_names() {
    let m = plan("clean_urls = false");
    serves(&m, "/about.html", "/about.html");
    assert!(!m.contains_key("/about"));
    serves(&m, "/index.html", "/index.html");
    serves(&m, "/blog/", "/blog/index.html");
}

#[test]
fn two_files_claiming_one_url_warn_and_the_exact_file_wins() {
    let config = Config::parse("trailing_slash = \"never\"").unwrap();
    let paths = vec!["/about.html".to_string(), "/about/index.html".to_string()];
    let (m, warnings) = routes::build(&paths, &config);
    assert_eq!(m.get("/about"), Some(&Route::File(0)));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
}

#[test]
fn redirects_never_point_off_site() {
    for toml in [
        "",
        "trailing_slash = \"always\"",
        "trailing_slash = \"never\"",
    ] {
        for (url, t) in plan(toml) {
            if let Route::Redirect(to) = t {
                assert!(
                    to.starts_with('/') && !to.starts_with("//"),
                    "{url} -> {to}"
                );
            }
        }
    }
}

#[test]
fn unknown_setting_is_an_error() {
    assert!(Config::parse("helth_path = \"/x\"")
        .unwrap_err()
        .contains("helth_path"));
}

#[test]
fn bad_values_are_errors_that_name_the_key() {
    for (toml, key) in [
        ("health_path = \"health\"", "health_path"),
        ("health_path = \"//x\"", "health_path"),
        ("mount = \"docs\"", "mount"),
        ("mount = \"/docs/\"", "mount"),
        ("mount = \"/\"", "mount"),
        ("mount = \"/a//b\"", "mount"),
        ("mount = \"/a/../b\"", "mount"),
        ("mount = \"/a b\"", "mount"),
        ("mount = \"/a?b\"", "mount"),
        ("[limits]\nlambda_sized = \"maybe\"", "lambda_sized"),
        ("redirect_status = 200", "redirect_status"),
        ("spa = \"maybe\"", "spa"),
        ("trailing_slash = \"sometimes\"", "trailing_slash"),
        ("[security]\nframe_options = \"ALLOW\"", "frame_options"),
        ("[limits]\ntoo_large = \"redirect\"", "external_prefix"),
        ("[compression]\nmax_ratio = 1.5", "max_ratio"),
        ("[cache]\nhtml = \"\"", "cache.html"),
    ] {
        let e = Config::parse(toml).unwrap_err();
        assert!(e.contains(key), "{toml}: {e}");
    }
}

#[test]
fn a_mount_of_plain_path_segments_is_accepted() {
    for mount in ["", "/docs", "/v1/site", "/a-b_c.d~e"] {
        let c = Config::parse(&format!("mount = {mount:?}")).unwrap();
        assert_eq!(c.mount, mount);
    }
}

#[test]
fn security_headers_follow_the_settings() {
    let s = Config::parse("[security]\nframe_options = \"DENY\"").unwrap();
    let h = s.security_headers();
    assert!(h.contains(&("X-Frame-Options".into(), "DENY".into())));
    assert!(h.contains(&(
        "Content-Security-Policy".into(),
        "frame-ancestors 'none'".into()
    )));
    assert!(Config::parse("[security]\nheaders = false")
        .unwrap()
        .security_headers()
        .is_empty());
}

/// The plan's warnings for a site made of `files` in a scratch folder.
fn warnings(files: &[(&str, &str)], toml: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "build-plan-warnings-{}-{}",
        std::process::id(),
        files.len()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let file = dir.join("site").join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let input = site_core::plan::Input {
        site_dir: dir.join("site"),
        config: dir.join("none.toml"),
        cache_dir: dir.join("cache"),
        epoch: Some(0),
    };
    let plan = site_core::plan::plan_with(&input, Config::parse(toml).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    plan.warnings
}

#[test]
fn a_headers_pattern_that_matches_no_file_is_a_warning_with_its_line() {
    let w = warnings(
        &[
            ("index.html", "x"),
            ("css/a.css", "a{}"),
            ("_headers", "/css/*\n  X-A: 1\n/scripts/*\n  X-B: 2\n"),
        ],
        "spa = \"off\"",
    );
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].ends_with(
            "_headers:3: /scripts/* matches no file of the site, so its headers are never sent"
        ),
        "{w:?}"
    );
}

#[test]
fn the_deploy_facts_list_the_public_patterns_of_a_private_site() {
    // The deploy gives each of them an ALB rule with no login: they must reach it from the binary.
    let dir = std::env::temp_dir().join(format!("build-plan-facts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("site")).unwrap();
    std::fs::write(dir.join("site/index.html"), "<p>hi</p>").unwrap();
    let input = site_core::plan::Input {
        site_dir: dir.join("site"),
        config: dir.join("none.toml"),
        cache_dir: dir.join("cache"),
        epoch: Some(0),
    };
    let toml = "[auth]\npublic = [\"/\", \"/docs/:page\"]\n";
    let plan = site_core::plan::plan_with(&input, Config::parse(toml).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let facts = site_core::plan::embed::deploy_info(&plan);
    let json = facts
        .trim()
        .strip_prefix("alb-static-site-deploy-info ")
        .unwrap();
    let facts: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(
        facts["auth"]["public"],
        serde_json::json!(["/", "/docs/:page"])
    );
}
