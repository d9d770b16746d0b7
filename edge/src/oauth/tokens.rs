//! Minting the tokens a grant yields, and checking our own access tokens when they come
//! back (userinfo, introspection, revocation).
//!
//! - ID tokens: OIDC Core §2, with `nonce`, `auth_time`, `amr`, `acr` and `at_hash`
//!   (§3.1.3.6); typ `JWT`.
//! - Access tokens: RFC 9068 JWTs, typ `at+jwt`, with `client_id`, `scope` and `jti`,
//!   audience-restricted to one resource (RFC 8707, see [`crate::oauth::resource`]): the
//!   issuer (userinfo, the client's APIs) or the account API. A resource checks that the
//!   audience is its own; the issuer's own endpoints (introspection, revocation) take
//!   every token it minted.

use crate::amr::Amr;
use crate::clients::Client;
use crate::crypto::token::random_handle;
use crate::hooks::inline::ExtraClaims;
use crate::oauth::claims::{at_hash, AccessTokenClaims, IdTokenClaims};
use crate::oauth::grant::{GrantCommand, GrantRef, GrantReply};
use crate::oauth::jws::{
    sign_compact, verify_compact, VerifyError, TYP_ACCESS_TOKEN, TYP_ID_TOKEN,
};
use crate::oauth::keys::{KeyRing, MAX_TOKEN_LIFETIME_SECONDS};
use crate::oauth::resource::Resource;
use crate::oauth::scope::Scopes;
use crate::ports::{Ports, SignError, StoreError, UnixMillis};
use crate::users::{Holder, UserStatus};

/// `acr` for a single-factor sign-in: OIDC Core §2 "0" — no assurance level claimed.
pub const ACR_SINGLE_FACTOR: &str = "0";
pub use portcullis_shared::api::ACR_MULTI_FACTOR;

/// The `acr` that `amr` supports: it says only what was proven.
pub fn acr_for(amr: &Amr) -> &'static str {
    if amr.is_multi_factor() {
        ACR_MULTI_FACTOR
    } else {
        ACR_SINGLE_FACTOR
    }
}

/// A person tokens are for: their id (`sub`) and what their grant keeps of them.
#[derive(Clone, Copy)]
pub struct Person<'a> {
    pub id: &'a str,
    pub holder: &'a Holder,
}

/// Who and what a set of tokens is for.
pub struct Subject<'a> {
    pub issuer: &'a str,
    pub client: &'a Client,
    /// The person, or `None` for a client acting for itself (client credentials).
    pub person: Option<Person<'a>>,
    /// Every scope of the grant: the ID token's claims follow them; the access token
    /// carries those of its resource.
    pub scopes: &'a Scopes,
    /// What the access token is for (RFC 8707).
    pub resource: Resource,
    pub auth_time: Option<UnixMillis>,
    pub amr: &'a Amr,
    pub nonce: Option<&'a str>,
    /// The grant the tokens continue; `None` for client credentials.
    pub grant: Option<&'a GrantRef>,
    pub now: UnixMillis,
}

pub struct Minted {
    pub access_token: String,
    pub expires_in: u64,
    /// The access token's scope (RFC 6749 §5.1 `scope`).
    pub scope: String,
    pub id_token: Option<String>,
}

