//! A person's lifecycle as administrators drive it (Okta's shape): STAGED → ACTIVE →
//! SUSPENDED → ACTIVE, DEPROVISIONED (deactivated: no sign-in, profile kept, can be
//! activated again), and deletion (personal data erased, the pseudonymous id kept),
//! with the actions an operator takes on an account in between. SCIM's `active` and
//! `DELETE` and the admin API's `POST /admin/v1/users/{id}/lifecycle/{action}` run the
//! same steps from here.

use crate::ports::{Ports, StoreError, UnixMillis};
use crate::users::{User, UserStatus};

/// What an administrator can do to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// STAGED or DEPROVISIONED → ACTIVE, and the person is emailed a link to choose a
    /// password (the account's first way of signing in).
    Activate,
    /// → DEPROVISIONED: sessions end, every token and grant issued before dies, no way
    /// of signing in works; the profile stays for a later `activate`.
    Deactivate,
    /// ACTIVE → SUSPENDED: sessions end, every token and grant issued before dies.
    Suspend,
    /// SUSPENDED → ACTIVE: the person signs in again; what was revoked stays revoked.
    Unsuspend,
    /// Ends the limits on failed sign-ins and second-factor codes that the account has
    /// run into (the account is no longer "under attack" and may try codes again).
    Unlock,
    /// Emails the person a password-reset link (the one they could ask for themselves).
    ResetPassword,
    /// Removes every authenticator app and recovery code; the person enrols again.
    ResetFactors,
    /// Ends every session and kills every token and grant issued so far.
    RevokeSessions,
    /// → DEPROVISIONED: personal data erased, the pseudonymous id kept for the log.
    Delete,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::Activate,
        Action::Deactivate,
        Action::Suspend,
        Action::Unsuspend,
        Action::Unlock,
        Action::ResetPassword,
        Action::ResetFactors,
        Action::RevokeSessions,
        Action::Delete,
    ];

    /// The action as the route names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Activate => "activate",
            Action::Deactivate => "deactivate",
            Action::Suspend => "suspend",
            Action::Unsuspend => "unsuspend",
            Action::Unlock => "unlock",
            Action::ResetPassword => "reset_password",
            Action::ResetFactors => "reset_factors",
            Action::RevokeSessions => "revoke_sessions",
            Action::Delete => "delete",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// Whether the action applies to an account in `status` (a deleted account is
    /// never found, so it is not listed).
    pub fn applies_to(self, status: UserStatus) -> bool {
        match self {
            Action::Activate => matches!(status, UserStatus::Staged | UserStatus::Deactivated),
            Action::Deactivate => matches!(
                status,
                UserStatus::Staged | UserStatus::Active | UserStatus::Suspended
            ),
            Action::Suspend => status == UserStatus::Active,
            Action::Unsuspend => status == UserStatus::Suspended,
            Action::ResetPassword => status == UserStatus::Active,
            Action::Unlock | Action::ResetFactors | Action::RevokeSessions | Action::Delete => {
                status != UserStatus::Deprovisioned
            }
        }
    }

    /// The System Log event the action records.
    pub fn event_type(self) -> &'static str {
        use crate::events::types;
        match self {
            Action::Activate => types::USER_ACTIVATE,
            Action::Deactivate => types::USER_DEACTIVATE,
            Action::Suspend => types::USER_SUSPEND,
            Action::Unsuspend => types::USER_UNSUSPEND,
            Action::Unlock => types::USER_UNLOCK,
            Action::ResetPassword => types::USER_RESET_PASSWORD,
            Action::ResetFactors => types::USER_RESET_FACTORS,
            Action::RevokeSessions => types::USER_SESSIONS_CLEAR,
            Action::Delete => types::USER_DELETE,
        }
    }

    pub fn display_message(self) -> &'static str {
        match self {
            Action::Activate => "An admin activated a user",
            Action::Deactivate => "An admin deactivated a user",
            Action::Suspend => "An admin suspended a user",
            Action::Unsuspend => "An admin reactivated a user",
            Action::Unlock => "An admin unlocked a user's sign-in limits",
            Action::ResetPassword => "An admin sent a user a password reset link",
            Action::ResetFactors => "An admin reset a user's second factors",
            Action::RevokeSessions => "An admin ended a user's sessions and tokens",
            Action::Delete => "An admin deleted a user",
        }
    }
}

