//! A grant: what one authorization-code redemption produced, and the refresh-token
//! family that continues it (RFC 6749 §6, RFC 9700 §4.14.2 "refresh token rotation").
//!
//! The state machine is plain data so it can be tested here and run inside one Durable
//! Object per grant, which makes every transition strongly consistent:
//!
//! - each refresh presents the current token and gets a new one; the presented one
//!   becomes "previous";
//! - within [`RETRY_GRACE_MS`] of a rotation, presenting the previous token again
//!   returns the same successor (a retried request whose response was lost, or two
//!   concurrent refreshes of one token), and nothing new is minted;
//! - any other token of the family, or the previous one after the grace, is reuse: the
//!   whole grant is revoked (RFC 9700 §4.14.2), including access tokens minted from it.

use serde::{Deserialize, Serialize};

use crate::crypto::sha256_hex;
use crate::ports::UnixMillis;

/// How long a just-rotated refresh token may be presented again and receive the same
/// successor.
pub const RETRY_GRACE_MS: u64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub user_id: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// OIDC `auth_time`, Unix milliseconds.
    pub auth_time: u64,
    pub amr: Vec<String>,
    pub created_at: u64,
    /// After this (Unix milliseconds) the grant and its refresh tokens are dead.
    pub expires_at: u64,
    pub revoked: bool,
    /// The refresh-token family, when one was issued (`offline_access`).
    pub refresh: Option<RefreshState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshState {
    /// SHA-256 (hex) of the current token's secret.
    pub current_hash: String,
    pub previous_hash: Option<String>,
    pub rotated_at: u64,
    /// The current token's secret, kept only for the retry grace after a rotation, so a
    /// retry receives the same successor. Cleared once the grace has passed.
    pub successor: Option<String>,
}

impl RefreshState {
    pub fn new(secret: &str, now: UnixMillis) -> RefreshState {
        RefreshState {
            current_hash: sha256_hex(secret),
            previous_hash: None,
            rotated_at: now.0,
            successor: None,
        }
    }
}

/// What a caller asks of a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum GrantCommand {
    /// `client_id` presents the refresh token secret `presented`; `fresh` is the
    /// successor to use if this is a legitimate rotation; `scopes` is a narrower scope
    /// requested (RFC 6749 §6).
    Rotate {
        client_id: String,
        presented: String,
        fresh: String,
        scopes: Option<Vec<String>>,
    },
    /// RFC 7009: revoke the grant and everything minted from it. With a `client_id`, only
    /// if the grant was issued to that client (§2.1).
    Revoke { client_id: Option<String> },
    /// Read the grant, e.g. to check an access token is still backed by a live grant.
    Get,
}

/// What the grant answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum GrantReply {
    /// The refresh succeeded: `refresh_secret` is the token secret to hand out.
    Rotated {
        refresh_secret: String,
        grant: Grant,
    },
    /// The grant is alive.
    Active {
        grant: Grant,
    },
    /// Unknown, expired or revoked grant, or a wrong token; nothing is disclosed.
    Invalid,
    /// The requested scope exceeds the grant's (RFC 6749 §6); nothing changed.
    InvalidScope,
    /// A rotated token was presented again: the grant is now revoked.
    ReuseDetected {
        grant: Grant,
    },
    Revoked,
}

impl Grant {
    pub fn is_live(&self, now: UnixMillis) -> bool {
        !self.revoked && now.0 < self.expires_at
    }

    /// Runs `command` against the grant (or its absence) at `now`; returns the new state to
    /// store and the reply.
    pub fn apply(
        state: Option<Grant>,
        command: &GrantCommand,
        now: UnixMillis,
    ) -> (Option<Grant>, GrantReply) {
        let Some(mut grant) = state else {
            return (None, GrantReply::Invalid);
        };
        match command {
            GrantCommand::Revoke { client_id } => {
                if client_id.as_ref().is_some_and(|id| *id != grant.client_id) {
                    return (Some(grant), GrantReply::Invalid);
                }
                grant.revoked = true;
                grant.refresh = None;
                (Some(grant), GrantReply::Revoked)
            }
            GrantCommand::Get => {
                let reply = if grant.is_live(now) {
                    GrantReply::Active {
                        grant: grant.clone(),
                    }
                } else {
                    GrantReply::Invalid
                };
                (Some(grant), reply)
            }
            GrantCommand::Rotate {
                client_id,
                presented,
                fresh,
                scopes,
            } => {
                if *client_id != grant.client_id {
                    // RFC 6749 §6: the token must have been issued to this client. A
                    // stranger's guess does not revoke the rightful client's family.
                    return (Some(grant), GrantReply::Invalid);
                }
                if let Some(scopes) = scopes {
                    if scopes.iter().any(|s| !grant.scopes.contains(s)) {
                        return (Some(grant), GrantReply::InvalidScope);
                    }
                }
                grant.rotate(presented, fresh, now)
            }
        }
    }

