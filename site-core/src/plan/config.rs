//! The settings file (`site.toml`), parsed and validated at build time.

use std::path::Path;

use serde::Deserialize;

use super::error::PlanError;

/// Trailing-slash policy for folder indexes and clean URLs.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum TrailingSlash {
    /// Folders end with a slash, pages do not: `/blog/`, `/about`.
    Auto,
    /// Every page URL ends with a slash: `/blog/`, `/about/`.
    Always,
    /// No page URL ends with a slash: `/blog`, `/about`.
    Never,
}

/// What to do with a file that no encoding can serve within ALB's response limit.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum TooLarge {
    /// Fail the build, listing each such file and its size.
    Fail,
    /// Leave the file out, with a warning.
    Skip,
    /// Redirect its URL to `external_prefix` + its path.
    Redirect,
    /// Leave it out of the package and store it in S3 (`make deploy` uploads it); the function
    /// redirects to it, presigned on a private site.
    S3,
}

/// With `too_large = "s3"`: where a file goes that no encoding fits in an ALB's 1 MB response
/// but one fits in Lambda's 6 MB, which every other front door takes.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum LambdaSized {
    /// Into the package as well as S3: Function URLs, API Gateway and VPC Lattice serve it
    /// whole, and an ALB's requests for it are sent to S3.
    Embed,
    /// Into S3 only, for every door: a smaller package when an ALB is the only front door.
    S3,
}

/// `spa = "auto" | "on" | "off"`.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Spa {
    /// On when the site has an `index.html` and no top-level `404.html` (as Cloudflare Pages does).
    Auto,
    /// Always on.
    On,
    /// Always off.
    Off,
}

/// Default `Cache-Control` values by kind of file.
#[derive(Deserialize, Debug, Clone)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Cache {
    /// `Cache-Control` of HTML pages (revalidating is cheap: 304 on a matching ETag); not empty.
    pub html: String,
    /// `Cache-Control` of files whose name carries a content hash (`app.3f9a2c1b.js`); not empty.
    pub immutable: String,
    /// `Cache-Control` of every other file; not empty.
    pub default: String,
    /// `Cache-Control` of 404 pages and the server's own answers; not empty.
    pub errors: String,
    /// How long a CDN in front (CloudFront) may keep each kind of file, and serve a stale page
    /// while it revalidates, added to the `[cache]` values.
    pub cdn: Cdn,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            html: "no-cache".into(),
            immutable: "public, max-age=31536000, immutable".into(),
            default: "public, max-age=3600".into(),
            errors: "no-cache".into(),
            cdn: Cdn::default(),
        }
    }
}

/// `[cache.cdn]`: how long a CDN in front (CloudFront) keeps each kind of file, as `s-maxage`
/// seconds (0: as long as the browser's policy says), and how long it may serve a stale page
/// while it revalidates.
#[derive(Deserialize, Debug, Clone, Default)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Cdn {
    /// `s-maxage` seconds added to `cache.html`; 0 adds none.
    pub html: u32,
    /// `s-maxage` seconds added to `cache.immutable`; 0 adds none.
    pub immutable: u32,
    /// `s-maxage` seconds added to `cache.default`; 0 adds none.
    pub default: u32,
    /// `stale-while-revalidate` seconds added to HTML pages when `cache.cdn.html` is above 0;
    /// 0 adds none.
    pub stale_while_revalidate: u32,
}

/// Security headers sent by default.
#[derive(Deserialize, Debug, Clone)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Security {
    /// Send nosniff, Referrer-Policy, X-Frame-Options and CSP frame-ancestors.
    pub headers: bool,
    /// `X-Frame-Options` value: `DENY` or `SAMEORIGIN` (any case); CSP frame-ancestors follows it.
    #[cfg_attr(test, schemars(extend("enum" = ["DENY", "SAMEORIGIN"])))]
    pub frame_options: String,
    /// `Strict-Transport-Security` value, sent only over https; empty for none (the default:
    /// HSTS is opt-in).
    pub hsts: String,
}

impl Default for Security {
    fn default() -> Self {
        Security {
            headers: true,
            frame_options: "SAMEORIGIN".into(),
            hsts: String::new(),
        }
    }
}

