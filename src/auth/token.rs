//! ALB's login token (`x-amzn-oidc-data`), verified. Hand-written because no JWT library takes
//! it as ALB writes it: every segment is base64url *with* `=` padding, the signature covers the
//! padded text, and `exp` and `signer` sit in the header (aws-jwt-verify#109, jose-jwt#271).
//! The checks, in order, so nothing untrusted is acted on before it is checked and no key is
//! fetched for a token that fails a free check: shape, `alg` ES256, `signer` allowed, `exp`
//! not passed, `kid` of a safe shape, the key, the signature over the exact bytes, then the
//! claims.

use std::fmt;

use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde_json::{Map, Value};

use super::keys::{KeyError, KeyStore};
use site_core::auth::is_safe_kid;

/// The longest token taken; ALB's are a few kilobytes (the IdP's claims).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Seconds a token is still taken after its `exp`, for clocks a little apart.
pub const CLOCK_SKEW: u64 = 30;

/// base64url as ALB writes it: padded, and only canonically.
const PADDED_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Why a token was refused. The reason goes to the log, never to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// No `x-amzn-oidc-data` header.
    Missing,
    TooLong(usize),
    /// Not three segments of padded base64url JSON, or a field missing or of the wrong type.
    Malformed(&'static str),
    /// `alg` other than ES256.
    Algorithm(String),
    /// `signer` not one of the allowed load balancers.
    Signer(String),
    /// `exp` (in the header or the claims) has passed.
    Expired {
        exp: u64,
        now: u64,
    },
    /// `kid` not of a shape safe to put in a URL.
    KeyId,
    /// The key server does not know this `kid`.
    UnknownKey(String),
    /// The key could not be had: the server is down, slow or answered garbage.
    KeysUnavailable(String),
    /// The signature does not verify with the key.
    BadSignature,
    /// `x-amzn-oidc-identity` differs from the verified `sub`.
    IdentityMismatch,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Missing => f.write_str("no x-amzn-oidc-data header"),
            TokenError::TooLong(n) => write!(f, "token of {n} bytes (at most {MAX_TOKEN_LEN})"),
            TokenError::Malformed(why) => write!(f, "malformed token: {why}"),
            TokenError::Algorithm(alg) => write!(f, "alg {alg:?} refused (only ES256)"),
            TokenError::Signer(s) => write!(f, "signer {s:?} is not an allowed load balancer"),
            TokenError::Expired { exp, now } => write!(f, "token expired at {exp} (now {now})"),
            TokenError::KeyId => f.write_str("kid of an unsafe shape"),
            TokenError::UnknownKey(kid) => write!(f, "no public key for kid {kid:?}"),
            TokenError::KeysUnavailable(why) => write!(f, "public key unavailable: {why}"),
            TokenError::BadSignature => f.write_str("signature does not verify"),
            TokenError::IdentityMismatch => {
                f.write_str("x-amzn-oidc-identity differs from the token's sub")
            }
        }
    }
}

impl std::error::Error for TokenError {}

/// A verified token's claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// The subject: the user's id at the IdP.
    pub sub: String,
    /// The `email` claim, when the IdP sent one.
    pub email: Option<String>,
    /// Every claim, for the access rules.
    pub all: Map<String, Value>,
}

fn decode_json(segment: &str, what: &'static str) -> Result<Map<String, Value>, TokenError> {
    let bytes = PADDED_URL_SAFE
        .decode(segment)
        .map_err(|_| TokenError::Malformed(what))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(TokenError::Malformed(what)),
    }
}

/// Verifies `token` as ALB signs it: ES256 by one of `signers`, unexpired at `now` (seconds
/// since the epoch), with the key `keys` has for its `kid`.
pub fn verify(
    token: &str,
    signers: &[String],
    keys: &dyn KeyStore,
    now: u64,
) -> Result<Claims, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::TooLong(token.len()));
    }
    let mut segments = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(TokenError::Malformed("not three segments"));
    };
    let header = decode_json(header_b64, "header is not padded base64url JSON")?;
    let text = |name: &'static str| match header.get(name) {
        Some(Value::String(s)) => Ok(s.as_str()),
        _ => Err(TokenError::Malformed(name)),
    };
    let alg = header.get("alg").map_or("(none)".to_string(), |v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    if alg != "ES256" {
        return Err(TokenError::Algorithm(alg));
    }
    let signer = text("signer")?;
    if !signers.iter().any(|s| s == signer) {
        return Err(TokenError::Signer(signer.to_string()));
    }
    let Some(exp) = header.get("exp").and_then(Value::as_u64) else {
        return Err(TokenError::Malformed("header has no numeric exp"));
    };
    if now > exp.saturating_add(CLOCK_SKEW) {
        return Err(TokenError::Expired { exp, now });
    }
    let kid = text("kid")?;
    if !is_safe_kid(kid) {
        return Err(TokenError::KeyId);
    }
    let signature_bytes = PADDED_URL_SAFE
        .decode(signature_b64)
        .map_err(|_| TokenError::Malformed("signature is not padded base64url"))?;
    // ES256 in JWS: r || s, 32 bytes each (not DER).
    if signature_bytes.len() != 64 {
        return Err(TokenError::Malformed("signature is not 64 bytes of r || s"));
    }
    let key = keys.key(kid).map_err(|e| match e {
        KeyError::Unknown => TokenError::UnknownKey(kid.to_string()),
        KeyError::Unavailable(why) => TokenError::KeysUnavailable(why),
    })?;
    let signed = &token[..header_b64.len() + 1 + payload_b64.len()];
    if !key.verifies(signed.as_bytes(), &signature_bytes) {
        return Err(TokenError::BadSignature);
    }

    let claims = decode_json(payload_b64, "payload is not padded base64url JSON")?;
    if let Some(exp) = claims.get("exp") {
        let exp = exp
            .as_u64()
            .ok_or(TokenError::Malformed("claims exp is not a number"))?;
        if now > exp.saturating_add(CLOCK_SKEW) {
            return Err(TokenError::Expired { exp, now });
        }
    }
    let sub = match claims.get("sub") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(TokenError::Malformed("claims have no sub")),
    };
    let email = match claims.get("email") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    Ok(Claims {
        sub,
        email,
        all: claims,
    })
}