    fn rotate(
        mut self,
        presented: &str,
        fresh: &str,
        now: UnixMillis,
    ) -> (Option<Grant>, GrantReply) {
        if !self.is_live(now) {
            return (Some(self), GrantReply::Invalid);
        }
        let Some(mut refresh) = self.refresh.take() else {
            return (Some(self), GrantReply::Invalid);
        };
        let presented_hash = sha256_hex(presented);
        let within_grace = now.0.saturating_sub(refresh.rotated_at) < RETRY_GRACE_MS;
        if !within_grace {
            refresh.successor = None;
        }
        if crate::crypto::constant_time_eq(&presented_hash, &refresh.current_hash) {
            refresh.previous_hash = Some(refresh.current_hash);
            refresh.current_hash = sha256_hex(fresh);
            refresh.rotated_at = now.0;
            refresh.successor = Some(fresh.to_string());
            self.refresh = Some(refresh);
            let reply = GrantReply::Rotated {
                refresh_secret: fresh.to_string(),
                grant: self.clone(),
            };
            return (Some(self), reply);
        }
        let is_previous = refresh
            .previous_hash
            .as_deref()
            .is_some_and(|p| crate::crypto::constant_time_eq(&presented_hash, p));
        if is_previous {
            if let Some(successor) = refresh.successor.clone() {
                self.refresh = Some(refresh);
                let reply = GrantReply::Rotated {
                    refresh_secret: successor,
                    grant: self.clone(),
                };
                return (Some(self), reply);
            }
        }
        // Reuse of a rotated (or never issued) token of this family: revoke it all.
        self.revoked = true;
        let reply = GrantReply::ReuseDetected {
            grant: self.clone(),
        };
        (Some(self), reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: UnixMillis = UnixMillis(1_000_000);

    fn grant(refresh: Option<&str>) -> Grant {
        Grant {
            user_id: "u".into(),
            client_id: "demo".into(),
            scopes: vec!["openid".into(), "offline_access".into()],
            auth_time: T0.0,
            amr: vec!["pwd".into()],
            created_at: T0.0,
            expires_at: T0.plus_seconds(3600).0,
            revoked: false,
            refresh: refresh.map(|s| RefreshState::new(s, T0)),
        }
    }

    fn rotate(
        state: Option<Grant>,
        presented: &str,
        fresh: &str,
        at: UnixMillis,
    ) -> (Option<Grant>, GrantReply) {
        Grant::apply(
            state,
            &GrantCommand::Rotate {
                client_id: "demo".into(),
                presented: presented.into(),
                fresh: fresh.into(),
                scopes: None,
            },
            at,
        )
    }

    fn secret_of(reply: &GrantReply) -> &str {
        match reply {
            GrantReply::Rotated { refresh_secret, .. } => refresh_secret,
            other => panic!("expected rotation, got {other:?}"),
        }
    }

    #[test]
    fn rfc9700_4_14_2_each_refresh_rotates_the_token() {
        let (state, reply) = rotate(Some(grant(Some("r0"))), "r0", "r1", T0.plus_seconds(60));
        assert_eq!(secret_of(&reply), "r1");
        let (_, reply) = rotate(state, "r1", "r2", T0.plus_seconds(120));
        assert_eq!(secret_of(&reply), "r2");
    }

    #[test]
    fn rfc9700_4_14_2_reuse_of_a_rotated_token_revokes_the_family() {
        let (state, _) = rotate(Some(grant(Some("r0"))), "r0", "r1", T0.plus_seconds(60));
        let (state, _) = rotate(state, "r1", "r2", T0.plus_seconds(120));
        let (state, reply) = rotate(state, "r0", "x", T0.plus_seconds(121));
        assert!(matches!(reply, GrantReply::ReuseDetected { .. }));
        // The legitimate newest token is dead too.
        let (state, reply) = rotate(state, "r2", "r3", T0.plus_seconds(122));
        assert_eq!(reply, GrantReply::Invalid);
        let (_, reply) = Grant::apply(state, &GrantCommand::Get, T0.plus_seconds(123));
        assert_eq!(reply, GrantReply::Invalid);
    }

    #[test]
    fn a_retry_within_the_grace_gets_the_same_successor() {
        let t = T0.plus_seconds(60);
        let (state, first) = rotate(Some(grant(Some("r0"))), "r0", "r1", t);
        let (state, retry) = rotate(state, "r0", "other", UnixMillis(t.0 + RETRY_GRACE_MS - 1));
        assert_eq!(secret_of(&first), "r1");
        assert_eq!(
            secret_of(&retry),
            "r1",
            "concurrent refreshes share one successor"
        );
        // The successor still works and the family is intact.
        let (_, next) = rotate(state, "r1", "r2", UnixMillis(t.0 + RETRY_GRACE_MS));
        assert_eq!(secret_of(&next), "r2");
    }

    #[test]
    fn the_previous_token_after_the_grace_is_reuse() {
        let t = T0.plus_seconds(60);
        let (state, _) = rotate(Some(grant(Some("r0"))), "r0", "r1", t);
        let (_, reply) = rotate(state, "r0", "x", UnixMillis(t.0 + RETRY_GRACE_MS));
        assert!(matches!(reply, GrantReply::ReuseDetected { .. }));
    }

    #[test]
    fn expired_revoked_missing_or_refreshless_grants_refuse_rotation() {
        let (_, reply) = rotate(Some(grant(Some("r0"))), "r0", "r1", T0.plus_seconds(3600));
        assert_eq!(reply, GrantReply::Invalid, "expired");
        let (state, _) = Grant::apply(
            Some(grant(Some("r0"))),
            &GrantCommand::Revoke { client_id: None },
            T0,
        );
        let (_, reply) = rotate(state, "r0", "r1", T0);
        assert_eq!(reply, GrantReply::Invalid, "revoked");
        assert_eq!(
            rotate(None, "r0", "r1", T0).1,
            GrantReply::Invalid,
            "unknown"
        );
        assert_eq!(
            rotate(Some(grant(None)), "r0", "r1", T0).1,
            GrantReply::Invalid
        );
    }

    #[test]
    fn rfc6749_6_another_client_or_a_wider_scope_changes_nothing() {
        let other = GrantCommand::Rotate {
            client_id: "other".into(),
            presented: "r0".into(),
            fresh: "r1".into(),
            scopes: None,
        };
        let (state, reply) = Grant::apply(Some(grant(Some("r0"))), &other, T0);
        assert_eq!(reply, GrantReply::Invalid);
        let wider = GrantCommand::Rotate {
            client_id: "demo".into(),
            presented: "r0".into(),
            fresh: "r1".into(),
            scopes: Some(vec!["openid".into(), "admin".into()]),
        };
        let (state, reply) = Grant::apply(state, &wider, T0);
        assert_eq!(reply, GrantReply::InvalidScope);
        let revoke_other = GrantCommand::Revoke {
            client_id: Some("other".into()),
        };
        let (state, _) = Grant::apply(state, &revoke_other, T0);
        let (_, reply) = rotate(state, "r0", "r1", T0);
        assert_eq!(secret_of(&reply), "r1", "the family is intact");
    }

    #[test]
    fn get_reports_live_grants_only() {
        let (_, reply) = Grant::apply(Some(grant(None)), &GrantCommand::Get, T0);
        assert!(matches!(reply, GrantReply::Active { .. }));
        let (_, reply) = Grant::apply(Some(grant(None)), &GrantCommand::Get, T0.plus_seconds(3600));
        assert_eq!(reply, GrantReply::Invalid);
    }
}
