//! The Cloudflare Workers platform: the `fetch` entry point, and the ports built from
//! the Worker's bindings.
//!
//! Bindings (see `wrangler.toml`): `DB` (D1), `ONE_TIME`, `GRANTS`, `COUNTERS` and
//! `VERSIONS` (Durable Object namespaces of [`OneTimeObject`], [`GrantObject`],
//! [`CounterObject`], [`VersionObject`]), the `KEY_ENCRYPTION_KEY`
//! secret that seals signing keys, the optional `ISSUER` variable, the public origin
//! of this deployment when it differs from the request's (behind a custom route, say),
//! the optional `RP_ID` variable, the WebAuthn RP ID when it is not the issuer's host, and
//! the mail settings (`MAIL_TRANSPORT`, `MAIL_FROM`, `MAIL_API_URL`, `MAIL_API_KEY`, the
//! `EMAIL` send_email binding; see `mail`), `RESET_KEEPS_SESSIONS`, the attack
//! protection services (`TURNSTILE_*`, `PWNED_PASSWORDS_URL`; see `outbound`),
//! `LOG_RETENTION_DAYS`, how long the System Log keeps events (90 days when unset;
//! the cron trigger deletes older ones), `CACHE_TTL_SECONDS`, how long an isolate keeps signing keys and clients, and
//! `VERSION_CHECK_SECONDS`, how often it reads the version key (see [`crate::cache`];
//! 60 s and 5 s when unset), and `SIGNING=software` to sign with `p256` in
//! wasm instead of WebCrypto (for comparing the two); and the queues of the System Log
//! and event hooks (`EVENTS`, `HOOK_DELIVERIES`; see `queues`), and `HOLDERS`, which
//! carries a change that reaches many people to their grants; `MAX_GRANTS_PER_PERSON`
//! (100 when unset) bounds the live grants a person holds (see [`crate::holders`]).
//!
//! Risk signals come from `request.cf`. Only where this deployment's origin is loopback
//! (`wrangler dev`, whose `request.cf` is fixed) and `DEV_SIGNALS=allow`, the
//! `x-portcullis-dev-signals` header may set them instead, so end-to-end tests can sign
//! in "from" another country; a deployed worker never reads that header. Likewise only
//! there, `REPORT_ROUND_TRIPS=true` adds the `x-portcullis-round-trips` header: the D1
//! statements and Durable Object calls made while the request was handled (see
//! `round_trips`).

mod counters;
mod d1;
mod grants;
mod mail;
mod objects;
mod one_time;
mod outbound;
mod queues;
mod round_trips;
mod versions;
mod webcrypto;

pub use counters::CounterObject;
pub use grants::GrantObject;
pub use one_time::OneTimeObject;
pub use versions::VersionObject;

use worker::{console_error, event, Context, Env, Headers, ScheduleContext, ScheduledEvent};

use crate::api;
use crate::cache::{IsolateCache, DEFAULT_TTL_SECONDS, DEFAULT_VERSION_CHECK_SECONDS};
use crate::crypto::sealing::KeyEncryptionKey;
use crate::error::Error;
use crate::http::{Method, Request, Response, MAX_BODY_BYTES};
use crate::oauth::keys;
use crate::ports::{
    Clock, Diagnostics, EventLog, Mailbox, Mailer, Ports, RandomUnavailable, SecureRandom,
    Settings, SignalSource, StoreError, UnixMillis,
};
use crate::signals::{Signals, DEV_SIGNALS_HEADER};

/// The signals of the request being handled.
struct RequestSignals(Signals);

impl SignalSource for RequestSignals {
    fn signals(&self) -> Signals {
        self.0.clone()
    }
}

/// `request.cf`'s fields, read defensively: a missing or oddly typed field is no signal.
fn cf_signals(req: &worker::Request) -> Signals {
    use wasm_bindgen::JsValue;
    let cf = js_sys::Reflect::get(req.inner(), &JsValue::from_str("cf"))
        .ok()
        .filter(|v| v.is_object());
    let field = |name: &str| {
        cf.as_ref()
            .and_then(|cf| js_sys::Reflect::get(cf, &JsValue::from_str(name)).ok())
    };
    let string = |name: &str| field(name).and_then(|v| v.as_string());
    let asn = field("asn")
        .and_then(|v| v.as_f64())
        .filter(|n| n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n))
        .map(|n| n as u32);
    Signals::from_cf(
        string("country").as_deref(),
        asn,
        string("latitude").as_deref(),
        string("longitude").as_deref(),
    )
}

/// `Date.now()`: the runtime's clock.
struct WorkerClock;

impl Clock for WorkerClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(js_sys::Date::now() as u64)
    }
}

/// `crypto.getRandomValues` through `getrandom`.
struct WebCryptoRandom;

