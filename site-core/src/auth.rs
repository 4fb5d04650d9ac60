//! The login settings of a private site (`[auth]` in `site.toml`): their types, their defaults
//! and the check of each value. Shared by the build (which validates the file) and the server
//! (which validates what the environment adds at start-up), so both refuse the same values.

use std::borrow::Cow;

use crate::rules::check_pattern;
use crate::site::Text;

/// Where ALB's public keys are, by region and key id (AWS's "Authenticate users using an
/// Application Load Balancer"; GovCloud has its own host: set `key_url`).
pub const DEFAULT_KEY_URL: &str = "https://public-keys.auth.elb.{region}.amazonaws.com/{kid}";

/// The most bytes a key id may have; ALB's are UUIDs (36).
pub const MAX_KID_LEN: usize = 128;

/// The login settings, decided at build time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Auth {
    /// ARNs of the load balancers whose tokens are accepted. May be empty in the file when the
    /// deploy supplies them (`SITE_AUTH_SIGNER`); the server refuses to start with none.
    pub signers: Cow<'static, [Text]>,
    /// Key URL template with `{kid}` (and optionally `{region}`).
    pub key_url: Text,
    /// Path patterns served without a login (the health path always is).
    pub public: Cow<'static, [Text]>,
    /// Conditions on the verified user, by path; the first rule whose path matches decides.
    pub rules: Cow<'static, [AccessRule]>,
    /// A path that logs out: 302 to `logout_redirect`, every ALB session cookie expired.
    pub logout_path: Option<Text>,
    /// Where the logout sends the browser (the IdP's logout URL, or a path of the site).
    pub logout_redirect: Text,
}

/// Who may see the paths matching `path`. Each non-empty condition must hold; within one, any
/// listed value will do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRule {
    pub path: Text,
    /// The `email` claim is one of these addresses (compared case-insensitively)...
    pub emails: Cow<'static, [Text]>,
    /// ...or at one of these domains. Either way `email_verified` must not be false.
    pub email_domains: Cow<'static, [Text]>,
    /// The user is in at least one of these groups (the claim `groups_claim`).
    pub groups: Cow<'static, [Text]>,
    /// The claim holding the user's groups: an array of strings, or a string separated by
    /// commas or spaces.
    pub groups_claim: Text,
}

impl Auth {
    /// `[auth]` with nothing but defaults: every path but the health path needs a login.
    pub fn private_everywhere() -> Auth {
        Auth {
            signers: Cow::Borrowed(&[]),
            key_url: Cow::Borrowed(DEFAULT_KEY_URL),
            public: Cow::Borrowed(&[]),
            rules: Cow::Borrowed(&[]),
            logout_path: None,
            logout_redirect: Cow::Borrowed("/"),
        }
    }
}

/// An ALB's ARN: `arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>`.
pub fn check_signer(arn: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "{arn:?} is not an Application Load Balancer ARN \
             (arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID)"
        )
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [arn_word, partition, service, region, account, resource] = parts[..] else {
        return Err(bad());
    };
    let resource: Vec<&str> = resource.split('/').collect();
    let ok = arn_word == "arn"
        && (partition == "aws" || partition.starts_with("aws-"))
        && partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-')
        && service == "elasticloadbalancing"
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && matches!(resource[..], ["loadbalancer", "app", name, id]
            if !name.is_empty() && name.len() <= 32
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// A key URL template: https (plain http only to this machine, for local testing), with
/// `{kid}` in its path and no other placeholder than `{region}`.
/// A URL the server sends clients or itself to: https, or plain http only to this machine
/// (local testing), with a host and nothing a header value cannot carry.
pub fn check_https_or_loopback(url: &str) -> Result<(), String> {
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', ':']).next().unwrap_or("");
        if !(host == "127.0.0.1" || host == "localhost" || rest.starts_with("[::1]")) {
            return Err(format!(
                "{url:?}: must be https (plain http only to 127.0.0.1 or localhost)"
            ));
        }
        rest
    } else {
        return Err(format!("{url:?}: must start with https://"));
    };
    if rest.split('/').next().unwrap_or("").is_empty()
        || !crate::rules::is_field_value(url)
        || url.contains([' ', '?', '#'])
    {
        return Err(format!(
            "{url:?}: needs a host, and no spaces, query or fragment"
        ));
    }
    Ok(())
}

pub fn check_key_url(url: &str) -> Result<(), String> {
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', ':']).next().unwrap_or("");
        let loopback = host == "127.0.0.1" || host == "localhost" || rest.starts_with("[::1]");
        if !loopback {
            return Err(format!(
                "key_url {url:?}: keys must come over https (plain http only from 127.0.0.1 or localhost)"
            ));
        }
        rest
    } else {
        return Err(format!("key_url {url:?}: must start with https://"));
    };
    let Some(slash) = rest.find('/') else {
        return Err(format!("key_url {url:?}: needs {{kid}} in its path"));
    };
    if rest[..slash].contains('{') && rest[..slash].replace("{region}", "").contains('{') {
        return Err(format!(
            "key_url {url:?}: only {{region}} may appear in the host"
        ));
    }
    if !rest[slash..].contains("{kid}") {
        return Err(format!("key_url {url:?}: needs {{kid}} in its path"));
    }
    let without = url.replace("{kid}", "").replace("{region}", "");
    if without.contains(['{', '}']) || !crate::rules::is_field_value(&without) || url.contains(' ')
    {
        return Err(format!(
            "key_url {url:?}: the only placeholders are {{kid}} and {{region}}, and no spaces"
        ));
    }
    Ok(())
}

