//! ALB's login token (`x-amzn-oidc-data`), made as ALB makes it: an ES256 JWT whose header
//! carries `kid`, `signer`, `iss`, `client` and `exp`, every segment base64url *with* `=`
//! padding, the signature (r || s) over the padded text. local-alb signs its logged-in users'
//! requests with it, and tests make good and hostile tokens with it.

use base64::alphabet::URL_SAFE;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{json, Value};

/// base64url with padding, as ALB writes every segment.
pub const PADDED_URL_SAFE: GeneralPurpose =
    GeneralPurpose::new(&URL_SAFE, GeneralPurposeConfig::new());

/// The signer ARN local-alb uses for itself (a well-formed ALB ARN that is no real one).
pub const LOCAL_SIGNER: &str =
    "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/local-alb/0000000000000000";

/// A stand-in for ALB's signing side: one key, its id, the signer ARN.
pub struct AlbSigner {
    key: SigningKey,
    pub kid: String,
    pub signer: String,
}

impl AlbSigner {
    /// A signer with a key derived from `seed` (tests: the same seed, the same key).
    pub fn from_seed(seed: u8, kid: &str, signer: &str) -> AlbSigner {
        let mut bytes = [seed; 32];
        bytes[0] = 1; // below the curve order whatever the seed
        AlbSigner {
            key: SigningKey::from_slice(&bytes).expect("a scalar below the order"),
            kid: kid.into(),
            signer: signer.into(),
        }
    }

    /// A signer with a fresh key from the system's random source.
    pub fn random(kid: &str, signer: &str) -> std::io::Result<AlbSigner> {
        use std::io::Read;
        let mut urandom = std::fs::File::open("/dev/urandom")?;
        loop {
            let mut bytes = [0u8; 32];
            urandom.read_exact(&mut bytes)?;
            if let Ok(key) = SigningKey::from_slice(&bytes) {
                return Ok(AlbSigner {
                    key,
                    kid: kid.into(),
                    signer: signer.into(),
                });
            }
        }
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        *self.key.verifying_key()
    }

    /// The public key's uncompressed point (0x04, x, y).
    pub fn public_point(&self) -> Vec<u8> {
        self.verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    /// The public key as ALB's key server serves it: a PEM `PUBLIC KEY` document.
    pub fn public_pem(&self) -> String {
        self.verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("a P-256 key encodes")
    }

    /// The header ALB writes, expiring at `exp`.
    pub fn header(&self, exp: u64) -> Value {
        json!({
            "typ": "JWT",
            "kid": self.kid,
            "alg": "ES256",
            "iss": "https://idp.local-alb.invalid",
            "client": "local-alb-client",
            "signer": self.signer,
            "exp": exp,
        })
    }

    /// A token for `claims` with `header`, signed and encoded exactly as ALB does.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let signed = format!(
            "{}.{}",
            PADDED_URL_SAFE.encode(header.to_string()),
            PADDED_URL_SAFE.encode(claims.to_string())
        );
        let signature: Signature = self.key.sign(signed.as_bytes());
        format!("{signed}.{}", PADDED_URL_SAFE.encode(signature.to_bytes()))
    }

    /// The token ALB sends for a user logged in until `exp`.
    pub fn token(&self, claims: &Value, exp: u64) -> String {
        self.sign(&self.header(exp), claims)
    }
}

/// The claims of a user as an IdP's userinfo gives them.
pub fn user_claims(email: &str, groups: &[&str], exp: u64) -> Value {
    json!({
        "sub": format!("local-{}", email.replace('@', "-at-")),
        "email": email,
        "email_verified": "true",
        "groups": groups,
        "exp": exp,
        "iss": "https://idp.local-alb.invalid",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_segment_is_padded_base64url_as_alb_writes_it() {
        let signer = AlbSigner::from_seed(7, "kid-1", LOCAL_SIGNER);
        let token = signer.token(&user_claims("a@example.com", &[], 10), 10);
        let segments: Vec<&str> = token.split('.').collect();
        assert_eq!(segments.len(), 3);
        for s in &segments {
            assert_eq!(s.len() % 4, 0, "{s}");
            assert!(!s.contains(['+', '/']), "{s}");
        }
        // 64 bytes of r || s: 88 characters, the last two `=`.
        assert!(segments[2].ends_with("=="));
        assert!(signer
            .public_pem()
            .starts_with("-----BEGIN PUBLIC KEY-----"));
    }
}