/// `claims` with the token hook's additions; a claim already there always wins (the
/// hook's claims were filtered against [`crate::hooks::inline::RESERVED_CLAIMS`] too).
fn with_extra<C: serde::Serialize>(
    claims: &C,
    extra: &serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Value, SignError> {
    let mut value =
        serde_json::to_value(claims).map_err(|e| SignError(format!("claims json: {e}")))?;
    if let Some(object) = value.as_object_mut() {
        for (name, claim) in extra {
            object.entry(name.clone()).or_insert_with(|| claim.clone());
        }
    }
    Ok(value)
}

/// Mints an access token and, for `openid` requests with a user, an ID token.
pub async fn mint(
    ring: &KeyRing,
    subject: &Subject<'_>,
    groups: Option<Vec<String>>,
    extra: &ExtraClaims,
    random: &dyn crate::ports::SecureRandom,
) -> Result<Minted, SignError> {
    let iat = subject.now.as_seconds();
    let access_ttl = subject
        .client
        .access_token_ttl
        .clamp(1, MAX_TOKEN_LIFETIME_SECONDS);
    let sub = subject
        .person
        .map_or_else(|| subject.client.id.clone(), |p| p.id.to_string());
    let jti = random_handle(random).map_err(|_| SignError("random source failed".into()))?;
    let scope = subject.resource.scopes(subject.scopes).to_string();
    let access = AccessTokenClaims {
        iss: subject.issuer.into(),
        sub: sub.clone(),
        aud: subject.resource.identifier(subject.issuer),
        exp: iat + access_ttl,
        iat,
        jti,
        client_id: subject.client.id.clone(),
        scope: scope.clone(),
        auth_time: subject.auth_time.map(UnixMillis::as_seconds),
        acr: subject.person.map(|_| acr_for(subject.amr).to_string()),
        grant: subject.grant.cloned(),
        groups: groups.clone(),
    };
    let access_token = sign_compact(
        ring.signer.as_ref(),
        TYP_ACCESS_TOKEN,
        &with_extra(&access, &extra.access_token)?,
    )
    .await?;

    let id_token = match subject.person {
        Some(Person { holder: user, .. }) if subject.scopes.has("openid") => {
            let id_ttl = subject
                .client
                .id_token_ttl
                .clamp(1, MAX_TOKEN_LIFETIME_SECONDS);
            let with_email = subject.scopes.has("email");
            let claims = IdTokenClaims {
                iss: subject.issuer.into(),
                sub,
                aud: subject.client.id.clone(),
                exp: iat + id_ttl,
                iat,
                auth_time: subject.auth_time.unwrap_or(subject.now).as_seconds(),
                nonce: subject.nonce.map(str::to_string),
                acr: Some(acr_for(subject.amr).into()),
                amr: subject.amr.clone(),
                at_hash: Some(at_hash(&access_token)),
                email: with_email.then(|| user.email.clone()),
                email_verified: with_email.then_some(user.email_verified),
                profile: crate::profile::claims(user, |scope| subject.scopes.has(scope)),
                groups,
            };
            Some(
                sign_compact(
                    ring.signer.as_ref(),
                    TYP_ID_TOKEN,
                    &with_extra(&claims, &extra.id_token)?,
                )
                .await?,
            )
        }
        _ => None,
    };
    Ok(Minted {
        access_token,
        expires_in: access_ttl,
        scope,
        id_token,
    })
}

/// Why an access token was refused; all answered as `invalid_token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidToken {
    Signature(VerifyError),
    WrongIssuer,
    WrongAudience,
    Expired,
}

/// Verifies one of our access tokens: signature by a published key, `typ: at+jwt`,
/// issuer, an audience of ours (any resource) and expiry (RFC 9068 §4). Whether its
/// grant is still alive is the caller's next check; whether the audience is the
/// caller's own, a resource's (see [`live_access_token_for`]).
pub async fn verify_access_token(
    ring: &KeyRing,
    issuer: &str,
    token: &str,
    now: UnixMillis,
) -> Result<AccessTokenClaims, InvalidToken> {
    let claims: AccessTokenClaims = verify_compact(token, TYP_ACCESS_TOKEN, ring.check.as_ref())
        .await
        .map_err(InvalidToken::Signature)?;
    if claims.iss != issuer {
        return Err(InvalidToken::WrongIssuer);
    }
    if Resource::named(issuer, &claims.aud).is_none() {
        return Err(InvalidToken::WrongAudience);
    }
    if now.as_seconds() >= claims.exp {
        return Err(InvalidToken::Expired);
    }
    Ok(claims)
}

/// A live access token: its claims, and the person it names as their grant keeps them
/// (so resources need not read the person again). `holder` is `None` for tokens that
/// name a client (`client_credentials`).
pub struct LiveToken {
    pub claims: AccessTokenClaims,
    pub holder: Option<Holder>,
}

