//! `--offload-dir`: a stand-in for the S3 bucket that holds the files too large for the
//! package (the build's `site-offload` folder: `manifest.json` and `objects/<key>`), served
//! from disk at `/_local-alb/offload/<key>`, with each object's type, encoding and cache policy
//! and single byte ranges, as S3 answers them. The function is told the URL in
//! `SITE_OFFLOAD_URL`, so a redirect to a big file works in `make local` as deployed.
//!
//! Like moto, it does not check a presigned URL's signature: the signing itself is tested
//! against AWS's published example.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hyper::body::Bytes;
use hyper::header::{HeaderValue, ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_RANGE};
use hyper::header::{CONTENT_TYPE, ETAG};
use hyper::{HeaderMap, Method, Response, StatusCode};
use serde_json::Value;

use crate::reply::Body;

/// Where the objects are served.
pub const OBJECTS_PATH: &str = "/_local-alb/offload/";

/// One object's metadata, from the manifest.
#[derive(Debug, Clone)]
struct Object {
    content_type: String,
    content_encoding: Option<String>,
    cache_control: String,
    sha256: String,
}

/// The objects of one build.
#[derive(Debug)]
pub struct Objects {
    dir: PathBuf,
    objects: HashMap<String, Object>,
}

impl Objects {
    /// Reads `<dir>/manifest.json`.
    pub fn load(dir: &Path) -> Result<Objects, String> {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read {}: {e} (build the bootstrap first: it writes the folder)",
                path.display()
            )
        })?;
        let manifest: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut objects = HashMap::new();
        for o in manifest["objects"].as_array().into_iter().flatten() {
            let field = |name: &str| o[name].as_str().unwrap_or_default().to_string();
            objects.insert(
                field("key"),
                Object {
                    content_type: field("content_type"),
                    content_encoding: o["content_encoding"].as_str().map(str::to_string),
                    cache_control: field("cache_control"),
                    sha256: field("sha256"),
                },
            );
        }
        Ok(Objects {
            dir: dir.to_path_buf(),
            objects,
        })
    }

    /// How many objects the build kept out of the package.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The function's setting that points it here.
    pub fn function_env(listen_port: u16) -> (String, String) {
        (
            "SITE_OFFLOAD_URL".into(),
            format!(
                "http://127.0.0.1:{listen_port}{}",
                OBJECTS_PATH.trim_end_matches('/')
            ),
        )
    }

    /// The answer to a request for an object, or None when the path is not under
    /// [`OBJECTS_PATH`] (the request goes to the function).
    pub fn answer(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Option<Response<Body>> {
        let key = path.strip_prefix(OBJECTS_PATH)?;
        let status = |code: StatusCode| {
            let mut r = Response::new(Body::default());
            *r.status_mut() = code;
            r
        };
        if method != Method::GET && method != Method::HEAD {
            return Some(status(StatusCode::METHOD_NOT_ALLOWED));
        }
        let (Some(object), false) = (self.objects.get(key), key.contains("..")) else {
            return Some(status(StatusCode::NOT_FOUND));
        };
        let Ok(bytes) = std::fs::read(self.dir.join("objects").join(key)) else {
            return Some(status(StatusCode::NOT_FOUND));
        };
        let total = bytes.len() as u64;
        let range = headers
            .get(hyper::header::RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| single_range(v, total));
        let (code, body) = match range {
            Some((s, e)) => (
                StatusCode::PARTIAL_CONTENT,
                bytes[s as usize..=e as usize].to_vec(),
            ),
            None => (StatusCode::OK, bytes),
        };
        let mut r = status(code);
        let h = r.headers_mut();
        let value = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""));
        h.insert(CONTENT_TYPE, value(&object.content_type));
        h.insert(CACHE_CONTROL, value(&object.cache_control));
        h.insert(
            ETAG,
            value(&format!(
                "\"{}\"",
                &object.sha256[..32.min(object.sha256.len())]
            )),
        );
        h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Some(encoding) = &object.content_encoding {
            h.insert(CONTENT_ENCODING, value(encoding));
        }
        if let Some((s, e)) = range {
            h.insert(CONTENT_RANGE, value(&format!("bytes {s}-{e}/{total}")));
        }
        if method == Method::GET {
            *r.body_mut() = Body::new(Bytes::from(body));
        }
        Some(r)
    }
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` within `total` bytes; anything else is ignored (the
/// whole object is sent), as S3 ignores what it cannot parse.
fn single_range(value: &str, total: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || total == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (total.saturating_sub(n), total - 1)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            total - 1
        } else {
            b.parse::<u64>().ok()?.min(total - 1)
        };
        (start, end)
    };
    (start <= end && start < total).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_are_read_as_s3_reads_them() {
        assert_eq!(single_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(single_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(single_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(single_range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(single_range("bytes=0-1,5-6", 100), None);
        assert_eq!(single_range("bytes=200-", 100), None);
        assert_eq!(single_range("items=0-1", 100), None);
    }

    #[test]
    fn an_object_is_served_with_its_type_encoding_and_ranges() {
        let dir = std::env::temp_dir().join(format!("objects-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("objects/0123")).unwrap();
        std::fs::write(dir.join("objects/0123/a.json"), b"0123456789").unwrap();
        std::fs::write(
            dir.join("manifest.json"),
            r#"{"format":1,"private":false,"objects":[{"key":"0123/a.json","path":"/a.json","content_type":"application/json","content_encoding":"br","cache_control":"public, max-age=60","bytes":10,"sha256":"00ff"}]}"#,
        )
        .unwrap();
        let objects = Objects::load(&dir).unwrap();
        assert_eq!(objects.len(), 1);
        let mut headers = HeaderMap::new();
        let r = objects
            .answer(&Method::GET, "/_local-alb/offload/0123/a.json", &headers)
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(r.headers()[CONTENT_ENCODING], "br");
        headers.insert(hyper::header::RANGE, HeaderValue::from_static("bytes=2-4"));
        let r = objects
            .answer(&Method::GET, "/_local-alb/offload/0123/a.json", &headers)
            .unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(r.headers()[CONTENT_RANGE], "bytes 2-4/10");
        let none = objects.answer(&Method::GET, "/_local-alb/offload/../x", &headers);
        assert_eq!(none.unwrap().status(), StatusCode::NOT_FOUND);
        assert!(objects.answer(&Method::GET, "/other", &headers).is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
