//! Where the files kept in S3 (`limits.too_large = "s3"`) are fetched from: the URL a redirect
//! sends the client to. A public site's objects are public, so the URL is the object's own (or
//! a CDN's); a private site's are not, so each URL is presigned with the function's own
//! credentials and lives a few minutes: the login still guards the file.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    self, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;

/// Why offloaded files cannot be served with these settings, or a URL could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffloadError(pub String);

impl fmt::Display for OffloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OffloadError {}

/// What signs a private site's URLs.
#[derive(Debug, Clone)]
pub struct Signer {
    credentials: Credentials,
    region: String,
    lifetime: Duration,
}

impl Signer {
    /// `session_token`: the temporary credentials' token (Lambda's always have one).
    pub fn new(
        access_key: &str,
        secret_key: &str,
        session_token: Option<&str>,
        region: &str,
        lifetime: Duration,
    ) -> Signer {
        Signer {
            credentials: Credentials::new(
                access_key,
                secret_key,
                session_token.map(str::to_string),
                None,
                "environment",
            ),
            region: region.to_string(),
            lifetime,
        }
    }
}

/// Where offloaded objects are, and how their URLs are made.
#[derive(Debug, Clone)]
pub struct Offload {
    /// The bucket's URL (or a CDN's), no trailing slash; a key follows after `/`.
    base: String,
    /// Present on a private site: every URL is presigned.
    signer: Option<Signer>,
}

impl Offload {
    /// Objects at `base` (`https://BUCKET.s3.REGION.amazonaws.com`, a path-style
    /// `https://s3.REGION.amazonaws.com/BUCKET`, or a CDN prefix), presigned when `signer` is set.
    /// Only https, but for a server on this machine (`make local`).
    pub fn new(base: &str, signer: Option<Signer>) -> Result<Offload, OffloadError> {
        let base = base.trim().trim_end_matches('/');
        site_core::auth::check_https_or_loopback(base)
            .map_err(|why| OffloadError(format!("SITE_OFFLOAD_URL: {why}")))?;
        Ok(Offload {
            base: base.to_string(),
            signer,
        })
    }

    /// Reads the settings from the environment (`var`): `SITE_OFFLOAD_URL`, and on a private
    /// site the function's credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN`) and `AWS_REGION`. A site with files in S3 and no way to send
    /// clients to them refuses to start, rather than answer them with errors.
    pub fn from_env(
        var: impl Fn(&str) -> Option<String>,
        private: bool,
        lifetime: Duration,
    ) -> Result<Offload, OffloadError> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let Some(base) = var("SITE_OFFLOAD_URL") else {
            return Err(OffloadError(
                "the site keeps files in S3 (limits.too_large = \"s3\") but SITE_OFFLOAD_URL is not set: deploy with `make deploy`, which uploads them and sets it, or run `make local`".into(),
            ));
        };
        if !private {
            return Offload::new(&base, None);
        }
        let need = |name: &str| {
            var(name).ok_or_else(|| {
                OffloadError(format!(
                    "the site is private and keeps files in S3, so their URLs are presigned: {name} must be set (Lambda sets it from the function's role)"
                ))
            })
        };
        let signer = Signer::new(
            &need("AWS_ACCESS_KEY_ID")?,
            &need("AWS_SECRET_ACCESS_KEY")?,
            var("AWS_SESSION_TOKEN").as_deref(),
            &need("AWS_REGION")?,
            lifetime,
        );
        Offload::new(&base, Some(signer))
    }

    /// Whether URLs are presigned (a private site).
    pub fn presigns(&self) -> bool {
        self.signer.is_some()
    }

    /// The URL of the object `key`, presigned at `now` on a private site.
    pub fn url(&self, key: &str, now: SystemTime) -> Result<String, OffloadError> {
        let url = format!("{}/{}", self.base, encode_key(key));
        let Some(signer) = &self.signer else {
            return Ok(url);
        };
        presign(&url, signer, now)
    }
}