/// Handling of files too large for one ALB response.
#[derive(Deserialize, Debug, Clone)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// What to do with a file that no encoding can serve within ALB's 1 MB response limit.
    pub too_large: TooLarge,
    /// With `too_large = "s3"`: where a file goes that is over ALB's 1 MB but under Lambda's 6 MB.
    pub lambda_sized: LambdaSized,
    /// With `too_large = "redirect"`: the `http://` or `https://` URL prefix such a file's path
    /// is appended to.
    pub external_prefix: String,
    /// The most bytes the package may embed; with `too_large = "s3"` the largest files go to
    /// S3 until the rest fits. Well under Lambda's 262,144,000-byte unzipped limit, so the
    /// server's own code and a margin fit beside it. Above 0.
    #[cfg_attr(test, schemars(range(min = 1)))]
    pub package_budget: u64,
    /// How long a presigned URL to an offloaded file of a private site is valid, in seconds:
    /// 1 to 604800 (seven days, S3's limit).
    #[cfg_attr(test, schemars(range(min = 1, max = MAX_PRESIGN_SECONDS)))]
    pub presign_seconds: u32,
}

/// The default `limits.package_budget`.
pub const DEFAULT_PACKAGE_BUDGET: u64 = 200_000_000;

/// S3 accepts presigned URLs valid for at most seven days.
pub const MAX_PRESIGN_SECONDS: u32 = 7 * 24 * 3600;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            too_large: TooLarge::S3,
            lambda_sized: LambdaSized::Embed,
            external_prefix: String::new(),
            package_budget: DEFAULT_PACKAGE_BUDGET,
            presign_seconds: 300,
        }
    }
}

/// Compression at build time.
#[derive(Deserialize, Debug, Clone)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Compression {
    /// Make a gzip variant of each compressible file at build time.
    pub gzip: bool,
    /// Make a Brotli variant of each compressible file at build time.
    pub brotli: bool,
    /// Keep a compressed variant only when it is at most this fraction of the original: above 0,
    /// at most 1.
    #[cfg_attr(test, schemars(extend("exclusiveMinimum" = 0, "maximum" = 1)))]
    pub max_ratio: f64,
}

impl Default for Compression {
    fn default() -> Self {
        Compression {
            gzip: true,
            brotli: true,
            max_ratio: 0.95,
        }
    }
}

/// `signer = "arn:..."` or `signer = ["arn:...", ...]`.
#[derive(Deserialize, Debug, Clone, Default)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(untagged)]
pub enum Signers {
    /// None in the file: the deploy supplies them (`SITE_AUTH_SIGNER`).
    #[default]
    None,
    /// One load balancer's ARN.
    One(String),
    /// Several load balancers' ARNs.
    Many(Vec<String>),
}

/// `[auth]`: the site is private behind ALB's login (see [`crate::auth`]).
#[derive(Deserialize, Debug, Clone)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// ARNs of the load balancers whose login tokens are accepted (`arn:...:loadbalancer/app/...`);
    /// none in the file: the deploy supplies them (`SITE_AUTH_SIGNER`), and the server refuses to
    /// start with none.
    #[serde(default)]
    pub signer: Signers,
    /// Where the load balancer's public keys are: an https URL (plain http only to this machine)
    /// with `{kid}` in its path and optionally `{region}`.
    #[serde(default = "default_key_url")]
    pub key_url: String,
    /// Path patterns (`/assets/*`) served without a login; the health path always is.
    #[serde(default)]
    pub public: Vec<String>,
    /// A path (`/logout`) that logs out: a 302 to `logout_redirect` with every ALB session
    /// cookie expired; not the health path. Absent: no logout path.
    #[serde(default)]
    pub logout_path: Option<String>,
    /// Where the logout sends the browser: an `https://` URL (the IdP's logout) or a path of
    /// this site.
    #[serde(default = "default_logout_redirect")]
    pub logout_redirect: String,
    /// Who may see which paths, one table per rule; the first rule whose path matches decides.
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleConfig>,
}

