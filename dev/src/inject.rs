//! What dev adds to a response the handler made, after ALB's checks (so a response ALB would
//! refuse is still a 502 in dev): the live-reload script on HTML pages and revalidation of
//! everything, each said in an `X-Dev-*` header. The Lambda binary never does any of this.

use std::io::{Read, Write};

use hyper::header::{HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};
use local_alb::reply::Reply;

/// The reserved prefix of dev's own URLs; the site's files under it are not reachable in dev.
pub const PREFIX: &str = "/_dev/";
/// The server-sent events stream a page listens to.
pub const EVENTS: &str = "/_dev/events";

/// The script put into HTML pages: it remembers the first generation the server announces and
/// reloads the page when another one is announced (a re-plan, or a restarted server).
/// (`window.__siteDev` holds the generation once the page listens.)
pub const SCRIPT: &str = "<script data-site-dev>(()=>{let g=null;const s=new EventSource(\"/_dev/events\");\
s.onmessage=e=>{if(g===null){g=window.__siteDev=e.data}else if(e.data!==g){s.close();location.reload()}}})();</script>";

/// `X-Dev-Reload`: the page carries the reload script.
pub const RELOAD_HEADER: &str = "x-dev-reload";
/// `X-Dev-Cache-Control`: the Cache-Control the built binary sends, replaced in dev by no-cache.
pub const CACHE_HEADER: &str = "x-dev-cache-control";
/// `X-Dev-Compression`: the page was re-compressed, at a cheap level, after the script went in.
pub const COMPRESSION_HEADER: &str = "x-dev-compression";

/// gzip level and brotli quality of a page re-compressed after the script went in.
const GZIP_LEVEL: u32 = 1;
const BROTLI_QUALITY: u32 = 1;

/// Makes a checked reply a dev reply: every response revalidates (an edited stylesheet must not
/// come from the browser's cache after a reload), and HTML pages get the reload script.
pub fn dev_reply(mut reply: Reply) -> Reply {
    let original = get(&reply, &CACHE_CONTROL).unwrap_or_default();
    if original != "no-cache" {
        set(&mut reply, CACHE_CONTROL, "no-cache");
        let said = if original.is_empty() {
            "(none)"
        } else {
            &original
        };
        set(&mut reply, HeaderName::from_static(CACHE_HEADER), said);
    }
    let html = get(&reply, &CONTENT_TYPE).is_some_and(|t| {
        t.split(';')
            .next()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("text/html"))
    });
    // A 206 is a slice of the page, a 304 or HEAD has no body: those stay as they are.
    if !html || reply.body.is_empty() || reply.status == 206 {
        return reply;
    }
    let encoding = get(&reply, &CONTENT_ENCODING).unwrap_or_default();
    let Some(page) = decode(&encoding, &reply.body) else {
        return reply;
    };
    let page = with_script(&page);
    let Some(body) = encode(&encoding, &page) else {
        return reply;
    };
    reply.body = body;
    set(
        &mut reply,
        HeaderName::from_static(RELOAD_HEADER),
        "script injected (dev only)",
    );
    if !encoding.is_empty() {
        let level = match encoding.as_str() {
            "br" => format!("br quality {BROTLI_QUALITY} after the script went in (the build: 11)"),
            _ => format!("gzip level {GZIP_LEVEL} after the script went in (the build: 9)"),
        };
        set(
            &mut reply,
            HeaderName::from_static(COMPRESSION_HEADER),
            &level,
        );
    }
    reply
}

/// The page with the script before its last `</body>` (or `</html>`), else at its end.
pub fn with_script(page: &[u8]) -> Vec<u8> {
    let lower = page.to_ascii_lowercase();
    let at = rfind(&lower, b"</body>")
        .or_else(|| rfind(&lower, b"</html>"))
        .unwrap_or(page.len());
    let mut out = Vec::with_capacity(page.len() + SCRIPT.len());
    out.extend_from_slice(&page[..at]);
    out.extend_from_slice(SCRIPT.as_bytes());
    out.extend_from_slice(&page[at..]);
    out
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn decode(encoding: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match encoding {
        "" | "identity" => return Some(body.to_vec()),
        "gzip" => flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .ok()?,
        "br" => brotli::Decompressor::new(body, 4096)
            .read_to_end(&mut out)
            .ok()?,
        _ => return None,
    };
    Some(out)
}

fn encode(encoding: &str, page: &[u8]) -> Option<Vec<u8>> {
    match encoding {
        "" | "identity" => Some(page.to_vec()),
        "gzip" => {
            let mut e =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(GZIP_LEVEL));
            e.write_all(page).ok()?;
            e.finish().ok()
        }
        "br" => {
            let mut out = Vec::new();
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, 22);
                w.write_all(page).ok()?;
            }
            Some(out)
        }
        _ => None,
    }
}

fn get(reply: &Reply, name: &HeaderName) -> Option<String> {
    reply
        .headers
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.to_str().ok())
        .map(str::to_string)
}

fn set(reply: &mut Reply, name: HeaderName, value: &str) {
    let Ok(value) = HeaderValue::from_str(value) else {
        return;
    };
    reply.headers.retain(|(n, _)| *n != name);
    reply.headers.push((name, value));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(headers: &[(&'static str, &str)], body: &[u8]) -> Reply {
        Reply {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| {
                    (
                        HeaderName::from_static(n),
                        HeaderValue::from_str(v).unwrap(),
                    )
                })
                .collect(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn the_script_goes_before_the_closing_body_tag() {
        let page = with_script(b"<html><BODY>x</BODY></html>");
        let text = String::from_utf8(page).unwrap();
        assert!(
            text.starts_with("<html><BODY>x<script data-site-dev>"),
            "{text}"
        );
        assert!(text.ends_with("</script></BODY></html>"), "{text}");
    }

    #[test]
    fn a_gzip_page_is_decoded_given_the_script_and_compressed_again() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(b"<p>hi</p></body>").unwrap();
        let r = dev_reply(reply(
            &[
                ("content-type", "text/html; charset=utf-8"),
                ("content-encoding", "gzip"),
            ],
            &e.finish().unwrap(),
        ));
        let page = decode("gzip", &r.body).unwrap();
        assert_eq!(page, with_script(b"<p>hi</p></body>"));
        assert!(get(&r, &HeaderName::from_static(COMPRESSION_HEADER)).is_some());
    }

    #[test]
    fn a_brotli_page_round_trips_with_the_script() {
        let page = b"<h1>brotli</h1>";
        let r = dev_reply(reply(
            &[("content-type", "text/html"), ("content-encoding", "br")],
            &encode("br", page).unwrap(),
        ));
        assert_eq!(decode("br", &r.body).unwrap(), with_script(page));
    }

    #[test]
    fn a_stylesheet_keeps_its_body_and_revalidates() {
        let r = dev_reply(reply(
            &[
                ("content-type", "text/css"),
                ("cache-control", "public, max-age=3600"),
            ],
            b"p{}",
        ));
        assert_eq!(r.body, b"p{}");
        assert_eq!(get(&r, &CACHE_CONTROL).as_deref(), Some("no-cache"));
        assert_eq!(
            get(&r, &HeaderName::from_static(CACHE_HEADER)).as_deref(),
            Some("public, max-age=3600")
        );
    }

    #[test]
    fn a_partial_page_is_left_alone() {
        let mut r = reply(&[("content-type", "text/html")], b"<p>part");
        r.status = 206;
        assert_eq!(dev_reply(r).body, b"<p>part");
    }
}
