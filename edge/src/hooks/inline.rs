//! Inline hooks: the customer's endpoint consulted inside a flow. A registration hook
//! allows or denies an account before it is created (with a message in the person's
//! language) and may add profile attributes; a token hook adds claims to the tokens of
//! its client before they are minted, never one of the [`RESERVED_CLAIMS`].
//!
//! Both directions are signed per Standard Webhooks with the hook's secret: the request
//! as event deliveries are, the answer with the request's `webhook-id`, a timestamp
//! within five minutes, and `webhook-signature` over `id.timestamp.body`. An answer that
//! is late (past the hook's timeout, default 2 s), unsigned, or not understood is a
//! failure, and the hook's failure mode decides: fail open (go on as without the hook)
//! or fail closed (refuse). Every call, with its latency and outcome, is recorded in
//! the System Log (`system.inline_hook.call`).

use serde::Deserialize;
use serde_json::json;

use super::model::WebhookRequest;
pub use super::model::{FailureMode, InlineHook, InlineHookKind};
use super::standard_webhooks::{self, WebhookSecret};
use crate::crypto::token::random_handle;
use crate::events::{self, EventSpec, RequestContext};
use crate::ports::{HttpAnswer, Ports, UnixMillis};

/// The default for how long an inline hook may take.
pub const DEFAULT_TIMEOUT_MS: u64 = 2_000;
/// No inline hook may hold a sign-in longer than this.
pub const MAX_TIMEOUT_MS: u64 = 10_000;
/// An answer's `webhook-timestamp` may be this far from now.
const ANSWER_TOLERANCE_SECONDS: u64 = 300;

/// Why a call did not produce an answer to act on (for administrators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailed(pub String);

/// Calls `hook` with `data` and returns the verified answer's JSON.
async fn call(
    ports: &Ports<'_>,
    hook: &InlineHook,
    data: serde_json::Value,
) -> Result<serde_json::Value, CallFailed> {
    let kek = ports
        .settings
        .key_encryption_key
        .as_ref()
        .ok_or_else(|| CallFailed("KEY_ENCRYPTION_KEY is not configured".into()))?;
    let secret = kek
        .open(&hook.sealed_secret, &format!("hook:{}", hook.id))
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| WebhookSecret::parse(&text).ok())
        .ok_or_else(|| CallFailed("the hook's secret does not open".into()))?;
    let id = format!(
        "msg_{}",
        random_handle(ports.random).map_err(|_| CallFailed("no randomness".into()))?
    );
    let now = ports.clock.now();
    let body = json!({
        "type": format!("com.portcullis.inline_hook.{}", hook.kind.as_str()),
        "timestamp": events::rfc3339(now),
        "data": data,
    })
    .to_string();
    let mut headers =
        standard_webhooks::headers(std::slice::from_ref(&secret), &id, now.as_seconds(), &body);
    headers.push(("content-type".into(), "application/json".into()));
    let request = WebhookRequest {
        url: hook.url.clone(),
        headers,
        body,
    };
    let timeout_ms = hook.timeout_ms.clamp(1, MAX_TIMEOUT_MS);
    let answer = ports
        .http
        .post(&request, timeout_ms)
        .await
        .map_err(|e| CallFailed(e.0))?;
    if !(200..300).contains(&answer.status) {
        return Err(CallFailed(format!("HTTP {}", answer.status)));
    }
    verify_answer(&answer, &secret, &id, ports.clock.now())?;
    serde_json::from_str(&answer.body).map_err(|_| CallFailed("the answer is not JSON".into()))
}

/// The answer must be signed with the hook's secret for the request's id, recently.
fn verify_answer(
    answer: &HttpAnswer,
    secret: &WebhookSecret,
    request_id: &str,
    now: UnixMillis,
) -> Result<(), CallFailed> {
    let unsigned = |why: &str| CallFailed(format!("the answer is not signed: {why}"));
    if answer.header("webhook-id") != Some(request_id) {
        return Err(unsigned("webhook-id is not the request's"));
    }
    let timestamp: u64 = answer
        .header("webhook-timestamp")
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| unsigned("no webhook-timestamp"))?;
    if timestamp.abs_diff(now.as_seconds()) > ANSWER_TOLERANCE_SECONDS {
        return Err(unsigned("webhook-timestamp is too far from now"));
    }
    let expected = secret.sign(request_id, timestamp, &answer.body);
    let signed = answer
        .header("webhook-signature")
        .unwrap_or_default()
        .split(' ')
        .any(|s| crate::crypto::constant_time_eq(s, &expected));
    if signed {
        Ok(())
    } else {
        Err(unsigned("webhook-signature does not match"))
    }
}

