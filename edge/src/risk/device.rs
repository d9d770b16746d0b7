//! Remembered devices: a browser an account signed in from is remembered for it for
//! [`DEVICE_TTL_SECONDS`], so the next sign-in from it looks less risky.
//!
//! The cookie holds a random handle; the store keeps only its SHA-256 with the account
//! (one browser may be remembered for several accounts). Where the issuer is secure it
//! is named with the `__Host-` prefix (RFC 6265bis §4.1.3.2: Secure, `Path=/`, no
//! `Domain`, so a sibling subdomain cannot plant one). It is HttpOnly and `SameSite=Lax`.
//! An owner forgets every remembered device with `DELETE /v1/me/devices`, and a
//! password reset forgets them too.

use crate::crypto::sha256_hex;
use crate::crypto::token::random_handle;
use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::ports::Ports;
use crate::sessions::{cookie_handle, is_secure, secure_attribute};
use crate::users::User;

/// The cookie's name on a secure issuer.
pub const HOST_DEVICE_COOKIE: &str = "__Host-portcullis_device";
/// The cookie's name where the issuer is plain HTTP (the prefix would make browsers drop it).
pub const DEVICE_COOKIE: &str = "portcullis_device";
/// How long a device stays remembered after its last sign-in: 30 days.
pub const DEVICE_TTL_SECONDS: u64 = 30 * 24 * 3600;

pub fn cookie_name(issuer: &str) -> &'static str {
    if is_secure(issuer) {
        HOST_DEVICE_COOKIE
    } else {
        DEVICE_COOKIE
    }
}

/// The device handle in the request's `Cookie` header, if there is exactly one.
pub fn handle_in<'a>(issuer: &str, cookie_header: Option<&'a str>) -> Option<&'a str> {
    cookie_handle(cookie_name(issuer), cookie_header)
}

/// `Set-Cookie` remembering the device for [`DEVICE_TTL_SECONDS`].
pub fn set_cookie(handle: &str, issuer: &str) -> String {
    format!(
        "{}={handle}; Path=/; Max-Age={DEVICE_TTL_SECONDS}; HttpOnly; SameSite=Lax{}",
        cookie_name(issuer),
        secure_attribute(issuer)
    )
}

/// Whether the browser holding `handle` is remembered for `user_id`.
pub async fn is_known(
    ports: &Ports<'_>,
    handle: Option<&str>,
    user_id: &str,
) -> Result<bool, Error> {
    let Some(handle) = handle else {
        return Ok(false);
    };
    Ok(ports
        .risk
        .knows_device(&sha256_hex(handle), user_id, ports.clock.now())
        .await?)
}

/// Remembers the browser for `user_id` (for another [`DEVICE_TTL_SECONDS`]), keeping its
/// handle if it has one; returns the handle to set in its cookie.
pub async fn remember(
    ports: &Ports<'_>,
    handle: Option<&str>,
    user_id: &str,
) -> Result<String, Error> {
    let handle = match handle {
        Some(handle) => handle.to_string(),
        None => random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?,
    };
    let expires_at = ports.clock.now().plus_seconds(DEVICE_TTL_SECONDS);
    ports
        .risk
        .remember_device(&sha256_hex(&handle), user_id, expires_at)
        .await?;
    Ok(handle)
}

/// Forgets every browser remembered for `user` (`DELETE /v1/me/devices`): by their
/// cookies, and by the tokens of devices remembered after a second factor
/// ([`crate::mfa::remembered`]); returns how many there were. Needs only a live account
/// token: forgetting makes nothing weaker.
pub async fn forget_all(
    ports: &Ports<'_>,
    context: &RequestContext,
    user: &User,
    client_id: &str,
) -> Result<usize, Error> {
    let forgotten = ports.risk.forget_devices(&user.id).await?
        + ports.factors.forget_device_tokens(&user.id).await?;
    let spec = EventSpec::user_success(
        types::DEVICES_FORGET,
        "Remembered devices forgotten by their owner",
        user,
        client_id,
    );
    events::record(ports, context, spec).await;
    Ok(forgotten)
}

/// Forgets the one device `id` remembered for `user` after a second factor
/// (`DELETE /v1/me/devices/{id}`); [`Error::DeviceNotFound`] if `user` has none of that
/// id.
pub async fn forget_one(
    ports: &Ports<'_>,
    context: &RequestContext,
    user: &User,
    client_id: &str,
    id: &str,
) -> Result<(), Error> {
    if !ports.factors.forget_device_token(&user.id, id).await? {
        return Err(Error::DeviceNotFound);
    }
    let spec = EventSpec::user_success(
        types::DEVICES_FORGET,
        "Remembered device forgotten by its owner",
        user,
        client_id,
    );
    events::record(ports, context, spec).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestPorts;

    #[test]
    fn rfc6265bis_4_1_3_2_the_device_cookie_is_host_prefixed_where_secure() {
        for issuer in ["https://id.example", "http://localhost:8787"] {
            let set = set_cookie("h", issuer);
            assert!(
                set.starts_with("__Host-portcullis_device=h; Path=/;"),
                "{set}"
            );
            assert!(
                set.contains("Max-Age=2592000") && set.contains("HttpOnly"),
                "{set}"
            );
            assert!(set.ends_with("; Secure") && !set.to_lowercase().contains("domain"));
        }
        assert!(set_cookie("h", "http://intranet.example").starts_with("portcullis_device="));
    }

    #[test]
    fn a_device_is_known_only_to_the_account_it_was_remembered_for_and_only_for_30_days() {
        let t = TestPorts::new();
        let p = t.ports();
        let handle = pollster::block_on(remember(&p, None, "u1")).unwrap();
        assert!(pollster::block_on(is_known(&p, Some(&handle), "u1")).unwrap());
        assert!(!pollster::block_on(is_known(&p, Some(&handle), "u2")).unwrap());
        assert!(!pollster::block_on(is_known(&p, None, "u1")).unwrap());
        // The store never sees the handle itself.
        assert!(!t.risk.device_hashes().contains(&handle));
        t.clock.advance_seconds(DEVICE_TTL_SECONDS);
        assert!(!pollster::block_on(is_known(&p, Some(&handle), "u1")).unwrap());
    }

    #[test]
    fn a_forgotten_device_is_no_longer_known() {
        let t = TestPorts::new();
        let p = t.ports();
        let handle = pollster::block_on(remember(&p, None, "u1")).unwrap();
        assert_eq!(pollster::block_on(p.risk.forget_devices("u1")).unwrap(), 1);
        assert!(!pollster::block_on(is_known(&p, Some(&handle), "u1")).unwrap());
    }

    #[test]
    fn a_second_cookie_of_the_same_name_is_ignored() {
        let header = "__Host-portcullis_device=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; \
                      __Host-portcullis_device=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        assert_eq!(handle_in("https://id.example", Some(header)), None);
    }
}
