//! The client policy check: whether a client admits a person. Every path that hands a
//! person to a client runs this one function — interactive sign-in, silent SSO at
//! `/authorize`, refresh, and introspection's answer about a token — so no path lets in
//! someone the others keep out (DESIGN.md, "One policy, every path").

use crate::clients::Client;
use crate::users::{Holder, User, UserStatus};

/// What the policy reads of a person: the person as stored ([`User`]), or as their
/// grant keeps them ([`Holder`]).
pub trait Standing {
    fn status(&self) -> UserStatus;
    fn email_verified(&self) -> bool;
}

impl Standing for User {
    fn status(&self) -> UserStatus {
        self.status
    }
    fn email_verified(&self) -> bool {
        self.email_verified
    }
}

impl Standing for Holder {
    fn status(&self) -> UserStatus {
        self.status
    }
    fn email_verified(&self) -> bool {
        self.email_verified
    }
}

/// Why a client's policy refuses a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyRefusal {
    /// The account is suspended or deprovisioned.
    Inactive,
    /// The client admits only verified email addresses, and this one is not verified.
    EmailUnverified,
}

/// Whether `client` admits `user` now: the one client policy check every path runs.
pub fn admits(client: &Client, person: &impl Standing) -> Result<(), PolicyRefusal> {
    if person.status() != UserStatus::Active {
        return Err(PolicyRefusal::Inactive);
    }
    if client.requires_verified_email && !person.email_verified() {
        return Err(PolicyRefusal::EmailUnverified);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{demo_client, user};

    #[test]
    fn one_policy_every_path_refuses_inactive_accounts_and_unverified_emails_where_required() {
        let lenient = demo_client();
        let strict = Client {
            requires_verified_email: true,
            ..demo_client()
        };
        let unverified = user("u1", "ada@example.com");
        let verified = User {
            email_verified: true,
            ..unverified.clone()
        };
        assert_eq!(admits(&lenient, &unverified), Ok(()));
        assert_eq!(
            admits(&strict, &unverified.holder()),
            Err(PolicyRefusal::EmailUnverified)
        );
        assert_eq!(admits(&strict, &verified), Ok(()));
        assert_eq!(
            admits(&strict, &unverified),
            Err(PolicyRefusal::EmailUnverified)
        );
        for status in [UserStatus::Suspended, UserStatus::Deprovisioned] {
            let inactive = User {
                status,
                ..verified.clone()
            };
            assert_eq!(admits(&lenient, &inactive), Err(PolicyRefusal::Inactive));
            assert_eq!(admits(&strict, &inactive), Err(PolicyRefusal::Inactive));
            // The same answer from what a grant keeps of the person.
            assert_eq!(
                admits(&strict, &inactive.holder()),
                Err(PolicyRefusal::Inactive)
            );
        }
    }
}