/// Records one call in the System Log.
async fn record_call(
    ports: &Ports<'_>,
    context: &RequestContext,
    hook: &InlineHook,
    client_id: &str,
    success: bool,
    reason: &str,
) {
    let reason = format!("{} hook {}: {reason}", hook.kind.as_str(), hook.id);
    events::record(
        ports,
        context,
        EventSpec {
            event_type: events::types::INLINE_HOOK_CALL,
            display_message: "Inline hook called",
            success,
            reason: Some(&reason),
            actor_id: None,
            actor_email: None,
            actor_name: None,
            client_id: Some(client_id),
        },
    )
    .await;
}

/// Attributes a registration hook may add to a new account's profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ProfileAdditions {
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

/// What the registration hook decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    Allow(ProfileAdditions),
    /// Refused, with the hook's message in the person's language when it gave one.
    Deny(Option<String>),
}

/// The longest message or attribute taken from a hook.
const MAX_TEXT_CHARS: usize = 200;

#[derive(Deserialize)]
#[serde(tag = "decision", rename_all = "lowercase")]
enum RegistrationAnswer {
    Allow {
        #[serde(default)]
        profile: ProfileAdditions,
    },
    Deny {
        #[serde(default)]
        message: Option<Message>,
    },
}

/// One message, or one per language tag.
#[derive(Deserialize)]
#[serde(untagged)]
enum Message {
    One(String),
    PerLanguage(std::collections::BTreeMap<String, String>),
}

impl Message {
    /// The message for `language` (a catalogue tag such as `fr` or `pt-BR`): the exact
    /// tag, then its primary language, then English, then none.
    fn pick(self, language: &str) -> Option<String> {
        let text = match self {
            Message::One(text) => Some(text),
            Message::PerLanguage(map) => {
                let find = |tag: &str| {
                    map.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(tag))
                        .map(|(_, v)| v.clone())
                };
                let primary = language.split('-').next().unwrap_or(language);
                find(language)
                    .or_else(|| find(primary))
                    .or_else(|| find("en"))
            }
        }?;
        clean(&text)
    }
}

/// Text from a hook for people to read: trimmed, no control characters, bounded.
fn clean(text: &str) -> Option<String> {
    let text: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT_CHARS)
        .collect();
    (!text.is_empty()).then_some(text)
}

/// Asks the client's registration hook (if any) about a new account for `email`,
/// created by `method` (`password`, `passkey`, …).
pub async fn screen_registration(
    ports: &Ports<'_>,
    context: &RequestContext,
    client_id: &str,
    email: &str,
    method: &str,
) -> Result<Registration, crate::ports::StoreError> {
    let Some(hook) = ports
        .inline_hooks
        .find(InlineHookKind::Registration, client_id)
        .await?
    else {
        return Ok(Registration::Allow(ProfileAdditions::default()));
    };
    let started = ports.clock.now();
    let data = json!({
        "profile": { "email": email },
        "context": {
            "client_id": client_id,
            "method": method,
            "language": context.language(),
            "ip_address": context.ip_address,
            "user_agent": context.user_agent,
        },
    });
    let answered = call(ports, &hook, data).await.and_then(|answer| {
        serde_json::from_value::<RegistrationAnswer>(answer)
            .map_err(|_| CallFailed("the answer has no decision allow or deny".into()))
    });
    let latency = ports.clock.now().0.saturating_sub(started.0);
    let decision = match answered {
        Ok(RegistrationAnswer::Allow { profile }) => {
            record_call(
                ports,
                context,
                &hook,
                client_id,
                true,
                &format!("allow in {latency} ms"),
            )
            .await;
            Registration::Allow(ProfileAdditions {
                name: profile.name.as_deref().and_then(clean),
                given_name: profile.given_name.as_deref().and_then(clean),
                family_name: profile.family_name.as_deref().and_then(clean),
            })
        }
        Ok(RegistrationAnswer::Deny { message }) => {
            record_call(
                ports,
                context,
                &hook,
                client_id,
                true,
                &format!("deny in {latency} ms"),
            )
            .await;
            Registration::Deny(message.and_then(|m| m.pick(context.language())))
        }
        Err(CallFailed(why)) => {
            let (outcome, decision) = match hook.failure_mode {
                FailureMode::Open => (
                    "fail-open: allowed",
                    Registration::Allow(ProfileAdditions::default()),
                ),
                FailureMode::Closed => ("fail-closed: denied", Registration::Deny(None)),
            };
            let reason = format!("{why} after {latency} ms; {outcome}");
            record_call(ports, context, &hook, client_id, false, &reason).await;
            decision
        }
    };
    Ok(decision)
}

