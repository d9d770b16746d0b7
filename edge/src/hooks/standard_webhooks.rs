//! Signing deliveries per the Standard Webhooks specification
//! (<https://www.standardwebhooks.com/>, "Signature scheme"), so receivers verify them
//! with the `standardwebhooks` or `svix` libraries they already use.
//!
//! The signed content is `webhook-id.webhook-timestamp.body`; the signature is
//! `v1,` + base64(HMAC-SHA256(secret, content)). During a secret rotation both secrets
//! sign, space-separated, and a receiver accepts either.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::crypto::hmac_sha256;

/// The prefix of a symmetric secret in its exported form (`whsec_` + base64).
pub const SECRET_PREFIX: &str = "whsec_";

/// A hook's signing secret: the bytes behind `whsec_…`. Prints as `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl core::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

/// The secret is not `whsec_` followed by base64 of 24 to 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedSecret;

impl WebhookSecret {
    /// Parses the exported form. The spec's secrets are 24 to 64 bytes of randomness.
    pub fn parse(exported: &str) -> Result<WebhookSecret, MalformedSecret> {
        let encoded = exported.strip_prefix(SECRET_PREFIX).unwrap_or(exported);
        let bytes = STANDARD.decode(encoded).map_err(|_| MalformedSecret)?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(MalformedSecret);
        }
        Ok(WebhookSecret(bytes))
    }

    /// `v1,` + base64(HMAC-SHA256(secret, `id.timestamp.body`)).
    pub fn sign(&self, id: &str, timestamp_seconds: u64, body: &str) -> String {
        let content = format!("{id}.{timestamp_seconds}.{body}");
        format!(
            "v1,{}",
            STANDARD.encode(hmac_sha256(&self.0, content.as_bytes()))
        )
    }
}

/// The three Standard Webhooks headers for one attempt, signed by every secret in
/// `secrets` (the current one first).
pub fn headers(
    secrets: &[WebhookSecret],
    id: &str,
    timestamp_seconds: u64,
    body: &str,
) -> Vec<(String, String)> {
    let signature = secrets
        .iter()
        .map(|s| s.sign(id, timestamp_seconds, body))
        .collect::<Vec<_>>()
        .join(" ");
    vec![
        ("webhook-id".into(), id.to_string()),
        ("webhook-timestamp".into(), timestamp_seconds.to_string()),
        ("webhook-signature".into(), signature),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification ("Verifying webhooks").
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: u64 = 1_614_265_330;
    const SPEC_BODY: &str = r#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn standard_webhooks_signature_matches_the_spec_example() {
        let secret = WebhookSecret::parse(SPEC_SECRET).unwrap();
        assert_eq!(
            secret.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY),
            SPEC_SIGNATURE
        );
    }

    #[test]
    fn standard_webhooks_rotation_signs_with_both_secrets_current_first() {
        let current = WebhookSecret::parse(SPEC_SECRET).unwrap();
        let previous =
            WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([7u8; 32]))).unwrap();
        let headers = headers(
            &[current.clone(), previous.clone()],
            SPEC_ID,
            SPEC_TIMESTAMP,
            SPEC_BODY,
        );
        let signature = &headers
            .iter()
            .find(|(n, _)| n == "webhook-signature")
            .unwrap()
            .1;
        let parts: Vec<&str> = signature.split(' ').collect();
        assert_eq!(
            parts,
            [
                SPEC_SIGNATURE,
                &previous.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
            ]
        );
        assert!(headers.contains(&("webhook-id".into(), SPEC_ID.into())));
        assert!(headers.contains(&("webhook-timestamp".into(), "1614265330".into())));
    }

    #[test]
    fn standard_webhooks_secret_must_be_24_to_64_bytes_of_base64() {
        assert_eq!(
            WebhookSecret::parse("whsec_not base64"),
            Err(MalformedSecret)
        );
        assert_eq!(
            WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([1u8; 16]))),
            Err(MalformedSecret)
        );
        assert_eq!(
            WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([1u8; 65]))),
            Err(MalformedSecret)
        );
        assert_eq!(
            format!("{:?}", WebhookSecret::parse(SPEC_SECRET).unwrap()),
            "WebhookSecret([redacted])"
        );
    }
}
