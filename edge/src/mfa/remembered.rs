//! "Remember this device": after proving a second factor, a person may have the device
//! remembered for [`TTL_SECONDS`], and its next sign-ins to the same client skip the
//! second factor that the client's policy asks for.
//!
//! The device holds an opaque token, not a cookie: a widget embedded on a customer's
//! site talks to the edge cross-site, where browsers send no cookie of the edge's (and
//! block third-party cookies outright), so the widget keeps the token itself, per
//! client, and sends it as the `Portcullis-Device` header with a flow's steps.
//!
//! What the token is worth to someone who steals it (the host page can read the
//! widget's storage): nothing on its own. It is looked at only by [`super::requirement`]'s
//! caller after a right first factor, for the one account and the one client it was
//! issued for, and only to skip a challenge of the client's policy: a relying party that
//! asks for a multi-factor authentication (`acr_values`), and a sign-in whose risk is
//! elevated, still get the challenge. Tokens answer truthfully in `amr`: a sign-in that
//! skipped the second factor is a password sign-in (`["pwd"]`), never `mfa`.
//!
//! - Stored as SHA-256 only, with the account, the client and a name for the list.
//! - **Replaced at every use**, in one atomic statement: of two uses of one token only
//!   the first skips the second factor, and a stolen token used by its thief stops
//!   working on the owner's device (who is then asked for the second factor again).
//! - Expires [`TTL_SECONDS`] after the second factor that made it; using it never
//!   extends that.
//! - The owner lists and forgets devices in the factor list (`GET /v1/me/factors`,
//!   `DELETE /v1/me/devices/{id}`, `DELETE /v1/me/devices` for all); removing a second
//!   factor, an administrator's factor reset and proving the address of a pre-hijacked
//!   account forget them all.

use portcullis_shared::api::RememberedDevice;

use crate::crypto::sha256_hex;
use crate::crypto::token::{is_handle, random_handle};
use crate::error::Error;
use crate::events::RequestContext;
use crate::ports::{Ports, StoredDeviceToken};

/// The request header that carries a remembered device's token.
pub const HEADER: &str = "portcullis-device";
/// How long a device stays remembered after the second factor that made it: 30 days.
pub const TTL_SECONDS: u64 = 30 * 24 * 3600;

/// Remembers the device of the request for `user_id` at `client_id`; returns its token.
pub async fn issue(
    ports: &Ports<'_>,
    context: &RequestContext,
    user_id: &str,
    client_id: &str,
) -> Result<String, Error> {
    let token = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let id = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let now = ports.clock.now();
    let device = StoredDeviceToken {
        id,
        user_id: user_id.to_string(),
        client_id: client_id.to_string(),
        token_hash: sha256_hex(&token),
        name: device_name(context.user_agent.as_deref()),
        created_at: now,
        expires_at: now.plus_seconds(TTL_SECONDS),
        last_used_at: None,
    };
    ports.factors.add_device_token(&device).await?;
    Ok(token)
}

/// The request's token, if it has the shape of one (anything else never reaches the
/// store).
fn presented(context: &RequestContext) -> Option<&str> {
    context.device_token.as_deref().filter(|t| is_handle(t))
}

/// Whether the request carries a live token of `user_id` at `client_id` (a risk
/// signal: the device is known). Uses nothing up.
pub async fn is_known(
    ports: &Ports<'_>,
    context: &RequestContext,
    user_id: &str,
    client_id: &str,
) -> Result<bool, Error> {
    let Some(token) = presented(context) else {
        return Ok(false);
    };
    let found = ports
        .factors
        .find_device_token(&sha256_hex(token), user_id, client_id, ports.clock.now())
        .await?;
    Ok(found.is_some())
}

/// Uses the request's token for `user_id` at `client_id`: `Some(replacement)` if it was
/// live and is now replaced (the sign-in may skip the second factor), `None` otherwise.
pub async fn redeem(
    ports: &Ports<'_>,
    context: &RequestContext,
    user_id: &str,
    client_id: &str,
) -> Result<Option<String>, Error> {
    let Some(token) = presented(context) else {
        return Ok(None);
    };
    let next = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let rotated = ports
        .factors
        .rotate_device_token(
            &sha256_hex(token),
            &sha256_hex(&next),
            user_id,
            client_id,
            ports.clock.now(),
        )
        .await?;
    Ok(rotated.then_some(next))
}

/// The live devices remembered for `user_id`, as the owner sees them.
pub async fn list(ports: &Ports<'_>, user_id: &str) -> Result<Vec<RememberedDevice>, Error> {
    let devices = ports
        .factors
        .device_tokens_for(user_id, ports.clock.now())
        .await?;
    Ok(devices
        .into_iter()
        .map(|d| RememberedDevice {
            id: d.id,
            name: d.name,
            created_at: d.created_at.as_seconds(),
            expires_at: d.expires_at.as_seconds(),
            last_used_at: d.last_used_at.map(|at| at.as_seconds()),
        })
        .collect())
}

/// Forgets every device remembered for `user_id` after a change to its factors; best
/// effort, as the change itself is done (the operators' log says when it failed).
pub async fn forget_after_change(ports: &Ports<'_>, user_id: &str) {
    if let Err(err) = ports.factors.forget_device_tokens(user_id).await {
        ports.diagnostics.log(&format!(
            "mfa: could not forget the remembered devices: {err:?}"
        ));
    }
}

/// `Firefox · Linux`: the browser and the system in a User-Agent, for the owner to tell
/// devices apart. Words no language needs translating; `?` for what is not recognised.
pub fn device_name(user_agent: Option<&str>) -> String {
    let ua = user_agent.unwrap_or_default();
    // Order matters: Edge and Opera name Chrome too, Chrome names Safari.
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(mark, _)| ua.contains(mark))
    .map_or("?", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(mark, _)| ua.contains(mark))
    .map_or("?", |(_, name)| name);
    format!("{browser} · {system}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_named_after_its_browser_and_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/156.0.0.0 Safari/537.36";
        assert_eq!(device_name(Some(chrome)), "Chrome · Linux");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) \
                      AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_name(Some(iphone)), "Safari · iOS");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/156.0 Safari/537.36 Edg/156.0";
        assert_eq!(device_name(Some(edge)), "Edge · Windows");
        assert_eq!(device_name(None), "? · ?");
    }
}