pub use crate::oauth::claim_names::RESERVED_CLAIMS;

/// The most claim JSON a token hook may add to one token.
const MAX_EXTRA_CLAIMS_BYTES: usize = 4 * 1024;

/// Claims a token hook added, per token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraClaims {
    pub access_token: serde_json::Map<String, serde_json::Value>,
    pub id_token: serde_json::Map<String, serde_json::Value>,
}

/// The token hook failed and fails closed: no tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHookRefused;

#[derive(Deserialize, Default)]
struct TokenAnswer {
    #[serde(default)]
    claims: TokenAnswerClaims,
}

#[derive(Deserialize, Default)]
struct TokenAnswerClaims {
    #[serde(default)]
    access_token: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    id_token: serde_json::Map<String, serde_json::Value>,
}

/// Keeps the claims a hook may add; names the ones it may not.
fn admit(
    claims: serde_json::Map<String, serde_json::Value>,
    token: &str,
    refused: &mut Vec<String>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut kept = serde_json::Map::new();
    for (name, value) in claims {
        if RESERVED_CLAIMS.contains(&name.as_str()) || name.is_empty() || name.len() > 100 {
            refused.push(format!("{name} ({token})"));
        } else {
            kept.insert(name, value);
        }
    }
    if serde_json::to_string(&kept).map_or(0, |j| j.len()) > MAX_EXTRA_CLAIMS_BYTES {
        refused.push(format!(
            "all ({token}: more than {MAX_EXTRA_CLAIMS_BYTES} bytes)"
        ));
        kept.clear();
    }
    kept
}

/// What the token being minted is for, as the token hook sees it.
pub struct TokenContext<'a> {
    pub client_id: &'a str,
    /// The user's `sub`, or `None` for a client acting for itself.
    pub sub: Option<&'a str>,
    pub email: Option<&'a str>,
    pub scopes: &'a [String],
}

/// Asks the client's token hook (if any) for claims to add.
pub async fn token_claims(
    ports: &Ports<'_>,
    context: &RequestContext,
    token: &TokenContext<'_>,
) -> Result<ExtraClaims, TokenHookRefused> {
    let hook = match ports
        .inline_hooks
        .find(InlineHookKind::Token, token.client_id)
        .await
    {
        Ok(Some(hook)) => hook,
        Ok(None) => return Ok(ExtraClaims::default()),
        Err(err) => {
            ports
                .diagnostics
                .log(&format!("token hook lookup: {err:?}"));
            return Err(TokenHookRefused);
        }
    };
    let started = ports.clock.now();
    let data = json!({
        "client_id": token.client_id,
        "sub": token.sub,
        "email": token.email,
        "scope": token.scopes.join(" "),
    });
    let answered = call(ports, &hook, data).await.and_then(|answer| {
        serde_json::from_value::<TokenAnswer>(answer)
            .map_err(|_| CallFailed("the answer is not {\"claims\": {…}}".into()))
    });
    let latency = ports.clock.now().0.saturating_sub(started.0);
    match answered {
        Ok(answer) => {
            let mut refused = Vec::new();
            let extra = ExtraClaims {
                access_token: admit(answer.claims.access_token, "access_token", &mut refused),
                id_token: admit(answer.claims.id_token, "id_token", &mut refused),
            };
            let mut reason = format!("claims in {latency} ms");
            if !refused.is_empty() {
                reason.push_str(&format!("; refused and ignored: {}", refused.join(", ")));
            }
            record_call(
                ports,
                context,
                &hook,
                token.client_id,
                refused.is_empty(),
                &reason,
            )
            .await;
            Ok(extra)
        }
        Err(CallFailed(why)) => {
            let (outcome, result) = match hook.failure_mode {
                FailureMode::Open => ("fail-open: no added claims", Ok(ExtraClaims::default())),
                FailureMode::Closed => ("fail-closed: no tokens", Err(TokenHookRefused)),
            };
            let reason = format!("{why} after {latency} ms; {outcome}");
            record_call(ports, context, &hook, token.client_id, false, &reason).await;
            result
        }
    }
}