/// `[[auth.rule]]`.
#[derive(Deserialize, Debug, Clone)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// The path pattern (`/admin/*`) the rule applies to.
    pub path: String,
    /// The user's `email` claim is one of these addresses (case-insensitive)...
    #[serde(default)]
    pub emails: Vec<String>,
    /// ...or at one of these domains (`example.com`); either way `email_verified` must not be
    /// false.
    #[serde(default)]
    pub email_domains: Vec<String>,
    /// The user is in at least one of these groups; each non-empty condition of the rule must hold.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The claim holding the user's groups (Cognito: `cognito:groups`): an array of strings, or a
    /// string separated by commas or spaces.
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
}

fn default_key_url() -> String {
    crate::auth::DEFAULT_KEY_URL.into()
}

fn default_logout_redirect() -> String {
    "/".into()
}

fn default_groups_claim() -> String {
    "groups".into()
}

impl AuthConfig {
    /// The settings as the site carries them.
    pub fn to_auth(&self) -> crate::auth::Auth {
        use std::borrow::Cow;
        let texts = |v: &[String]| -> Cow<'static, [crate::site::Text]> {
            Cow::Owned(v.iter().map(|s| Cow::Owned(s.clone())).collect())
        };
        let signers = match &self.signer {
            Signers::None => Vec::new(),
            Signers::One(s) => vec![s.clone()],
            Signers::Many(v) => v.clone(),
        };
        crate::auth::Auth {
            signers: texts(&signers),
            key_url: self.key_url.clone().into(),
            public: texts(&self.public),
            rules: Cow::Owned(
                self.rules
                    .iter()
                    .map(|r| crate::auth::AccessRule {
                        path: r.path.clone().into(),
                        emails: texts(&r.emails),
                        email_domains: texts(&r.email_domains),
                        groups: texts(&r.groups),
                        groups_claim: r.groups_claim.clone().into(),
                    })
                    .collect(),
            ),
            logout_path: self.logout_path.clone().map(Cow::Owned),
            logout_redirect: self.logout_redirect.clone().into(),
        }
    }
}

/// The whole settings file.
#[derive(Deserialize, Debug, Clone)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Path answered with 200 for the load balancer's health checks when the site has no file
    /// there: ASCII, starting with one `/`.
    pub health_path: String,
    /// The path prefix the site is served under (`/docs`: an ALB rule for `/docs/*`, an API's
    /// base path mapping); empty: the site is at the root. Segments of letters, digits, `-`, `.`,
    /// `_` and `~`, with no trailing `/`.
    pub mount: String,
    /// Single-page-app fallback: a request for a missing extension-less path that accepts HTML
    /// gets `index.html` with 200 (a missing asset still gets 404).
    pub spa: Spa,
    /// Trailing-slash policy of folder indexes and page URLs; other spellings redirect.
    pub trailing_slash: TrailingSlash,
    /// `/about` serves `about.html`, and `/about.html` redirects to `/about`.
    pub clean_urls: bool,
    /// Status of the redirects the server makes itself: 301, 302, 303, 307 or 308.
    #[cfg_attr(test, schemars(extend("enum" = [301, 302, 303, 307, 308])))]
    pub redirect_status: u16,
    /// Default `Cache-Control` values by kind of file.
    pub cache: Cache,
    /// Security headers sent by default.
    pub security: Security,
    /// Files too large for one ALB response, and the package's size.
    pub limits: Limits,
    /// The compressed encodings made at build time.
    pub compression: Compression,
    /// Present: the site is private behind the load balancer's login. Absent (the default): the
    /// site is public, unless `SITE_AUTH_SIGNER` is set where it runs.
    pub auth: Option<AuthConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            health_path: "/health".into(),
            mount: String::new(),
            spa: Spa::Auto,
            trailing_slash: TrailingSlash::Auto,
            clean_urls: true,
            redirect_status: 308,
            cache: Cache::default(),
            security: Security::default(),
            limits: Limits::default(),
            compression: Compression::default(),
            auth: None,
        }
    }
}