/// A key id safe to put in a URL path: ASCII letters, digits, `-` and `_`.
pub fn is_safe_kid(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks the settings as a whole; the error names the key.
pub fn check(auth: &Auth) -> Result<(), String> {
    for s in auth.signers.iter() {
        check_signer(s).map_err(|e| format!("auth.signer: {e}"))?;
    }
    check_key_url(&auth.key_url).map_err(|e| format!("auth.{e}"))?;
    for p in auth.public.iter() {
        check_pattern(p).map_err(|e| format!("auth.public {p:?}: {e}"))?;
    }
    if let Some(path) = &auth.logout_path {
        if !path.starts_with('/')
            || path.starts_with("//")
            || !path.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(format!(
                "auth.logout_path = {path:?}: must be a path like \"/logout\""
            ));
        }
    }
    let to = &auth.logout_redirect;
    let url = to.starts_with("https://") || to.starts_with("http://");
    let path = to.starts_with('/') && !to.starts_with("//");
    if !(url || path) || !to.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "auth.logout_redirect = {to:?}: must be an https:// URL or a path of this site"
        ));
    }
    for (i, rule) in auth.rules.iter().enumerate() {
        let at = format!("auth.rule[{}] (path {:?})", i + 1, rule.path);
        check_pattern(&rule.path).map_err(|e| format!("{at}: {e}"))?;
        if rule.emails.is_empty() && rule.email_domains.is_empty() && rule.groups.is_empty() {
            return Err(format!(
                "{at}: has no condition (emails, email_domains or groups); a path any logged-in user may see needs no rule"
            ));
        }
        if let Some(e) = rule.emails.iter().find(|e| {
            let mut parts = e.split('@');
            !(matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && !d.is_empty()))
        }) {
            return Err(format!("{at}: {e:?} is not an email address"));
        }
        if let Some(d) = rule
            .email_domains
            .iter()
            .find(|d| d.is_empty() || d.contains('@') || d.contains(char::is_whitespace))
        {
            return Err(format!(
                "{at}: email_domains {d:?} must be a domain like \"example.com\""
            ));
        }
        if rule.groups.iter().any(|g| g.trim().is_empty()) || rule.groups_claim.is_empty() {
            return Err(format!("{at}: empty group or groups_claim"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188";

    #[test]
    fn an_alb_arn_is_a_signer() {
        assert_eq!(check_signer(ARN), Ok(()));
        assert_eq!(
            check_signer("arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/a/0f"),
            Ok(())
        );
    }

    #[test]
    fn anything_else_is_not_a_signer() {
        for bad in [
            "",
            "my-alb",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/my-nlb/50dc6c495c0c9188",
            "arn:aws:elasticloadbalancing:us-east-1:12345:loadbalancer/app/my-alb/50dc6c495c0c9188",
            "arn:aws:lambda:us-east-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my alb/50dc",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/xyz",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/my-alb/50dc",
        ] {
            assert!(check_signer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_urls_are_https_or_loopback_http_with_a_kid() {
        assert_eq!(check_key_url(DEFAULT_KEY_URL), Ok(()));
        assert_eq!(check_key_url("http://127.0.0.1:9000/keys/{kid}"), Ok(()));
        assert_eq!(check_key_url("http://localhost/{kid}"), Ok(()));
        for bad in [
            "http://example.com/{kid}",
            "http://127.0.0.1.evil.com/{kid}",
            "https://example.com/keys",
            "https://{kid}.example.com/x",
            "https://example.com/{kid}/{other}",
            "ftp://example.com/{kid}",
            "https://example.com/a b/{kid}",
        ] {
            assert!(check_key_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_kid_with_a_path_or_url_in_it_is_not_safe() {
        assert!(is_safe_kid("3f7d2a1c-8b4e-4f8a-9c1d-0e2f4a6b8c0d"));
        for bad in [
            "",
            "../etc/passwd",
            "a/b",
            "https://evil/",
            "a?b",
            "a%2e",
            "a b",
            &"k".repeat(129),
        ] {
            assert!(!is_safe_kid(bad), "{bad}");
        }
    }

    #[test]
    fn a_rule_with_no_condition_is_refused() {
        let mut auth = Auth::private_everywhere();
        auth.rules = Cow::Owned(vec![AccessRule {
            path: "/admin/*".into(),
            emails: Cow::Borrowed(&[]),
            email_domains: Cow::Borrowed(&[]),
            groups: Cow::Borrowed(&[]),
            groups_claim: "groups".into(),
        }]);
        assert!(check(&auth).unwrap_err().contains("has no condition"));
    }

    #[test]
    fn the_defaults_pass() {
        assert_eq!(check(&Auth::private_everywhere()), Ok(()));
    }
}
