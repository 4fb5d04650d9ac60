//! The whole function: a site and an ALB event in, an ALB response out. Pure; the shells add I/O
//! and logs.

use std::borrow::Cow;

use crate::alb::{self, Response};
use crate::render::{self, Context};
use crate::resolve::{self, Outcome};
use crate::site::{Site, SITE};

/// Answers one ALB event (the raw JSON) from the embedded site.
pub fn handle(event: &str) -> Response<'static> {
    handle_site(&SITE, event)
}

/// Answers one ALB event (the raw JSON) from `site`. Never fails: a malformed event gets a 400
/// response in the mode it came in, because an error here would reach the client as ALB's 502.
pub fn handle_site<'s>(site: &'s Site, event: &str) -> Response<'s> {
    handle_with_request_line(site, event).0
}

/// The request's method and raw path, for the access log ("-" when the event had none).
#[derive(Debug)]
pub struct RequestLine<'a> {
    pub method: Cow<'a, str>,
    pub path: Cow<'a, str>,
}

/// [`handle_site`], also returning the method and path to log.
pub fn handle_with_request_line<'s, 'e>(
    site: &'s Site,
    event: &'e str,
) -> (Response<'s>, RequestLine<'e>) {
    match alb::parse_request(event) {
        Ok(req) => {
            let cx = Context {
                multi: req.multi,
                head: req.method == "HEAD",
                https: req.headers.https(),
            };
            let response = render::render(site, resolve::resolve(site, &req), cx);
            let line = RequestLine {
                method: req.method,
                path: req.path,
            };
            (response, line)
        }
        Err(e) => (
            render::render(
                site,
                Outcome::BadRequest(e.message.into()),
                Context {
                    multi: e.multi,
                    head: false,
                    https: false,
                },
            ),
            RequestLine {
                method: Cow::Borrowed("-"),
                path: Cow::Borrowed("-"),
            },
        ),
    }
}
