//! The public keys tokens are checked with, handed to the verifier: the shell fetches them
//! (`key_fetch` in the binary), tests make their own.

use std::fmt;

use p256::ecdsa::VerifyingKey;
use p256::pkcs8::DecodePublicKey;

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

/// Where the verifier gets the key for a `kid` (already checked to be of a safe shape).
pub trait KeyStore {
    fn key(&self, kid: &str) -> Result<VerifyingKey, KeyError>;
}

/// A P-256 public key from the PEM document ALB's key server returns
/// (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo).
pub fn parse_pem_key(pem: &str) -> Result<VerifyingKey, KeyError> {
    VerifyingKey::from_public_key_pem(pem.trim()).map_err(|e| {
        KeyError::Unavailable(format!(
            "the key server's answer is not a P-256 public key: {e}"
        ))
    })
}

/// Keys known in advance, by `kid`: for tests and tools.
impl KeyStore for [(String, VerifyingKey)] {
    fn key(&self, kid: &str) -> Result<VerifyingKey, KeyError> {
        self.iter()
            .find(|(k, _)| k == kid)
            .map(|(_, key)| *key)
            .ok_or(KeyError::Unknown)
    }
}