impl SecureRandom for WebCryptoRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomUnavailable> {
        getrandom::fill(dest).map_err(|_| RandomUnavailable)
    }
}

/// Workers logs.
struct ConsoleDiagnostics;

impl Diagnostics for ConsoleDiagnostics {
    fn log(&self, line: &str) {
        console_error!("{line}");
    }
}

fn settings(env: &Env) -> Settings {
    let key_encryption_key = match env.secret("KEY_ENCRYPTION_KEY") {
        Ok(secret) => match KeyEncryptionKey::parse(&secret.to_string()) {
            Ok(key) => Some(key),
            Err(_) => {
                console_error!(
                    "KEY_ENCRYPTION_KEY is not 32 bytes of base64url; tokens cannot be signed"
                );
                None
            }
        },
        Err(_) => None,
    };
    let rp_id = env
        .var("RP_ID")
        .ok()
        .map(|v| v.to_string())
        .filter(|v| !v.trim().is_empty());
    let mail_from =
        var(env, "MAIL_FROM").unwrap_or_else(|| "Portcullis <no-reply@localhost>".into());
    let reset_revokes_tokens = var(env, "RESET_KEEPS_SESSIONS").as_deref() != Some("true");
    Settings {
        key_encryption_key,
        rp_id,
        mail_from,
        reset_revokes_tokens,
        turnstile_site_key: var(env, "TURNSTILE_SITE_KEY"),
        turnstile_script_url: var(env, "TURNSTILE_SCRIPT_URL")
            .unwrap_or_else(|| crate::attack::turnstile::SCRIPT_URL.into()),
        account_deletion_grace_seconds: var(env, "ACCOUNT_DELETION_GRACE_SECONDS")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(crate::account_deletion::DEFAULT_GRACE_SECONDS),
        log_retention_days: crate::logs::retention::days(var(env, "LOG_RETENTION_DAYS").as_deref()),
        max_grants_per_person: var(env, "MAX_GRANTS_PER_PERSON")
            .and_then(|v| v.trim().parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or(crate::holders::DEFAULT_MAX_GRANTS_PER_PERSON),
    }
}

/// A non-empty variable or secret.
fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.to_string())
        .or_else(|_| env.secret(name).map(|v| v.to_string()))
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// The mail transport `MAIL_TRANSPORT` names, and the development mailbox if it is one.
///
/// The development mailbox shows anyone every email, codes included: it exists only
/// where this deployment's origin is loopback (`wrangler dev`), whatever the variable
/// says, so a deployed worker can never turn it on.
fn mail_transport(
    env: &Env,
    from: &str,
    loopback: bool,
) -> worker::Result<(Box<dyn Mailer>, Option<d1::D1DevMailbox>)> {
    Ok(match var(env, "MAIL_TRANSPORT").as_deref() {
        Some("dev-mailbox") if !loopback => {
            console_error!(
                "MAIL_TRANSPORT=dev-mailbox works only on a loopback origin; no mail is sent"
            );
            (Box::new(mail::Unconfigured), None)
        }
        Some("dev-mailbox") => (
            Box::new(d1::D1DevMailbox::new(env.d1("DB")?)),
            Some(d1::D1DevMailbox::new(env.d1("DB")?)),
        ),
        Some("cloudflare") => (
            Box::new(mail::CloudflareMailer::new(
                env.send_email("EMAIL")?,
                from.to_string(),
            )),
            None,
        ),
        Some("http") => match (var(env, "MAIL_API_URL"), var(env, "MAIL_API_KEY")) {
            (Some(url), Some(key)) => (
                Box::new(mail::HttpMailer::new(url, key, from.to_string())),
                None,
            ),
            _ => {
                console_error!("MAIL_TRANSPORT=http needs MAIL_API_URL and MAIL_API_KEY");
                (Box::new(mail::Unconfigured), None)
            }
        },
        _ => (Box::new(mail::Unconfigured), None),
    })
}

thread_local! {
    /// The isolate's cache. A Worker isolate runs one module instance on one thread and
    /// lives across requests; leaking the one cache it ever makes gives every request a
    /// plain `'static` borrow of it.
    static CACHE: std::cell::OnceCell<&'static IsolateCache> = const { std::cell::OnceCell::new() };
}

/// This isolate's cache, made on its first request with `CACHE_TTL_SECONDS` and
/// `VERSION_CHECK_SECONDS` (the variables of a deployment do not change under a running
/// isolate).
fn isolate_cache(env: &Env) -> &'static IsolateCache {
    let seconds = |name: &str, default: u64| {
        var(env, name)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(default)
    };
    CACHE.with(|cell| {
        *cell.get_or_init(|| {
            let cache = IsolateCache::new(seconds("CACHE_TTL_SECONDS", DEFAULT_TTL_SECONDS))
                .with_version_check(seconds(
                    "VERSION_CHECK_SECONDS",
                    DEFAULT_VERSION_CHECK_SECONDS,
                ));
            Box::leak(Box::new(cache))
        })
    })
}