/// A presigned GET of `url` (S3's rules: the path encoded once and not normalized, the payload
/// unsigned, the signature and token in the query).
fn presign(url: &str, signer: &Signer, now: SystemTime) -> Result<String, OffloadError> {
    let fail = |e: &dyn fmt::Display| OffloadError(format!("cannot presign {url}: {e}"));
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(signer.lifetime);
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let identity = signer.credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&signer.region)
        .name("s3")
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| fail(&e))?
        .into();
    let request = SignableRequest::new(
        "GET",
        url,
        std::iter::empty(),
        SignableBody::UnsignedPayload,
    )
    .map_err(|e| fail(&e))?;
    let (instructions, _) = http_request::sign(request, &params)
        .map_err(|e| fail(&e))?
        .into_parts();
    let mut signed = url.to_string();
    for (i, (name, value)) in instructions.params().iter().enumerate() {
        signed.push(if i == 0 { '?' } else { '&' });
        signed.push_str(name);
        signed.push('=');
        signed.push_str(&query_encode(value));
    }
    Ok(signed)
}

/// A key as a URL path: the build makes keys of `[0-9a-f]/[A-Za-z0-9._-]`, so this only
/// guards against a key from elsewhere.
fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query value encoded as SigV4 encodes it (RFC 3986 unreserved characters as they are).
fn query_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of "Authenticating Requests: Using Query Parameters (AWS Signature
    /// Version 4)" in the Amazon S3 API Reference: the exact URL AWS publishes.
    #[test]
    fn a_presigned_url_matches_the_s3_references_published_example() {
        let signer = Signer::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            None,
            "us-east-1",
            Duration::from_secs(86400),
        );
        let offload = Offload::new("https://examplebucket.s3.amazonaws.com", Some(signer)).unwrap();
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600); // 2013-05-24T00:00:00Z
        assert_eq!(
            offload.url("test.txt", at).unwrap(),
            "https://examplebucket.s3.amazonaws.com/test.txt\
             ?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z\
             &X-Amz-Expires=86400\
             &X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn temporary_credentials_put_their_session_token_in_the_url() {
        let signer = Signer::new(
            "AKID",
            "secret",
            Some("token/with+chars"),
            "eu-west-1",
            Duration::from_secs(300),
        );
        let offload = Offload::new("https://b.s3.eu-west-1.amazonaws.com", Some(signer)).unwrap();
        let url = offload.url("0a/f.mp4", SystemTime::UNIX_EPOCH).unwrap();
        assert!(
            url.contains("X-Amz-Security-Token=token%2Fwith%2Bchars"),
            "{url}"
        );
        assert!(url.contains("X-Amz-Expires=300"), "{url}");
    }

    #[test]
    fn a_public_sites_url_is_the_objects_own() {
        let offload = Offload::new("https://cdn.example.com/", None).unwrap();
        assert_eq!(
            offload.url("0a1b/video.mp4", SystemTime::now()).unwrap(),
            "https://cdn.example.com/0a1b/video.mp4"
        );
        assert!(!offload.presigns());
    }

    #[test]
    fn plain_http_is_refused_except_on_this_machine() {
        assert!(Offload::new("http://bucket.s3.amazonaws.com", None).is_err());
        assert!(Offload::new("ftp://x", None).is_err());
        assert!(Offload::new("http://127.0.0.1:9000/_local-alb/offload", None).is_ok());
    }

    #[test]
    fn a_site_with_files_in_s3_and_no_url_does_not_start() {
        let e = Offload::from_env(|_| None, false, Duration::from_secs(60)).unwrap_err();
        assert!(e.0.contains("SITE_OFFLOAD_URL"), "{e}");
    }

    #[test]
    fn a_private_site_without_credentials_does_not_start() {
        let env = |name: &str| {
            (name == "SITE_OFFLOAD_URL").then(|| "https://b.s3.amazonaws.com".to_string())
        };
        let e = Offload::from_env(env, true, Duration::from_secs(60)).unwrap_err();
        assert!(e.0.contains("AWS_ACCESS_KEY_ID"), "{e}");
        assert!(Offload::from_env(env, false, Duration::from_secs(60)).is_ok());
    }
}
