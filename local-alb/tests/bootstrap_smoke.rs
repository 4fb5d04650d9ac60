//! Smoke test against the project's real function, when one has been built.
//! Set BOOTSTRAP=path/to/bootstrap to run it (`make test-local` does).

mod common;

use common::Server;

#[test]
fn real_bootstrap_serves_the_site_through_local_alb() {
    let Some(bootstrap) =
        common::bootstrap_or_skip("real_bootstrap_serves_the_site_through_local_alb")
    else {
        return;
    };
    for flags in [
        &["--instances", "1"][..],
        &["--instances", "1", "--multi-value"][..],
    ] {
        let s = Server::start_command(flags, std::slice::from_ref(&bootstrap));
        let r = s.get("/");
        assert_eq!(r.status, 200, "{flags:?} GET /: {}", r.text());
        let ctype = r.header("content-type").unwrap_or_default();
        assert!(
            ctype.starts_with("text/html"),
            "{flags:?} content-type {ctype}"
        );
        let r = s.get("/health");
        assert_eq!(r.status, 200, "{flags:?} GET /health: {}", r.text());
    }
}