/// Runs `work` with the ports built from `env`.
struct Platform {
    one_time: one_time::DurableOneTimeStore,
    clients: d1::D1ClientStore,
    stores: d1::D1Stores,
    grants: grants::DurableGrantStore,
    cache_version: versions::DurableCacheVersion,
    deferred: queues::QueuedWork,
    counters: counters::DurableCounters,
    mailer: Box<dyn Mailer>,
    mailbox: Option<d1::D1DevMailbox>,
    settings: Settings,
    signals: RequestSignals,
    turnstile: outbound::Turnstile,
    pwned_passwords: outbound::PwnedPasswords,
    cache: &'static IsolateCache,
    signers: webcrypto::WebCryptoSigners,
    /// What this request recorded, sent to the events queue after the response.
    events: queues::EventBuffer,
}

impl Platform {
    /// The ports for requests to `self_origin` with `signals`.
    fn new(env: &Env, self_origin: &str, signals: Signals) -> worker::Result<Platform> {
        let settings = settings(env);
        let loopback = crate::http::is_loopback(self_origin);
        let (mailer, mailbox) = mail_transport(env, &settings.mail_from, loopback)?;
        Ok(Platform {
            one_time: one_time::DurableOneTimeStore::new(env.durable_object("ONE_TIME")?),
            clients: d1::D1ClientStore::new(env.d1("DB")?),
            stores: d1::D1Stores::new(env.d1("DB")?),
            grants: grants::DurableGrantStore::new(env.durable_object("GRANTS")?),
            cache_version: versions::DurableCacheVersion::new(env.durable_object("VERSIONS")?),
            deferred: queues::QueuedWork::new(env),
            counters: counters::DurableCounters::new(env.durable_object("COUNTERS")?),
            mailer,
            mailbox,
            settings,
            signals: RequestSignals(signals),
            turnstile: outbound::Turnstile {
                url: var(env, "TURNSTILE_SITEVERIFY_URL")
                    .unwrap_or_else(|| outbound::DEFAULT_SITEVERIFY_URL.into()),
                secret: var(env, "TURNSTILE_SECRET_KEY"),
            },
            pwned_passwords: outbound::PwnedPasswords {
                url: var(env, "PWNED_PASSWORDS_URL")
                    .unwrap_or_else(|| outbound::DEFAULT_PWNED_PASSWORDS_URL.into()),
            },
            cache: isolate_cache(env),
            signers: webcrypto::WebCryptoSigners {
                software: var(env, "SIGNING").as_deref() == Some("software"),
            },
            events: queues::EventBuffer::new(d1::D1Stores::new(env.d1("DB")?)),
        })
    }

    /// The ports of a request: events are buffered for [`Platform::publish_after_response`].
    fn ports(&self) -> Ports<'_> {
        self.ports_over(&self.events)
    }

    /// The ports with `events` as the System Log.
    fn ports_over<'a>(&'a self, events: &'a dyn EventLog) -> Ports<'a> {
        Ports {
            clock: &WorkerClock,
            random: &WebCryptoRandom,
            one_time: &self.one_time,
            clients: &self.clients,
            users: &self.stores,
            directory: &self.stores,
            groups: &self.stores,
            credentials: &self.stores,
            factors: &self.stores,
            sessions: &self.stores,
            consents: &self.stores,
            deletions: &self.stores,
            events,
            keys: &self.stores,
            grants: &self.grants,
            grant_index: &self.stores,
            cache_version: &self.cache_version,
            deferred: &self.deferred,
            counters: &self.counters,
            mailer: self.mailer.as_ref(),
            mailbox: self.mailbox.as_ref().map(|m| m as &dyn Mailbox),
            hooks: &self.stores,
            inline_hooks: &self.stores,
            connections: &self.stores,
            upstream_tokens: &self.stores,
            http: &outbound::FetchTransport,
            settings: &self.settings,
            diagnostics: &ConsoleDiagnostics,
            signals: &self.signals,
            risk: &self.stores,
            human_check: &self.turnstile,
            breaches: &self.pwned_passwords,
            signers: &self.signers,
            jws: &webcrypto::WebCryptoJws,
            cache: self.cache,
        }
    }
}

