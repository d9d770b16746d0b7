//! `CollectedClientData` (§5.8.1), as the client serialised it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use super::CeremonyError;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientData {
    #[serde(rename = "type")]
    pub kind: String,
    /// base64url of the challenge the relying party issued.
    pub challenge: String,
    pub origin: String,
    #[serde(default)]
    pub cross_origin: Option<bool>,
    #[serde(default)]
    pub top_origin: Option<String>,
}

impl ClientData {
    /// §7.1 step 5 / §7.2 step 9: "Let C … be the result of running an implementation-
    /// specific JSON parser on JSONtext."
    pub fn parse(json: &[u8]) -> Result<ClientData, CeremonyError> {
        serde_json::from_slice(json).map_err(|_| CeremonyError::MalformedClientData)
    }

    /// The checks shared by both ceremonies (§7.1 steps 7–10, §7.2 steps 11–14).
    pub fn verify(
        &self,
        expected_type: &str,
        challenge: &[u8],
        origins: &[String],
    ) -> Result<(), CeremonyError> {
        // §7.1 step 7 / §7.2 step 11: C.type is webauthn.create / webauthn.get.
        if self.kind != expected_type {
            return Err(CeremonyError::WrongType);
        }
        // §7.1 step 8 / §7.2 step 12: C.challenge equals the base64url of the challenge.
        let presented = URL_SAFE_NO_PAD
            .decode(self.challenge.trim_end_matches('='))
            .map_err(|_| CeremonyError::MismatchedChallenge)?;
        if !crate::crypto::constant_time_eq_bytes(&presented, challenge) {
            return Err(CeremonyError::MismatchedChallenge);
        }
        // §7.1 step 9 / §7.2 step 13: C.origin is an expected origin.
        if !origins.contains(&self.origin) {
            return Err(CeremonyError::InvalidOrigin);
        }
        // §7.1 step 10 / §7.2 step 14: if C.topOrigin is present, the RP expects to be
        // embedded. We run ceremonies only first-party (the iframe mode will list its
        // top origins), so a cross-origin ceremony is refused.
        if self.cross_origin == Some(true) || self.top_origin.is_some() {
            return Err(CeremonyError::CrossOriginNotAllowed);
        }
        Ok(())
    }
}
