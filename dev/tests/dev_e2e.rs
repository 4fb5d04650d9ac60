//! `make dev` end to end: a scratch copy of the sample site served by `make dev` (port 0), each
//! change made on disk and checked over HTTP, polling with a generous deadline (no timing is
//! asserted: `make bench-dev` measures speed).

mod common;

use common::{Dev, Events, Scratch};

#[test]
fn an_edited_page_is_served_after_the_edit() {
    let s = Scratch::sample("edit");
    let dev = Dev::start(&s, &[]);
    assert!(dev.get("/about").text().contains("About"));
    let page = s.read("about.html").replace("</h1>", " (edited)</h1>");
    s.write("about.html", &page);
    let r = dev.poll("/about", |r| r.text().contains("(edited)"));
    assert_eq!(r.status, 200);
}

#[test]
fn an_edit_of_one_file_reads_and_encodes_that_file_only() {
    let s = Scratch::sample("one-file");
    s.age();
    let mut dev = Dev::start(&s, &[]);
    let page = s.read("about.html").replace("</h1>", " (once)</h1>");
    s.write("about.html", &page);
    dev.poll("/about", |r| r.text().contains("(once)"));
    let replan = dev.wait_for_log(|log| {
        let line = log
            .lines()
            .find(|l| l.starts_with("site-dev: re-planned "))?;
        Some(line.to_string())
    });
    assert!(
        replan.contains("(1 read, the others unchanged)"),
        "{replan}"
    );
}

#[test]
fn an_edit_is_seen_when_polling_instead_of_file_events() {
    let s = Scratch::sample("poll");
    let mut dev = Dev::start(&s, &["POLL=1"]);
    dev.wait_for_log(|log| log.contains("polling for changes (--poll)").then_some(()));
    let page = s.read("about.html").replace("</h1>", " (polled)</h1>");
    s.write("about.html", &page);
    dev.poll("/about", |r| r.text().contains("(polled)"));
}

#[test]
fn a_file_saved_by_write_and_rename_is_served_after_the_save() {
    let s = Scratch::sample("rename");
    let dev = Dev::start(&s, &[]);
    let page = s.read("about.html").replace("</h1>", " (renamed)</h1>");
    // As editors save: a temporary file beside it, then a rename over it.
    s.write(".about.html.tmp", &page);
    std::fs::rename(
        s.site().join(".about.html.tmp"),
        s.site().join("about.html"),
    )
    .unwrap();
    dev.poll("/about", |r| r.text().contains("(renamed)"));
}

#[test]
fn a_deleted_file_is_gone_after_the_delete() {
    let s = Scratch::sample("delete");
    let dev = Dev::start(&s, &[]);
    assert_eq!(dev.get("/robots.txt").status, 200);
    std::fs::remove_file(s.site().join("robots.txt")).unwrap();
    dev.poll("/robots.txt", |r| r.status == 404);
}

