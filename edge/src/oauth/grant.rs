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
//! - any other token this family issued, or the previous one after the grace, is reuse:
//!   the whole grant is revoked (RFC 9700 §4.14.2), including access tokens minted
//!   from it;
//! - a secret the family never issued (a guess, or a forgery built around a grant id
//!   someone learnt) proves nothing about the family and changes nothing: otherwise
//!   anyone who knew a grant id could end it.
//!
//! The grant also keeps its person as tokens describe them (a [`Holder`]: status,
//! `tokens_valid_after`, address and names), updated by [`GrantCommand::Hold`] whenever
//! those change, so a refresh or a token check reads the person from here, not from D1.
//! A grant whose person is no longer active, or whose password was reset after the
//! grant began, is not live: a rotation then revokes it.
//!
//! A grant is addressed by its [`GrantRef`], never by its id: the id travels only inside
//! the refresh token, so neither an access token nor the store hands out what a refresh
//! or a revocation request would need.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::crypto::{constant_time_eq, hmac_sha256, sha256_hex};
use crate::oauth::scope::Scopes;
use crate::time::UnixMillis;
use crate::users::{Holder, UserStatus};

/// How long a just-rotated refresh token may be presented again and receive the same
/// successor.
pub const RETRY_GRACE_MS: u64 = 10_000;

/// Characters at the end of a refresh secret that are its family's tag (126 bits).
const TAG_CHARS: usize = 21;

/// Characters of fresh randomness at the start of a refresh secret (132 bits), so a
/// secret has the 43-character shape of a handle.
const NONCE_CHARS: usize = 22;

/// Where a grant lives and how access tokens name it: the SHA-256 (hex) of the grant's
/// id. The id is 256 random bits, so the reference cannot be turned back into it, and a
/// refresh token (`{grant_id}.{secret}`) or a revocation built from a reference finds
/// no grant at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GrantRef(String);

impl GrantRef {
    /// The reference of the grant whose id is `grant_id`.
    pub fn of(grant_id: &str) -> GrantRef {
        GrantRef(sha256_hex(grant_id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub user_id: String,
    pub client_id: String,
    pub scopes: Scopes,
    /// OIDC `auth_time`.
    pub auth_time: UnixMillis,
    pub amr: crate::amr::Amr,
    pub created_at: UnixMillis,
    /// After this the grant and its refresh tokens are dead.
    pub expires_at: UnixMillis,
    pub revoked: bool,
    /// The refresh-token family, when one was issued (`offline_access`).
    pub refresh: Option<RefreshState>,
    /// The person as of the last change to them. `None` only in grants stored before
    /// grants kept their person; those read the person from the user store.
    #[serde(default)]
    pub holder: Option<Holder>,
    /// Where the grant was made, for the person's list of their sessions. `None` in
    /// grants stored before grants kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<GrantPlace>,
}

/// Where a grant was made: the country of the request that made it (from the signal
/// port) and its user agent, shown to the person beside their sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantPlace {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
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
    /// The family's own random key: every secret it issues ends with a tag made under
    /// it, so a secret it issued long ago is still recognised as reuse without a list of
    /// them, and one it never issued is told apart. It never leaves Portcullis.
    pub issuing_key: String,
}

impl RefreshState {
    /// Starts a family: `issuing_key` and `fresh` are fresh random handles. Returns the
    /// state and the first token's secret.
    pub fn start(issuing_key: String, fresh: &str, now: UnixMillis) -> (RefreshState, String) {
        let mut state = RefreshState {
            current_hash: String::new(),
            previous_hash: None,
            rotated_at: now.0,
            successor: None,
            issuing_key,
        };
        let secret = state.issue(fresh);
        state.current_hash = sha256_hex(&secret);
        (state, secret)
    }

    /// A secret of this family: the start of `fresh` (random), then the tag of it.
    fn issue(&self, fresh: &str) -> String {
        let nonce = fresh.get(..NONCE_CHARS).unwrap_or(fresh);
        format!("{nonce}{}", self.tag(nonce))
    }

    fn tag(&self, nonce: &str) -> String {
        let mac = hmac_sha256(self.issuing_key.as_bytes(), nonce.as_bytes());
        URL_SAFE_NO_PAD
            .encode(mac)
            .chars()
            .take(TAG_CHARS)
            .collect()
    }

    /// Whether this family issued `secret` at some point (current, previous or older).
    fn issued(&self, secret: &str) -> bool {
        let Some(split) = secret.len().checked_sub(TAG_CHARS) else {
            return false;
        };
        match (secret.get(..split), secret.get(split..)) {
            (Some(nonce), Some(tag)) if !nonce.is_empty() => {
                constant_time_eq(tag, &self.tag(nonce))
            }
            _ => false,
        }
    }
}

/// What a caller asks of a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum GrantCommand {
    /// `client_id` presents the refresh token secret `presented`; `fresh` is a random
    /// handle the successor is made from if this is a legitimate rotation; `scopes` is a
    /// narrower scope requested (RFC 6749 §6).
    Rotate {
        client_id: String,
        presented: String,
        fresh: String,
        scopes: Option<Scopes>,
    },
    /// RFC 7009 for a refresh token: revoke the grant and everything minted from it, but
    /// only if `presented` is a secret this family issued and the grant is `client_id`'s
    /// (§2.1). Anything else changes nothing (§2.2: the caller is told the same).
    RevokeRefresh {
        client_id: String,
        presented: String,
    },
    /// Revoke the grant and everything minted from it, for a caller that has already
    /// proven it may: one of our signed access tokens naming the grant (RFC 7009, then
    /// with the `client_id` it was issued to, §2.1), or Portcullis itself (a reused code,
    /// a person no longer admitted).
    Revoke { client_id: Option<String> },
    /// Read the grant, e.g. to check an access token is still backed by a live grant.
    Get,
    /// The person changed (suspended, reactivated, reset, verified, renamed, erased):
    /// keep `holder` in place of what the grant knew of them.
    Hold { holder: Holder },
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
    /// The grant now keeps the person given.
    Held,
}

impl Grant {
    /// Not revoked, not expired, and its person still in good standing (active, and no
    /// password reset with revocation since the grant began).
    pub fn is_live(&self, now: UnixMillis) -> bool {
        !self.revoked && now < self.expires_at && self.holder_stands()
    }

