use super::*;
use site_core::plan::memory::from_files;

const PLAIN: Context = Context {
    multi: false,
    door: crate::door::Door::Alb,
    head: false,
    https: false,
    mount: "",
    private: false,
};

fn header<'r>(r: &'r Response<'_>, name: &str) -> Option<&'r str> {
    r.header(name)
}

#[test]
fn a_304_carries_etag_cache_control_and_vary_and_no_body() {
    let site = from_files(&[("a.css", "body{}".repeat(200).as_bytes())], "").unwrap();
    let file = site.file(0);
    let variant = file.variants.get(1).unwrap();
    let r = render(
        &site,
        Outcome::NotModified {
            file,
            variant,
            at: None,
        },
        PLAIN,
    );
    assert_eq!(r.status, Status::NotModified);
    assert_eq!(header(&r, "ETag"), Some(variant.etag));
    assert_eq!(header(&r, "Cache-Control"), Some("public, max-age=3600"));
    assert_eq!(header(&r, "Vary"), Some("Accept-Encoding"));
    assert_eq!(r.body_len(), 0);
}

#[test]
fn hsts_goes_out_only_over_https_and_only_where_headers_keep_it() {
    let site = from_files(
        &[
            ("a.txt", b"a"),
            ("b.txt", b"b"),
            ("_headers", b"/b.txt\n  ! Strict-Transport-Security\n"),
        ],
        "[security]\nhsts = \"max-age=60\"",
    )
    .unwrap();
    let https = Context {
        https: true,
        ..PLAIN
    };
    let serve = |i: u32, cx| {
        let file = site.file(i);
        let outcome = Outcome::File {
            file,
            variant: file.identity(),
            status: Status::Ok,
            range: None,
            at: None,
        };
        render(&site, outcome, cx)
    };
    assert_eq!(
        header(&serve(0, https), "Strict-Transport-Security"),
        Some("max-age=60")
    );
    assert_eq!(header(&serve(0, PLAIN), "Strict-Transport-Security"), None);
    assert_eq!(header(&serve(1, https), "Strict-Transport-Security"), None);
    let built_in = render(&site, Outcome::NotFound, https);
    assert_eq!(
        header(&built_in, "Strict-Transport-Security"),
        Some("max-age=60")
    );
}

#[test]
fn the_built_in_answers_use_the_error_cache_policy() {
    let site = from_files(&[("a.txt", b"a")], "[cache]\nerrors = \"max-age=5\"").unwrap();
    for outcome in [
        Outcome::NotFound,
        Outcome::AssetNotFound,
        Outcome::MethodNotAllowed,
        Outcome::UriTooLong,
        Outcome::BadRequest("no".into()),
        Outcome::NotAcceptable {
            file: site.file(0),
            too_large: false,
        },
    ] {
        let r = render(&site, outcome, PLAIN);
        assert_eq!(
            header(&r, "Cache-Control"),
            Some("max-age=5"),
            "{:?}",
            r.status
        );
    }
}

#[test]
fn head_gets_the_get_headers_and_no_body() {
    let site = from_files(&[("a.txt", b"hello")], "").unwrap();
    let file = site.file(0);
    let outcome = || Outcome::File {
        file,
        variant: file.identity(),
        status: Status::Ok,
        range: None,
        at: None,
    };
    let get = render(&site, outcome(), PLAIN);
    let head = render(
        &site,
        outcome(),
        Context {
            head: true,
            ..PLAIN
        },
    );
    assert_eq!(get.headers, head.headers);
    assert_eq!((get.body_len(), head.body_len()), (5, 0));
}

#[test]
fn a_range_is_sent_as_base64_of_exactly_its_bytes() {
    let site = from_files(&[("a.bin", &[0u8, 1, 2, 3, 4, 5, 6, 7, 8, 9])], "").unwrap();
    let file = site.file(0);
    let outcome = Outcome::File {
        file,
        variant: file.identity(),
        status: Status::PartialContent,
        range: Some((2, 6)),
        at: None,
    };
    let r = render(&site, outcome, PLAIN);
    assert_eq!(header(&r, "Content-Range"), Some("bytes 2-6/10"));
    assert!(r.base64);
    assert_eq!(r.body_len(), 5);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["body"],
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [2, 3, 4, 5, 6])
    );
}

const PRIVATE: Context = Context {
    private: true,
    ..PLAIN
};

fn headers_named<'r>(r: &'r Response<'_>, name: &str) -> Vec<&'r str> {
    r.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
        .collect()
}

#[test]
fn a_304_after_a_login_is_private_and_varies_by_cookie() {
    let site = from_files(&[("a.css", "body{}".repeat(200).as_bytes())], "").unwrap();
    let file = site.file(0);
    let variant = file.variants.get(1).unwrap();
    let outcome = Outcome::NotModified {
        file,
        variant,
        at: None,
    };
    let r = render(&site, outcome, PRIVATE);
    assert_eq!(
        headers_named(&r, "Cache-Control"),
        ["private, max-age=3600"]
    );
    assert_eq!(headers_named(&r, "Vary"), ["Accept-Encoding, Cookie"]);
}

#[test]
fn an_answer_with_no_cache_policy_gets_private_and_vary_cookie_after_a_login() {
    let site = from_files(&[("a.txt", b"a")], "").unwrap();
    let redirect = || Outcome::Redirect {
        status: Status::PermanentRedirect,
        location: "/a.txt".into(),
    };
    let r = render(&site, redirect(), PRIVATE);
    assert_eq!(headers_named(&r, "Cache-Control"), ["private"]);
    assert_eq!(headers_named(&r, "Vary"), ["Cookie"]);
    let public = render(&site, redirect(), PLAIN);
    assert!(headers_named(&public, "Cache-Control").is_empty());
    assert!(headers_named(&public, "Vary").is_empty());
}

#[test]
fn a_location_on_the_site_gets_the_mount_and_one_elsewhere_does_not() {
    let site = from_files(&[("a.txt", b"a")], "").unwrap();
    let mounted = Context {
        mount: "/prod/docs",
        ..PLAIN
    };
    let to = |location: &str| {
        let outcome = Outcome::Redirect {
            status: Status::Found,
            location: location.into(),
        };
        let r = render(&site, outcome, mounted);
        header(&r, "Location").map(str::to_string)
    };
    assert_eq!(to("/a.txt").as_deref(), Some("/prod/docs/a.txt"));
    assert_eq!(
        to("https://example.com/x").as_deref(),
        Some("https://example.com/x")
    );
    assert_eq!(to("//example.com/x").as_deref(), Some("//example.com/x"));
}

#[test]
fn after_a_login_a_cdns_s_maxage_and_public_are_dropped() {
    let site = from_files(
        &[("a.css", b"body{}")],
        "[cache]\ndefault = \"public, max-age=60\"\n[cache.cdn]\ndefault = 600\n",
    )
    .unwrap();
    let file = site.file(0);
    let outcome = || Outcome::File {
        file,
        variant: file.identity(),
        status: Status::Ok,
        range: None,
        at: None,
    };
    assert_eq!(
        headers_named(&render(&site, outcome(), PLAIN), "Cache-Control"),
        ["public, max-age=60, s-maxage=600"]
    );
    assert_eq!(
        headers_named(&render(&site, outcome(), PRIVATE), "Cache-Control"),
        ["private, max-age=60"]
    );
}