/// The account after a status change or a revocation at `now`: a new version (even
/// within one millisecond), and, when `revoke`, every token and grant issued before
/// `now` dead.
pub fn changed(user: &User, status: UserStatus, revoke: bool, now: UnixMillis) -> User {
    User {
        status,
        updated_at: UnixMillis(now.0.max(user.updated_at.0 + 1)),
        tokens_valid_after: if revoke {
            Some(now)
        } else {
            user.tokens_valid_after
        },
        ..user.clone()
    }
}

/// Ends every SSO session of the account.
pub async fn end_sessions(ports: &Ports<'_>, user_id: &str) -> Result<(), StoreError> {
    ports.sessions.delete_for_user(user_id).await
}

/// Deletes the account: sessions end, it leaves every group, its grants end and keep
/// nothing of it, and its personal data is erased (the System Log keeps the id, without
/// address, name, IP address or user agent). Returns the pseudonymous account, as events
/// name it from now on. The grants hear first: if one cannot be reached, nothing is
/// erased and the deletion can be repeated.
pub async fn erase(ports: &Ports<'_>, user: &User) -> Result<User, StoreError> {
    end_sessions(ports, &user.id).await?;
    ports.groups.remove_user(&user.id).await?;
    crate::holders::end(ports, &user.id).await?;
    ports.directory.erase(&user.id, ports.clock.now()).await?;
    Ok(User {
        email: String::new(),
        name: None,
        given_name: None,
        family_name: None,
        external_id: None,
        profile: Default::default(),
        ..user.clone()
    })
}

/// Ends the account's sign-in and second-factor limits (see [`crate::throttle`] and
/// [`crate::mfa::admit_code`]). The limits per (account, IP prefix) run out by
/// themselves within their window; they never stop the owner elsewhere.
pub async fn unlock(ports: &Ports<'_>, user: &User) -> Result<(), StoreError> {
    let now = ports.clock.now();
    ports
        .counters
        .reset(&crate::throttle::account_counter(&user.email), now)
        .await?;
    ports
        .counters
        .reset(&crate::mfa::code_counter(&user.id), now)
        .await
}

/// Removes the account's authenticator apps and recovery codes; the number of apps
/// removed.
pub async fn reset_factors(ports: &Ports<'_>, user_id: &str) -> Result<usize, StoreError> {
    let apps = ports.factors.totp_for(user_id).await?;
    for app in &apps {
        ports.factors.delete_totp(user_id, &app.id).await?;
    }
    ports
        .factors
        .replace_recovery_codes(user_id, &[], ports.clock.now())
        .await?;
    ports.factors.forget_device_tokens(user_id).await?;
    Ok(apps.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_has_one_name_and_applies_only_from_its_states() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
            assert!(!action.applies_to(UserStatus::Deprovisioned));
        }
        assert_eq!(Action::parse("Suspend"), None);
        assert_eq!(Action::parse("reactivate"), None);
        assert!(Action::Activate.applies_to(UserStatus::Staged));
        assert!(Action::Activate.applies_to(UserStatus::Deactivated));
        assert!(!Action::Activate.applies_to(UserStatus::Active));
        assert!(!Action::Activate.applies_to(UserStatus::Suspended));
        assert!(Action::Deactivate.applies_to(UserStatus::Staged));
        assert!(Action::Deactivate.applies_to(UserStatus::Suspended));
        assert!(!Action::Deactivate.applies_to(UserStatus::Deactivated));
        assert!(!Action::ResetPassword.applies_to(UserStatus::Staged));
        assert!(Action::Suspend.applies_to(UserStatus::Active));
        assert!(!Action::Suspend.applies_to(UserStatus::Suspended));
        assert!(Action::Unsuspend.applies_to(UserStatus::Suspended));
        assert!(!Action::Unsuspend.applies_to(UserStatus::Active));
        assert!(!Action::ResetPassword.applies_to(UserStatus::Suspended));
        assert!(Action::RevokeSessions.applies_to(UserStatus::Suspended));
    }

    #[test]
    fn a_change_is_a_new_version_and_revoking_dates_the_cut_off() {
        let user = crate::testing::user("u1", "pat@example.com");
        let now = UnixMillis(user.updated_at.0);
        let suspended = changed(&user, UserStatus::Suspended, true, now);
        assert_eq!(suspended.status, UserStatus::Suspended);
        assert!(suspended.updated_at > user.updated_at);
        assert_eq!(suspended.tokens_valid_after, Some(now));
        let back = changed(&suspended, UserStatus::Active, false, now);
        assert_eq!(
            back.tokens_valid_after,
            Some(now),
            "what was revoked stays revoked"
        );
        assert!(back.updated_at > suspended.updated_at);
    }
}