    fn holder_stands(&self) -> bool {
        self.holder.as_ref().is_none_or(|holder| {
            holder.status == UserStatus::Active && holder.accepts_grant_from(self.created_at)
        })
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
            GrantCommand::RevokeRefresh {
                client_id,
                presented,
            } => {
                let issued = grant
                    .refresh
                    .as_ref()
                    .is_some_and(|refresh| refresh.issued(presented));
                if *client_id != grant.client_id || !issued {
                    return (Some(grant), GrantReply::Invalid);
                }
                grant.revoked = true;
                grant.refresh = None;
                (Some(grant), GrantReply::Revoked)
            }
            GrantCommand::Hold { holder } => {
                grant.holder = Some(holder.clone());
                (Some(grant), GrantReply::Held)
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
                    if !grant.scopes.covers(scopes) {
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
        if !self.holder_stands() {
            // The person was suspended, erased or reset since: the family ends here,
            // whatever is presented (One policy, every path).
            self.revoked = true;
            self.refresh = None;
            return (Some(self), GrantReply::Invalid);
        }
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
        if constant_time_eq(&presented_hash, &refresh.current_hash) {
            let secret = refresh.issue(fresh);
            refresh.previous_hash = Some(std::mem::take(&mut refresh.current_hash));
            refresh.current_hash = sha256_hex(&secret);
            refresh.rotated_at = now.0;
            refresh.successor = Some(secret.clone());
            self.refresh = Some(refresh);
            let reply = GrantReply::Rotated {
                refresh_secret: secret,
                grant: self.clone(),
            };
            return (Some(self), reply);
        }
        let is_previous = refresh
            .previous_hash
            .as_deref()
            .is_some_and(|p| constant_time_eq(&presented_hash, p));
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
        if !refresh.issued(presented) {
            // Never issued by this family: proves nothing, so it must not end the family.
            self.refresh = Some(refresh);
            return (Some(self), GrantReply::Invalid);
        }
        // Reuse of a token this family issued and has since rotated: revoke it all.
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

    /// A handle-shaped stand-in for a random value, distinct per `n` in its first
    /// characters (the part a secret keeps).
    fn fresh(n: u32) -> String {
        format!("{:0<43}", format!("fresh{n}-"))
    }

    /// A grant whose family (if any) has issued one secret, returned alongside.
    fn grant(with_refresh: bool) -> (Grant, String) {
        let (refresh, secret) = if with_refresh {
            let (state, secret) = RefreshState::start(fresh(1000), &fresh(0), T0);
            (Some(state), secret)
        } else {
            (None, String::new())
        };
        let grant = Grant {
            user_id: "u".into(),
            client_id: "demo".into(),
            scopes: Scopes::parse("openid offline_access"),
            auth_time: T0,
            amr: crate::amr::Amr::password(),
            created_at: T0,
            expires_at: T0.plus_seconds(3600),
            revoked: false,
            refresh,
            holder: Some(crate::testing::user("u", "ada@example.com").holder()),
            place: None,
        };
        (grant, secret)
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

    fn secret_of(reply: &GrantReply) -> String {
        match reply {
            GrantReply::Rotated { refresh_secret, .. } => refresh_secret.clone(),
            other => panic!("expected rotation, got {other:?}"),
        }
    }

    fn revoke_refresh(state: Option<Grant>, presented: &str) -> (Option<Grant>, GrantReply) {
        let command = GrantCommand::RevokeRefresh {
            client_id: "demo".into(),
            presented: presented.into(),
        };
        Grant::apply(state, &command, T0.plus_seconds(1))
    }

    #[test]
    fn grant_references_are_not_grant_ids_and_are_stable() {
        let id = fresh(7);
        assert_eq!(GrantRef::of(&id), GrantRef::of(&id));
        assert_ne!(GrantRef::of(&id).as_str(), id);
        assert_ne!(GrantRef::of(&id), GrantRef::of(&fresh(8)));
        assert_eq!(GrantRef::of(&id).as_str().len(), 64);
    }

    #[test]
    fn secrets_have_the_shape_of_a_handle() {
        let (_, r0) = grant(true);
        assert!(crate::crypto::token::is_handle(&r0), "{r0}");
    }

    #[test]
    fn rfc9700_4_14_2_each_refresh_rotates_the_token() {
        let (g, r0) = grant(true);
        let (state, reply) = rotate(Some(g), &r0, &fresh(1), T0.plus_seconds(60));
        let r1 = secret_of(&reply);
        assert_ne!(r1, r0);
        let (_, reply) = rotate(state, &r1, &fresh(2), T0.plus_seconds(120));
        assert_ne!(secret_of(&reply), r1);
    }

    #[test]
    fn rfc9700_4_14_2_reuse_of_a_rotated_token_revokes_the_family() {
        let (g, r0) = grant(true);
        let (state, reply) = rotate(Some(g), &r0, &fresh(1), T0.plus_seconds(60));
        let r1 = secret_of(&reply);
        let (state, reply) = rotate(state, &r1, &fresh(2), T0.plus_seconds(120));
        let r2 = secret_of(&reply);
        let (state, reply) = rotate(state, &r0, &fresh(3), T0.plus_seconds(121));
        assert!(matches!(reply, GrantReply::ReuseDetected { .. }));
        // The legitimate newest token is dead too.
        let (state, reply) = rotate(state, &r2, &fresh(4), T0.plus_seconds(122));
        assert_eq!(reply, GrantReply::Invalid);
        let (_, reply) = Grant::apply(state, &GrantCommand::Get, T0.plus_seconds(123));
        assert_eq!(reply, GrantReply::Invalid);
    }

    #[test]
    fn rfc9700_4_14_2_a_token_rotated_long_ago_is_still_recognised_as_reuse() {
        // A thief who keeps refreshing while the rightful client is away must not outlast
        // the family's memory: the client's old token, however many rotations back, ends it.
        let (g, r0) = grant(true);
        let (mut state, mut current) = (Some(g), r0.clone());
        for n in 1..=200 {
            let (next, reply) = rotate(state, &current, &fresh(n), T0.plus_seconds(11 * n as u64));
            current = secret_of(&reply);
            state = next;
        }
        let (state, reply) = rotate(state, &r0, &fresh(999), T0.plus_seconds(11 * 201));
        assert!(matches!(reply, GrantReply::ReuseDetected { .. }));
        assert_eq!(
            rotate(state, &current, &fresh(1000), T0.plus_seconds(11 * 202)).1,
            GrantReply::Invalid
        );
    }

    #[test]
    fn a_refresh_with_an_unissued_secret_is_not_reuse() {
        let (g, r0) = grant(true);
        let (state, reply) = rotate(Some(g), &r0, &fresh(1), T0.plus_seconds(60));
        let r1 = secret_of(&reply);
        // Guesses of every shape: a random handle, one of another family, a near miss.
        let (_, other_family) = RefreshState::start(fresh(2000), &fresh(0), T0);
        let mut near_miss = r1.clone();
        near_miss.replace_range(42.., if r1.ends_with('A') { "B" } else { "A" });
        let mut state = state;
        for forged in [
            fresh(77),
            other_family,
            near_miss,
            String::new(),
            "x".into(),
        ] {
            let (next, reply) = rotate(state, &forged, &fresh(5), T0.plus_seconds(120));
            assert_eq!(reply, GrantReply::Invalid, "{forged:?}");
            state = next;
        }
        // The family is intact: the current token still rotates.
        let (_, reply) = rotate(state, &r1, &fresh(6), T0.plus_seconds(121));
        secret_of(&reply);
    }

    #[test]
    fn rfc7009_2_1_a_refresh_secret_revokes_its_grant_only_if_the_family_issued_it() {
        let (g, r0) = grant(true);
        let (state, reply) = rotate(Some(g), &r0, &fresh(1), T0.plus_seconds(60));
        let r1 = secret_of(&reply);
        let (state, reply) = revoke_refresh(state, &fresh(42));
        assert_eq!(
            reply,
            GrantReply::Invalid,
            "a forged secret revokes nothing"
        );
        let other_client = GrantCommand::RevokeRefresh {
            client_id: "other".into(),
            presented: r1.clone(),
        };
        let (state, reply) = Grant::apply(state, &other_client, T0.plus_seconds(61));
        assert_eq!(reply, GrantReply::Invalid, "another client's request");
        let (_, reply) = Grant::apply(state.clone(), &GrantCommand::Get, T0.plus_seconds(61));
        assert!(matches!(reply, GrantReply::Active { .. }));
        // The current secret, or a rotated one, revokes.
        assert_eq!(revoke_refresh(state.clone(), &r1).1, GrantReply::Revoked);
        let (state, reply) = revoke_refresh(state, &r0);
        assert_eq!(reply, GrantReply::Revoked);
        assert_eq!(
            Grant::apply(state, &GrantCommand::Get, T0.plus_seconds(62)).1,
            GrantReply::Invalid
        );
    }

    #[test]
    fn a_retry_within_the_grace_gets_the_same_successor() {
        let t = T0.plus_seconds(60);
        let (g, r0) = grant(true);
        let (state, first) = rotate(Some(g), &r0, &fresh(1), t);
        let (state, retry) = rotate(state, &r0, &fresh(2), UnixMillis(t.0 + RETRY_GRACE_MS - 1));
        let r1 = secret_of(&first);
        assert_eq!(
            secret_of(&retry),
            r1,
            "concurrent refreshes share one successor"
        );
        // The successor still works and the family is intact.
        let (_, next) = rotate(state, &r1, &fresh(3), UnixMillis(t.0 + RETRY_GRACE_MS));
        secret_of(&next);
    }

    #[test]
    fn the_previous_token_after_the_grace_is_reuse() {
        let t = T0.plus_seconds(60);
        let (g, r0) = grant(true);
        let (state, _) = rotate(Some(g), &r0, &fresh(1), t);
        let (_, reply) = rotate(state, &r0, &fresh(2), UnixMillis(t.0 + RETRY_GRACE_MS));
        assert!(matches!(reply, GrantReply::ReuseDetected { .. }));
    }

    #[test]
    fn expired_revoked_missing_or_refreshless_grants_refuse_rotation() {
        let (g, r0) = grant(true);
        let (_, reply) = rotate(Some(g.clone()), &r0, &fresh(1), T0.plus_seconds(3600));
        assert_eq!(reply, GrantReply::Invalid, "expired");
        let (state, _) = Grant::apply(Some(g), &GrantCommand::Revoke { client_id: None }, T0);
        let (_, reply) = rotate(state, &r0, &fresh(1), T0);
        assert_eq!(reply, GrantReply::Invalid, "revoked");
        assert_eq!(
            rotate(None, &r0, &fresh(1), T0).1,
            GrantReply::Invalid,
            "unknown"
        );
        assert_eq!(
            rotate(Some(grant(false).0), &r0, &fresh(1), T0).1,
            GrantReply::Invalid
        );
    }

    #[test]
    fn rfc6749_6_another_client_or_a_wider_scope_changes_nothing() {
        let (g, r0) = grant(true);
        let other = GrantCommand::Rotate {
            client_id: "other".into(),
            presented: r0.clone(),
            fresh: fresh(1),
            scopes: None,
        };
        let (state, reply) = Grant::apply(Some(g), &other, T0);
        assert_eq!(reply, GrantReply::Invalid);
        let wider = GrantCommand::Rotate {
            client_id: "demo".into(),
            presented: r0.clone(),
            fresh: fresh(1),
            scopes: Some(Scopes::parse("openid admin")),
        };
        let (state, reply) = Grant::apply(state, &wider, T0);
        assert_eq!(reply, GrantReply::InvalidScope);
        let revoke_other = GrantCommand::Revoke {
            client_id: Some("other".into()),
        };
        let (state, _) = Grant::apply(state, &revoke_other, T0);
        let (_, reply) = rotate(state, &r0, &fresh(1), T0);
        secret_of(&reply);
    }

    #[test]
    fn get_reports_live_grants_only() {
        let (g, _) = grant(false);
        let (_, reply) = Grant::apply(Some(g.clone()), &GrantCommand::Get, T0);
        assert!(matches!(reply, GrantReply::Active { .. }));
        let (_, reply) = Grant::apply(Some(g), &GrantCommand::Get, T0.plus_seconds(3600));
        assert_eq!(reply, GrantReply::Invalid);
    }

    fn hold(state: Option<Grant>, change: impl FnOnce(&mut Holder)) -> Option<Grant> {
        let mut holder = state.as_ref().unwrap().holder.clone().unwrap();
        change(&mut holder);
        let (state, reply) = Grant::apply(state, &GrantCommand::Hold { holder }, T0);
        assert_eq!(reply, GrantReply::Held);
        state
    }

    #[test]
    fn one_policy_every_path_a_suspended_person_s_grant_is_not_live_and_a_refresh_ends_it() {
        let (g, r0) = grant(true);
        let suspended = hold(Some(g), |h| h.status = UserStatus::Suspended);
        let at = T0.plus_seconds(1);
        let (state, reply) = Grant::apply(suspended.clone(), &GrantCommand::Get, at);
        assert_eq!(reply, GrantReply::Invalid, "access tokens stop working");
        // Reactivated before any refresh: the grant lives again.
        let back = hold(state, |h| h.status = UserStatus::Active);
        let (_, reply) = Grant::apply(back, &GrantCommand::Get, at);
        assert!(matches!(reply, GrantReply::Active { .. }));
        // A refresh while suspended revokes the family for good.
        let (state, reply) = rotate(suspended, &r0, &fresh(1), at);
        assert_eq!(reply, GrantReply::Invalid);
        let back = hold(state, |h| h.status = UserStatus::Active);
        assert_eq!(rotate(back, &r0, &fresh(2), at).1, GrantReply::Invalid);
    }

    #[test]
    fn a_password_reset_after_the_grant_began_ends_it_and_one_before_does_not() {
        let (g, r0) = grant(true);
        let before = hold(Some(g.clone()), |h| {
            h.tokens_valid_after = Some(UnixMillis(T0.0 - 1))
        });
        let (_, reply) = rotate(before, &r0, &fresh(1), T0.plus_seconds(1));
        secret_of(&reply);
        let after = hold(Some(g), |h| h.tokens_valid_after = Some(T0.plus_seconds(1)));
        let (_, reply) = Grant::apply(after.clone(), &GrantCommand::Get, T0.plus_seconds(2));
        assert_eq!(reply, GrantReply::Invalid);
        assert_eq!(
            rotate(after, &r0, &fresh(1), T0.plus_seconds(2)).1,
            GrantReply::Invalid
        );
    }

    #[test]
    fn hold_replaces_what_the_grant_knows_of_its_person_and_needs_a_grant() {
        let (g, _) = grant(false);
        let renamed = hold(Some(g), |h| {
            h.email = "new@example.com".into();
            h.name = None;
        });
        let (_, reply) = Grant::apply(renamed, &GrantCommand::Get, T0);
        let GrantReply::Active { grant } = reply else {
            panic!("live")
        };
        let holder = grant.holder.unwrap();
        assert_eq!(
            (holder.email.as_str(), holder.name),
            ("new@example.com", None)
        );
        let holder = crate::testing::user("u", "a@example.com").holder();
        let (state, reply) = Grant::apply(None, &GrantCommand::Hold { holder }, T0);
        assert_eq!((state, reply), (None, GrantReply::Invalid));
    }

    #[test]
    fn a_grant_stored_before_grants_kept_their_person_still_reads() {
        let (g, _) = grant(true);
        let stored = serde_json::to_value(&g).unwrap();
        let mut old = stored.clone();
        old.as_object_mut().unwrap().remove("holder");
        let read: Grant = serde_json::from_value(old).unwrap();
        assert_eq!(read.holder, None);
        assert!(read.is_live(T0));
    }
}