/// An access token that verifies (see [`verify_access_token`]) and whose grant, if it
/// came from one, is still live — not revoked or expired, and its person active with no
/// password reset since (see [`crate::oauth::grant::Grant::is_live`]): what a resource
/// may honour. `None` when it may not. One Durable Object call, no D1 read.
pub async fn live_access_token(
    ports: &Ports<'_>,
    ring: &KeyRing,
    issuer: &str,
    token: &str,
) -> Result<Option<LiveToken>, StoreError> {
    let now = ports.clock.now();
    let Ok(claims) = verify_access_token(ring, issuer, token, now).await else {
        return Ok(None);
    };
    let Some(reference) = claims.grant.as_ref() else {
        return Ok(Some(LiveToken {
            claims,
            holder: None,
        }));
    };
    let reply = ports
        .grants
        .apply(reference.as_str(), &GrantCommand::Get, now)
        .await?;
    let GrantReply::Active { grant } = reply else {
        return Ok(None);
    };
    let Some(holder) = crate::holders::of_grant(ports, &grant).await? else {
        return Ok(None);
    };
    // A password reset revokes what was issued before it.
    if holder.status != UserStatus::Active || !holder.accepts_token_issued_at(claims.iat) {
        return Ok(None);
    }
    Ok(Some(LiveToken {
        claims,
        holder: Some(holder),
    }))
}

/// A live access token (see [`live_access_token`]) for `resource`: RFC 9068 §4 "the
/// resource server MUST validate that the aud claim contains a resource indicator value
/// corresponding to an identifier the resource server expects for itself".
pub async fn live_access_token_for(
    ports: &Ports<'_>,
    ring: &KeyRing,
    issuer: &str,
    resource: Resource,
    token: &str,
) -> Result<Option<LiveToken>, StoreError> {
    let live = live_access_token(ports, ring, issuer, token).await?;
    Ok(live.filter(|live| live.claims.aud == resource.identifier(issuer)))
}