impl Config {
    /// Reads and validates the settings file; a missing file means the defaults.
    pub fn load(path: &Path) -> Result<Config, PlanError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text).map_err(|e| PlanError::at(path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(PlanError::at(path, e)),
        }
    }

    /// Parses and validates the settings text; the error says which key is wrong and why.
    pub fn parse(text: &str) -> Result<Config, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let p = &self.health_path;
        if !p.starts_with('/') || p.starts_with("//") || !p.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "health_path = {p:?}: must be a path like \"/health\" (ASCII, starting with one '/')"
            ));
        }
        let m = &self.mount;
        let segment_ok = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        };
        let well_formed = m.starts_with('/') && m[1..].split('/').all(segment_ok);
        if !m.is_empty() && !well_formed {
            return Err(format!(
                "mount = {m:?}: must be empty or a path like \"/docs\" (segments of letters, digits, '-', '.', '_', '~'; no trailing '/')"
            ));
        }
        if ![301, 302, 303, 307, 308].contains(&self.redirect_status) {
            return Err(format!(
                "redirect_status = {}: must be one of 301, 302, 303, 307, 308",
                self.redirect_status
            ));
        }
        for (key, value) in [
            ("cache.html", &self.cache.html),
            ("cache.immutable", &self.cache.immutable),
            ("cache.default", &self.cache.default),
            ("cache.errors", &self.cache.errors),
            ("security.hsts", &self.security.hsts),
        ] {
            if !crate::rules::is_field_value(value) {
                return Err(format!("{key} contains a control character"));
            }
        }
        for (key, value) in [
            ("cache.html", &self.cache.html),
            ("cache.immutable", &self.cache.immutable),
            ("cache.default", &self.cache.default),
            ("cache.errors", &self.cache.errors),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{key} must not be empty"));
            }
        }
        let fo = self.security.frame_options.to_ascii_uppercase();
        if fo != "DENY" && fo != "SAMEORIGIN" {
            return Err(format!(
                "security.frame_options = {:?}: must be \"DENY\" or \"SAMEORIGIN\"",
                self.security.frame_options
            ));
        }
        if !(self.compression.max_ratio > 0.0 && self.compression.max_ratio <= 1.0) {
            return Err(format!(
                "compression.max_ratio = {}: must be in (0, 1]",
                self.compression.max_ratio
            ));
        }
        if let Some(auth) = &self.auth {
            crate::auth::check(&auth.to_auth())?;
            if auth.logout_path.as_deref() == Some(self.health_path.as_str()) {
                return Err("auth.logout_path: must differ from health_path".into());
            }
        }
        if self.limits.package_budget == 0 {
            return Err("limits.package_budget = 0: must be a number of bytes above 0".into());
        }
        if !(1..=MAX_PRESIGN_SECONDS).contains(&self.limits.presign_seconds) {
            return Err(format!(
                "limits.presign_seconds = {}: must be from 1 to {MAX_PRESIGN_SECONDS} (seven days, S3's limit)",
                self.limits.presign_seconds
            ));
        }
        if self.limits.too_large == TooLarge::Redirect {
            let prefix = &self.limits.external_prefix;
            if !(prefix.starts_with("https://") || prefix.starts_with("http://"))
                || !crate::rules::is_field_value(prefix)
                || prefix.contains(' ')
            {
                return Err(format!(
                    "limits.too_large = \"redirect\" needs limits.external_prefix = \"https://...\" (got {prefix:?})"
                ));
            }
        }
        Ok(())
    }

    /// The status of the redirects the server makes itself (checked when parsed).
    pub fn redirect(&self) -> crate::site::Status {
        crate::site::Status::redirect(self.redirect_status)
            .unwrap_or(crate::site::Status::PermanentRedirect)
    }

    /// The security headers every response carries by default, in order.
    pub fn security_headers(&self) -> Vec<(String, String)> {
        if !self.security.headers {
            return Vec::new();
        }
        let fo = self.security.frame_options.to_ascii_uppercase();
        let ancestors = if fo == "DENY" { "'none'" } else { "'self'" };
        vec![
            ("X-Content-Type-Options".into(), "nosniff".into()),
            (
                "Referrer-Policy".into(),
                "strict-origin-when-cross-origin".into(),
            ),
            ("X-Frame-Options".into(), fo),
            (
                "Content-Security-Policy".into(),
                format!("frame-ancestors {ancestors}"),
            ),
        ]
    }
}

#[cfg(test)]
mod reference;