/// The cron trigger: rotates the signing key once it is older than
/// [`keys::ROTATE_AFTER_MS`]; the old key stays in the JWKS until its tokens expire.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let issuer = var(&env, "ISSUER").unwrap_or_default();
    let platform = match Platform::new(&env, &issuer, Signals::default()) {
        Ok(platform) => platform,
        Err(err) => {
            console_error!("scheduled: bindings: {err}");
            return;
        }
    };
    match keys::rotate_if_older_than(&platform.ports(), keys::ROTATE_AFTER_MS).await {
        Ok(Some(kid)) => worker::console_log!("signing key rotated; current kid {kid}"),
        Ok(None) => {}
        Err(err) => console_error!("scheduled key rotation failed: {err:?}"),
    }
    let context = crate::events::RequestContext {
        ip_address: None,
        user_agent: None,
        accept_language: None,
        device: None,
        device_token: None,
        url: None,
    };
    match crate::account_deletion::erase_due(&platform.ports(), &context).await {
        Ok(0) => {}
        Ok(erased) => worker::console_log!("erased {erased} account(s) at their owners' request"),
        Err(err) => console_error!("scheduled account erasure failed: {err:?}"),
    }
    let retention = platform.settings.log_retention_days;
    match crate::logs::retention::purge(&platform.ports(), retention).await {
        Ok(0) => {}
        Ok(deleted) => worker::console_log!(
            "deleted {deleted} System Log event(s) older than {retention} days"
        ),
        Err(err) => console_error!("scheduled System Log purge failed: {err:?}"),
    }
    queues::publish(&env, platform.events.take()).await;
}

#[event(fetch)]
async fn fetch(req: worker::Request, env: Env, ctx: Context) -> worker::Result<worker::Response> {
    let response = match serve(req, &env, &ctx).await {
        Ok(response) => response,
        Err(err) => {
            // Binding or conversion failures: answer like any other outage, never a bare 500.
            console_error!("platform: {err}");
            Error::Store(StoreError::Unavailable(err.to_string())).to_response()
        }
    };
    into_worker_response(response)
}

async fn serve(mut req: worker::Request, env: &Env, ctx: &Context) -> worker::Result<Response> {
    let declared_length = req
        .headers()
        .get("content-length")?
        .and_then(|v| v.parse::<usize>().ok());
    let url = req.url()?;
    let too_large = || too_large(url.path());
    if declared_length.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Ok(too_large());
    }
    let requested = url.origin().ascii_serialization();
    let issuer = var(env, "ISSUER");
    let Some(self_origin) = crate::http::self_origin(issuer.as_deref(), &requested) else {
        return Ok(Error::NoRoute.to_response());
    };
    let headers = req
        .headers()
        .entries()
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect();
    let method = Method::parse(req.method().as_ref());
    let body = match method {
        Method::Get | Method::Head | Method::Options => Vec::new(),
        _ => match read_body(&mut req).await? {
            Some(body) => body,
            None => return Ok(too_large()),
        },
    };
    let dev_signals = (crate::http::is_loopback(&self_origin)
        && var(env, "DEV_SIGNALS").as_deref() == Some("allow"))
    .then(|| req.headers().get(DEV_SIGNALS_HEADER).ok().flatten())
    .flatten()
    .and_then(|value| Signals::from_dev_header(&value));
    let signals = dev_signals.unwrap_or_else(|| cf_signals(&req));
    let platform = Platform::new(env, &self_origin, signals)?;
    let request = Request {
        method,
        path: url.path().to_string(),
        query: url.query().unwrap_or_default().to_string(),
        headers,
        body,
        self_origin,
    };

    let report_round_trips = crate::http::is_loopback(&request.self_origin)
        && var(env, "REPORT_ROUND_TRIPS").as_deref() == Some("true");
    round_trips::reset();
    let handled = api::handle(&platform.ports(), request).await;
    platform.publish_after_response(env, ctx);
    if let Some(log) = handled.log {
        console_error!("{log}");
    }
    let mut response = handled.response;
    if report_round_trips {
        response = response.with_header(round_trips::HEADER, &round_trips::report());
    }
    Ok(response)
}

/// A body past the limit, refused in the error shape of the API it was sent to.
fn too_large(path: &str) -> Response {
    if path.starts_with("/scim/") {
        crate::scim::too_large_response()
    } else {
        Error::BodyTooLarge.to_response()
    }
}

/// The request body, read chunk by chunk and abandoned past [`MAX_BODY_BYTES`]: a
/// chunked upload declares no length, so the limit holds while streaming. `None` when
/// it is too large.
async fn read_body(req: &mut worker::Request) -> worker::Result<Option<Vec<u8>>> {
    use futures_util::StreamExt;
    let mut body = Vec::new();
    let Ok(mut stream) = req.stream() else {
        // No body at all.
        return Ok(Some(body));
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

fn into_worker_response(response: Response) -> worker::Result<worker::Response> {
    let headers = Headers::new();
    for (name, value) in &response.headers {
        headers.append(name, value)?;
    }
    let body = if response.body.is_empty() {
        None
    } else {
        Some(response.body)
    };
    let out = match body {
        Some(bytes) => worker::Response::from_bytes(bytes)?,
        None => worker::Response::empty()?,
    };
    Ok(out.with_status(response.status).with_headers(headers))
}
