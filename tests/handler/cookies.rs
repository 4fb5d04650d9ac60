//! Cookies set by `_headers`, in each header mode.

use crate::common::*;

#[test]
fn headers_file_sets_a_cookie_on_the_home_page() {
    assert_eq!(
        header(&get("/"), "set-cookie"),
        Some("visited=yes; Path=/; SameSite=Lax")
    );
}

#[test]
fn several_cookies_go_out_as_a_list_in_multi_value_mode() {
    let r = call(&event_multi("GET", "/about", &[]));
    assert_eq!(
        header_values(&r, "set-cookie"),
        vec![
            "theme=light; Path=/; SameSite=Lax".to_string(),
            "seen-about=1; Path=/; Max-Age=86400; SameSite=Lax".to_string()
        ]
    );
}

#[test]
fn single_value_mode_sends_only_the_first_cookie() {
    let r = get("/about");
    let cookies: Vec<_> = r["headers"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.eq_ignore_ascii_case("set-cookie"))
        .collect();
    assert_eq!(cookies.len(), 1);
    assert_eq!(
        header(&r, "set-cookie"),
        Some("theme=light; Path=/; SameSite=Lax")
    );
}
