//! Files that are never served: dotfiles (but `.well-known/`), `_headers`, `_redirects`.

use crate::common::*;

#[test]
fn dotfiles_are_not_served() {
    assert_eq!(status(&get("/.env")), 404);
    assert_eq!(status(&get("/%2eenv")), 404);
}

#[test]
fn well_known_folder_is_served() {
    let r = get("/.well-known/security.txt");
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), site_file("/.well-known/security.txt"));
}

#[test]
fn headers_file_is_never_served() {
    assert_eq!(status(&get("/_headers")), 404);
}

#[test]
fn redirects_file_is_never_served() {
    assert_eq!(status(&get("/_redirects")), 404);
}
