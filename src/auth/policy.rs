//! The settings in force, made once at start-up from the site's `[auth]` and the environment,
//! and the access rules on a verified user's claims.

use std::fmt;

use serde_json::Value;
use site_core::auth::{self, AccessRule, Auth};

use super::token::Claims;

/// The login settings in force.
#[derive(Debug, Clone)]
pub struct Policy {
    pub settings: Auth,
    /// ARNs of the load balancers whose tokens are taken.
    pub signers: Vec<String>,
    /// The key URL, `{region}` filled in; `{kid}` is filled per key.
    pub key_url: String,
}

/// Why the server cannot start with these settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

impl Policy {
    /// The settings in force, or None when the site is public. `env_signer`
    /// (`SITE_AUTH_SIGNER`, comma-separated ARNs) replaces the file's signers and turns the
    /// login on for a site without `[auth]` (every path private); `env_key_url`
    /// (`SITE_AUTH_KEY_URL`) replaces the key URL; `region` (`AWS_REGION`) fills `{region}`.
    /// A private site with no signer refuses to start rather than serve without checking.
    pub fn from_settings(
        site: Option<&Auth>,
        env_signer: Option<&str>,
        env_key_url: Option<&str>,
        region: Option<&str>,
    ) -> Result<Option<Policy>, PolicyError> {
        let env_signer = env_signer.map(str::trim).filter(|s| !s.is_empty());
        let mut settings = match (site, env_signer) {
            (None, None) => return Ok(None),
            (Some(a), _) => a.clone(),
            (None, Some(_)) => Auth::private_everywhere(),
        };
        let signers: Vec<String> = match env_signer {
            Some(list) => list.split(',').map(|s| s.trim().to_string()).collect(),
            None => settings.signers.iter().map(|s| s.to_string()).collect(),
        };
        if signers.is_empty() {
            return Err(PolicyError(
                "the site is private ([auth] in the settings) but no load balancer is allowed to sign its logins: set auth.signer, or SITE_AUTH_SIGNER to the ALB's ARN".into(),
            ));
        }
        for s in &signers {
            auth::check_signer(s).map_err(|e| PolicyError(format!("SITE_AUTH_SIGNER: {e}")))?;
        }
        if let Some(url) = env_key_url.map(str::trim).filter(|s| !s.is_empty()) {
            auth::check_key_url(url).map_err(|e| PolicyError(format!("SITE_AUTH_KEY_URL: {e}")))?;
            settings.key_url = url.to_string().into();
        }
        let key_url = if settings.key_url.contains("{region}") {
            let region = region.map(str::trim).filter(|r| {
                !r.is_empty()
                    && r.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
            let Some(region) = region else {
                return Err(PolicyError(format!(
                    "the key URL {} needs AWS_REGION (Lambda sets it; set it when running elsewhere)",
                    settings.key_url
                )));
            };
            settings.key_url.replace("{region}", region)
        } else {
            settings.key_url.to_string()
        };
        Ok(Some(Policy {
            settings,
            signers,
            key_url,
        }))
    }
}

/// Whether the verified claims satisfy the rule; the error says which condition failed.
pub fn allows(rule: &AccessRule, claims: &Claims) -> Result<(), String> {
    if !rule.emails.is_empty() || !rule.email_domains.is_empty() {
        let Some(email) = claims.email.as_deref() else {
            return Err(format!("rule {} needs an email claim", rule.path));
        };
        let verified = match claims.all.get("email_verified") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => !s.eq_ignore_ascii_case("false"),
            _ => true,
        };
        if !verified {
            return Err(format!("rule {}: email {email} is not verified", rule.path));
        }
        let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
        let listed = rule.emails.iter().any(|e| e.eq_ignore_ascii_case(email))
            || rule
                .email_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(domain));
        if !listed {
            return Err(format!("rule {}: email {email} is not allowed", rule.path));
        }
    }
    if !rule.groups.is_empty() {
        let groups: Vec<&str> = match claims.all.get(rule.groups_claim.as_ref()) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => s.split([',', ' ']).filter(|g| !g.is_empty()).collect(),
            _ => Vec::new(),
        };
        if !rule.groups.iter().any(|g| groups.contains(&g.as_ref())) {
            return Err(format!(
                "rule {}: not in any of the groups {} (claim {})",
                rule.path,
                rule.groups.join(", "),
                rule.groups_claim
            ));
        }
    }
    Ok(())
}