/// Verifies an ID token we issued, ignoring its expiry: RP-initiated logout accepts an
/// expired `id_token_hint` (OIDC RP-Initiated Logout 1.0 §2).
pub async fn verify_id_token_hint(
    ring: &KeyRing,
    issuer: &str,
    token: &str,
) -> Result<IdTokenClaims, InvalidToken> {
    let claims: IdTokenClaims = verify_compact(token, TYP_ID_TOKEN, ring.check.as_ref())
        .await
        .map_err(InvalidToken::Signature)?;
    if claims.iss != issuer {
        return Err(InvalidToken::WrongIssuer);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Clock;
    use crate::testing::TestPorts;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    const ISS: &str = "https://id.example";

    fn verify(
        ring: &KeyRing,
        issuer: &str,
        token: &str,
        now: UnixMillis,
    ) -> Result<AccessTokenClaims, InvalidToken> {
        pollster::block_on(verify_access_token(ring, issuer, token, now))
    }

    fn minted(t: &TestPorts, scopes: &[&str]) -> (std::rc::Rc<KeyRing>, Minted) {
        minted_for(t, scopes, Resource::Issuer)
    }

    fn minted_for(
        t: &TestPorts,
        scopes: &[&str],
        resource: Resource,
    ) -> (std::rc::Rc<KeyRing>, Minted) {
        let ports = t.ports();
        let ring = pollster::block_on(crate::oauth::keys::load(&ports)).unwrap();
        let client = pollster::block_on(ports.clients.find("demo"))
            .unwrap()
            .unwrap();
        let user = crate::testing::user("u1", "ada@example.com");
        let holder = user.holder();
        let scopes: Scopes = scopes.iter().copied().collect();
        let subject = Subject {
            issuer: ISS,
            client: &client,
            person: Some(Person {
                id: &user.id,
                holder: &holder,
            }),
            scopes: &scopes,
            resource,
            auth_time: Some(t.clock.now()),
            amr: &Amr::password(),
            nonce: Some("n-0S6_WzA2Mj"),
            grant: Some(&GrantRef::of("g1")),
            now: t.clock.now(),
        };
        let minted = pollster::block_on(mint(
            &ring,
            &subject,
            None,
            &ExtraClaims::default(),
            &t.random,
        ))
        .unwrap();
        (ring, minted)
    }

    fn payload(token: &str) -> serde_json::Value {
        let part = token.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn oidc_core_3_1_3_6_id_token_carries_nonce_at_hash_auth_time_amr_and_scoped_claims() {
        let t = TestPorts::new();
        let (_, m) = minted(&t, &["openid", "email"]);
        let id = payload(m.id_token.as_deref().unwrap());
        assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
        assert_eq!(id["at_hash"], at_hash(&m.access_token));
        assert_eq!(id["aud"], "demo");
        assert_eq!(id["amr"], serde_json::json!(["pwd"]));
        assert_eq!(id["email"], "ada@example.com");
        assert!(id.get("name").is_none(), "no profile scope, no name");
        assert!(id["auth_time"].is_u64());
    }

    #[test]
    fn no_id_token_without_openid() {
        let t = TestPorts::new();
        let (_, m) = minted(&t, &["profile"]);
        assert!(m.id_token.is_none());
    }

    #[test]
    fn rfc9068_access_token_verifies_and_is_refused_when_expired_or_for_another_audience() {
        let t = TestPorts::new();
        let (ring, m) = minted(&t, &["openid"]);
        let claims = verify(&ring, ISS, &m.access_token, t.clock.now()).unwrap();
        assert_eq!(claims.grant, Some(GrantRef::of("g1")));
        assert_eq!(
            verify(
                &ring,
                "https://other.example",
                &m.access_token,
                t.clock.now()
            ),
            Err(InvalidToken::WrongIssuer)
        );
        t.clock.advance_seconds(m.expires_in);
        assert_eq!(
            verify(&ring, ISS, &m.access_token, t.clock.now()),
            Err(InvalidToken::Expired)
        );
    }

    #[test]
    fn rfc9068_3_an_access_token_names_its_resource_and_carries_only_its_scopes() {
        let t = TestPorts::new();
        let now = t.clock.now();
        let granted = ["openid", "email", "account", "offline_access"];
        let (ring, m) = minted_for(&t, &granted, Resource::Issuer);
        let claims = verify(&ring, ISS, &m.access_token, now).unwrap();
        assert_eq!(claims.aud, ISS);
        assert_eq!(claims.scope, "openid email offline_access");
        assert_eq!(m.scope, claims.scope);
        assert!(m.id_token.is_some());

        let (ring, m) = minted_for(&t, &granted, Resource::AccountApi);
        let claims = verify(&ring, ISS, &m.access_token, now).unwrap();
        assert_eq!(claims.aud, "https://id.example/v1/me");
        assert_eq!(claims.scope, "account");
        assert_eq!(claims.auth_time, Some(now.0 / 1000));

        // Signed by us, but for an audience we do not serve: not one of our tokens.
        let foreign = AccessTokenClaims {
            aud: "https://api.elsewhere.example".into(),
            ..claims
        };
        let token = pollster::block_on(sign_compact(
            ring.signer.as_ref(),
            TYP_ACCESS_TOKEN,
            &foreign,
        ))
        .unwrap();
        assert_eq!(
            verify(&ring, ISS, &token, now),
            Err(InvalidToken::WrongAudience)
        );
    }

    #[test]
    fn rfc8725_3_1_alg_none_wrong_type_unknown_kid_and_altered_payload_are_refused() {
        let t = TestPorts::new();
        let (ring, m) = minted(&t, &["openid"]);
        let now = t.clock.now();
        let parts: Vec<&str> = m.access_token.split('.').collect();
        let header = |json: &str| URL_SAFE_NO_PAD.encode(json);
        let none = format!(
            "{}.{}.",
            header(r#"{"alg":"none","typ":"at+jwt"}"#),
            parts[1]
        );
        assert_eq!(
            verify(&ring, ISS, &none, now),
            Err(InvalidToken::Signature(VerifyError::WrongAlgorithm))
        );
        let kid = format!(
            "{}.{}.{}",
            header(r#"{"alg":"ES256","typ":"at+jwt","kid":"nope"}"#),
            parts[1],
            parts[2]
        );
        assert_eq!(
            verify(&ring, ISS, &kid, now),
            Err(InvalidToken::Signature(VerifyError::UnknownKey))
        );
        // An ID token is not an access token (wrong typ and audience).
        assert_eq!(
            verify(&ring, ISS, m.id_token.as_deref().unwrap(), now),
            Err(InvalidToken::Signature(VerifyError::WrongType))
        );
        let mut claims = payload(&m.access_token);
        claims["scope"] = "openid admin".into();
        let altered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            parts[2]
        );
        assert_eq!(
            verify(&ring, ISS, &altered, now),
            Err(InvalidToken::Signature(VerifyError::BadSignature))
        );
    }
}
