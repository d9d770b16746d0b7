//! RFC 8176 authentication method references: how a person proved who they are, carried
//! from the step that proved it through the flow, the authorization code, the SSO
//! session and the grant into the `amr` claim (OIDC Core §2), and read back by the MFA
//! policy ([`crate::mfa`]) and the `acr` a token claims ([`crate::oauth::tokens::acr_for`]).
//!
//! Serialised exactly as the claim: a JSON array of the registered names.

use serde::{Deserialize, Serialize};

/// One RFC 8176 §2 method value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Password-based authentication.
    Pwd,
    /// A one-time password: an authenticator app's code (RFC 6238), a code sent by email,
    /// or a single-use recovery code.
    Otp,
    /// Proof of possession of a software-secured key (a passkey that may be synced).
    Swk,
    /// Proof of possession of a hardware-secured key.
    Hwk,
    /// User presence test (an authenticator's user verification).
    User,
    /// Multiple-factor authentication: the methods listed prove more than one factor.
    Mfa,
    /// Federated: an upstream identity provider authenticated the person (not an RFC
    /// 8176 value; the one Microsoft Entra ID uses).
    Fed,
}

impl Method {
    /// The registered name, as in the claim.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Pwd => "pwd",
            Method::Otp => "otp",
            Method::Swk => "swk",
            Method::Hwk => "hwk",
            Method::User => "user",
            Method::Mfa => "mfa",
            Method::Fed => "fed",
        }
    }
}

/// The methods of one authentication, in the order they were used, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amr(Vec<Method>);

impl Amr {
    /// The methods of a single step.
    pub fn of(methods: &[Method]) -> Amr {
        methods.iter().fold(Amr::default(), |amr, m| amr.with(*m))
    }

    /// A password sign-in.
    pub fn password() -> Amr {
        Amr::of(&[Method::Pwd])
    }

    /// This authentication with `method` added (once).
    pub fn with(mut self, method: Method) -> Amr {
        if !self.0.contains(&method) {
            self.0.push(method);
        }
        self
    }

    /// This authentication completed by a second factor of `methods`: the result proves
    /// more than one factor, so it also says `mfa`.
    pub fn with_second_factor(self, methods: &[Method]) -> Amr {
        methods
            .iter()
            .fold(self, |amr, m| amr.with(*m))
            .with(Method::Mfa)
    }

    pub fn contains(&self, method: Method) -> bool {
        self.0.contains(&method)
    }

    /// Whether more than one factor was proven (RFC 8176 `mfa`).
    pub fn is_multi_factor(&self) -> bool {
        self.contains(Method::Mfa)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn methods(&self) -> &[Method] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8176_values_serialise_as_their_registered_names() {
        let amr = Amr::password().with_second_factor(&[Method::Otp]);
        assert_eq!(
            serde_json::to_value(&amr).unwrap(),
            serde_json::json!(["pwd", "otp", "mfa"])
        );
        for m in [
            Method::Pwd,
            Method::Otp,
            Method::Swk,
            Method::Hwk,
            Method::User,
            Method::Mfa,
        ] {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        let back: Amr = serde_json::from_str(r#"["swk","user","mfa"]"#).unwrap();
        assert!(back.is_multi_factor() && back.contains(Method::Swk));
    }

    #[test]
    fn a_method_is_listed_once_and_only_a_second_factor_says_mfa() {
        let amr = Amr::password().with(Method::Pwd).with(Method::Otp);
        assert_eq!(amr.methods(), [Method::Pwd, Method::Otp]);
        assert!(!amr.is_multi_factor());
        assert!(Amr::password()
            .with_second_factor(&[Method::Otp])
            .is_multi_factor());
        assert!(serde_json::from_str::<Amr>(r#"["retina"]"#).is_err());
    }
}