#[test]
fn a_new_file_is_served_once_added() {
    let s = Scratch::sample("add");
    let dev = Dev::start(&s, &[]);
    assert_eq!(dev.get("/fresh/page").status, 404);
    s.write("fresh/page.html", "<p>fresh</p>");
    let r = dev.poll("/fresh/page", |r| r.status == 200);
    assert!(r.text().starts_with("<p>fresh</p>"), "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
}

#[test]
fn a_broken_headers_file_shows_file_line_reason_until_it_is_fixed() {
    let s = Scratch::sample("broken");
    let mut dev = Dev::start(&s, &[]);
    let good = s.read("_headers");
    let broken = format!("{good}\n/about\n  ETag: \"mine\"\n");
    let line = broken.lines().position(|l| l.contains("ETag")).unwrap() + 1;
    s.write("_headers", &broken);
    let expected = format!("_headers:{line}: ETag is computed by the server");
    let page = dev.poll("/about", |r| r.status == 500);
    assert!(page.text().contains(&expected), "{}", page.text());
    assert!(
        page.text().contains("/_dev/events"),
        "the error page reloads itself"
    );
    dev.wait_for_log(|log| log.contains(&expected).then_some(()));

    s.write("_headers", &format!("{good}\n/about\n  X-Fixed: yes\n"));
    let fixed = dev.poll("/about", |r| r.status == 200);
    assert_eq!(fixed.header("x-fixed"), Some("yes"));
}

#[test]
fn a_broken_settings_file_is_shown_with_its_line_and_the_server_stays_up() {
    let s = Scratch::sample("settings");
    let dev = Dev::start(&s, &[]);
    std::fs::write(s.config(), "# line 1\nredirect_status = 418\n").unwrap();
    let page = dev.poll("/", |r| r.status == 500);
    assert!(
        page.text().contains("site.toml:2: redirect_status = 418"),
        "{}",
        page.text()
    );
    std::fs::write(s.config(), "redirect_status = 302\n").unwrap();
    let r = dev.poll("/about.html", |r| r.status != 500);
    assert_eq!(r.status, 302, "the new setting is in force");
}

#[test]
fn an_open_page_is_told_to_reload_after_a_change() {
    let s = Scratch::sample("reload");
    let dev = Dev::start(&s, &[]);
    let mut events = Events::open(dev.port);
    let first = events.next_data();
    s.write("robots.txt", "User-agent: *\nDisallow: /private\n");
    let next = events.next_data();
    assert_ne!(first, next, "a new generation is announced");
}

#[test]
fn html_pages_carry_the_reload_script_and_other_files_do_not() {
    let s = Scratch::sample("script");
    let dev = Dev::start(&s, &[]);
    for encoding in ["identity", "gzip", "br"] {
        let r = dev.request("GET", "/", &[("Accept-Encoding", encoding)]);
        assert_eq!(r.status, 200);
        assert!(r.header("x-dev-reload").is_some(), "{encoding}: {r:?}");
    }
    let plain = dev.request("GET", "/", &[("Accept-Encoding", "identity")]);
    assert!(plain.text().contains("<script data-site-dev>"));
    let css = dev.get("/robots.txt");
    assert!(css.header("x-dev-reload").is_none());
    assert!(!css.text().contains("site-dev"));
}

#[test]
fn every_response_revalidates_and_names_the_policy_the_binary_sends() {
    let s = Scratch::sample("cache");
    let dev = Dev::start(&s, &[]);
    let r = dev.get("/robots.txt");
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(
        r.header("x-dev-cache-control"),
        Some("public, max-age=3600")
    );
}

#[test]
fn trace_gets_alb_s_own_405_page() {
    let s = Scratch::sample("trace");
    let dev = Dev::start(&s, &[]);
    let trace = dev.request("TRACE", "/", &[]);
    assert_eq!(trace.status, 405);
    assert_eq!(trace.header("server"), Some("awselb/2.0"));
    assert!(trace
        .text()
        .contains("<center><h1>405 Method Not Allowed</h1></center>"));
}

#[test]
fn a_post_gets_the_function_s_405_in_alb_s_shape() {
    let s = Scratch::sample("post");
    let dev = Dev::start(&s, &[]);
    let post = dev.request("POST", "/", &[("Content-Length", "0")]);
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
}

#[test]
fn a_redirects_rule_of_the_site_answers() {
    let s = Scratch::sample("redirect");
    let dev = Dev::start(&s, &[]);
    let r = dev.get("/news/launch");
    assert_eq!(
        (r.status, r.header("location")),
        (302, Some("/blog/launch"))
    );
}

#[test]
fn multi_value_mode_sends_every_cookie() {
    let s = Scratch::sample("multi");
    let dev = Dev::start(&s, &["MULTI_VALUE=1"]);
    let r = dev.get("/about");
    let cookies = r.headers.iter().filter(|(n, _)| n == "set-cookie").count();
    assert_eq!(cookies, 2, "{r:?}");
}
