//! The public keys tokens are checked with, handed to the verifier: the shell fetches them
//! (`key_fetch` in the binary), tests make their own.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

/// Why no key was had for a `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The key server answered that it has no such key (a forged or foreign `kid`): the
    /// token is refused as any bad token is.
    Unknown,
    /// The key server could not be asked or answered nonsense: the site fails closed (503).
    Unavailable(String),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Unknown => f.write_str("no such key"),
            KeyError::Unavailable(why) => write!(f, "key unavailable: {why}"),
        }
    }
}

impl std::error::Error for KeyError {}

/// A P-256 public key: its uncompressed point (0x04, x, y).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey([u8; 65]);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(P-256)")
    }
}

/// The DER of a SubjectPublicKeyInfo for id-ecPublicKey on prime256v1, up to the point: every
/// P-256 `PUBLIC KEY` PEM starts with these 26 bytes (RFC 5480).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

impl PublicKey {
    /// The key in the PEM document ALB's key server returns (`-----BEGIN PUBLIC KEY-----`).
    /// Read by hand: the document has exactly one shape for a P-256 key (the 26-byte prefix
    /// above, then the point), and this keeps a general ASN.1 and PEM stack out of the binary.
    pub fn from_pem(pem: &str) -> Result<PublicKey, KeyError> {
        let bad = |why: &str| {
            KeyError::Unavailable(format!(
                "the key server's answer is not a P-256 public key: {why}"
            ))
        };
        let body = pem
            .trim()
            .strip_prefix("-----BEGIN PUBLIC KEY-----")
            .and_then(|rest| rest.trim_end().strip_suffix("-----END PUBLIC KEY-----"))
            .ok_or_else(|| bad("no PUBLIC KEY block"))?;
        let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = STANDARD.decode(b64).map_err(|_| bad("bad base64"))?;
        match der.strip_prefix(&P256_SPKI_PREFIX[..]) {
            Some(point) if point.len() == 65 && point[0] == 0x04 => PublicKey::from_point(point),
            _ => Err(bad("not an uncompressed P-256 key")),
        }
    }

    /// The key from its uncompressed point (65 bytes: 0x04, x, y).
    pub fn from_point(point: &[u8]) -> Result<PublicKey, KeyError> {
        let point: [u8; 65] = point
            .try_into()
            .map_err(|_| KeyError::Unavailable("a P-256 point has 65 bytes".into()))?;
        Ok(PublicKey(point))
    }

    /// Whether `signature` (r || s, 64 bytes) is this key's ES256 signature of `message`.
    /// ring checks the point is on the curve and r, s in range.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.0[..])
            .verify(message, signature)
            .is_ok()
    }
}

/// Where the verifier gets the key for a `kid` (already checked to be of a safe shape).
pub trait KeyStore {
    fn key(&self, kid: &str) -> Result<PublicKey, KeyError>;
}

/// Keys known in advance, by `kid`: for tests and tools.
impl KeyStore for Vec<(String, PublicKey)> {
    fn key(&self, kid: &str) -> Result<PublicKey, KeyError> {
        self.iter()
            .find(|(k, _)| k == kid)
            .map(|(_, key)| key.clone())
            .ok_or(KeyError::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_key() {
        for pem in [
            "",
            "this is not a key",
            "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----",
            // An RSA key's SPKI.
            "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END PUBLIC KEY-----",
        ] {
            assert!(
                matches!(PublicKey::from_pem(pem), Err(KeyError::Unavailable(_))),
                "{pem}"
            );
        }
    }
}
