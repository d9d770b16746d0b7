//! SSO sessions of the hosted sign-in page: an HttpOnly, SameSite=Lax cookie holding a
//! random handle; the store keeps only the handle's SHA-256.
//!
//! Where the cookie is Secure it is named with the `__Host-` prefix (RFC 6265bis
//! §4.1.3.2): browsers then accept it only from this origin, Secure, with `Path=/` and no
//! `Domain`, so a sibling subdomain cannot plant one of that name. A request carrying the
//! name more than once is treated as having no session, so a cookie tossed in beside the
//! real one never decides whose session it is.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::amr::Amr;
use crate::crypto::token::{is_handle, random_handle};
use crate::crypto::{constant_time_eq, hmac_sha256, sha256_hex};
use crate::error::Error;
use crate::ports::Ports;
use crate::time::UnixMillis;
use crate::users::Session;

/// The session cookie's name on plain-HTTP origins other than localhost.
pub const SESSION_COOKIE: &str = "portcullis_session";
/// The session cookie's name wherever it is Secure.
pub const HOST_SESSION_COOKIE: &str = "__Host-portcullis_session";
/// How long an SSO session lasts after sign-in.
pub const SESSION_TTL_SECONDS: u64 = 24 * 3600;

/// The session cookie's name for `issuer`.
pub fn cookie_name(issuer: &str) -> &'static str {
    if is_secure(issuer) {
        HOST_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// Starts a session for `user_id`, who signed in at `auth_time` (the instant the flow's
/// code also carries, so that every ID token of the session names the same
/// authentication event); returns the cookie's handle.
pub async fn start(
    ports: &Ports<'_>,
    user_id: &str,
    amr: &Amr,
    auth_time: UnixMillis,
) -> Result<String, Error> {
    let handle = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let now = ports.clock.now();
    let session = Session {
        user_id: user_id.to_string(),
        auth_time,
        amr: amr.clone(),
        expires_at: now.plus_seconds(SESSION_TTL_SECONDS),
    };
    ports
        .sessions
        .create(&sha256_hex(&handle), &session)
        .await?;
    Ok(handle)
}

/// The session named by the request's cookie, if it is alive.
pub async fn current(
    ports: &Ports<'_>,
    issuer: &str,
    cookie_header: Option<&str>,
) -> Result<Option<Session>, Error> {
    let Some(handle) = handle_in(issuer, cookie_header) else {
        return Ok(None);
    };
    Ok(ports
        .sessions
        .find(&sha256_hex(handle), ports.clock.now())
        .await?)
}

/// Ends the session named by the request's cookie; returns it if there was one.
pub async fn end(
    ports: &Ports<'_>,
    issuer: &str,
    cookie_header: Option<&str>,
) -> Result<Option<Session>, Error> {
    let session = current(ports, issuer, cookie_header).await?;
    if let Some(handle) = handle_in(issuer, cookie_header) {
        ports.sessions.delete(&sha256_hex(handle)).await?;
    }
    Ok(session)
}

/// A token for a form that acts on the session (anti-CSRF): it proves the form was served
/// to the browser holding the session, since only that browser has the HttpOnly cookie
/// it is made from. `purpose` keeps one form's token from serving another. `None`
/// without a session cookie.
pub fn form_token(issuer: &str, cookie_header: Option<&str>, purpose: &str) -> Option<String> {
    let handle = handle_in(issuer, cookie_header)?;
    let label = format!("portcullis session form v1 {purpose}");
    Some(URL_SAFE_NO_PAD.encode(hmac_sha256(handle.as_bytes(), label.as_bytes())))
}

/// Whether `presented` is [`form_token`] for this request's session and `purpose`.
pub fn verify_form_token(
    issuer: &str,
    cookie_header: Option<&str>,
    purpose: &str,
    presented: Option<&str>,
) -> bool {
    match (form_token(issuer, cookie_header, purpose), presented) {
        (Some(expected), Some(presented)) => constant_time_eq(&expected, presented),
        _ => false,
    }
}

/// `Set-Cookie` for a new session. `Secure` over HTTPS and on `http://localhost` (a
/// secure context, where browsers keep Secure cookies); left off only on other
/// plain-HTTP origins, where a browser would drop the cookie altogether.
pub fn set_cookie(handle: &str, issuer: &str) -> String {
    format!(
        "{}={handle}; Path=/; Max-Age={SESSION_TTL_SECONDS}; HttpOnly; SameSite=Lax{}",
        cookie_name(issuer),
        secure_attribute(issuer)
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(issuer: &str) -> String {
    format!(
        "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}",
        cookie_name(issuer),
        secure_attribute(issuer)
    )
}

pub(crate) fn is_secure(issuer: &str) -> bool {
    let host = issuer
        .strip_prefix("http://")
        .map(|rest| rest.split(['/', ':']).next().unwrap_or_default());
    matches!(host, None | Some("localhost" | "127.0.0.1"))
}

pub(crate) fn secure_attribute(issuer: &str) -> &'static str {
    if is_secure(issuer) {
        "; Secure"
    } else {
        ""
    }
}

/// The session handle in a `Cookie` header (RFC 6265 §5.4): the value of the cookie named
/// exactly [`cookie_name`], if it appears once and has the shape of a handle.
fn handle_in<'a>(issuer: &str, header: Option<&'a str>) -> Option<&'a str> {
    cookie_handle(cookie_name(issuer), header)
}

/// The handle in the cookie named exactly `name`, if it appears once and has the shape of
/// a handle (a cookie tossed in beside the real one never decides anything).
pub(crate) fn cookie_handle<'a>(name: &str, header: Option<&'a str>) -> Option<&'a str> {
    let mut values = header?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v.trim());
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    is_handle(value).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Clock;
    use crate::testing::TestPorts;

    const ISS: &str = "https://id.example";

    #[test]
    fn a_session_is_found_by_its_cookie_until_it_ends_or_expires() {
        let t = TestPorts::new();
        let ports = t.ports();
        // OIDC Core §2 `auth_time`: the instant the person signed in, which the flow's
        // code carries too, even when the session is written a moment later.
        let signed_in_at = t.clock.now();
        t.clock.advance_seconds(1);
        let handle =
            pollster::block_on(start(&ports, "u1", &Amr::password(), signed_in_at)).unwrap();
        let cookie = format!("theme=dark; {HOST_SESSION_COOKIE}={handle}");
        let found = pollster::block_on(current(&ports, ISS, Some(&cookie)))
            .unwrap()
            .unwrap();
        assert_eq!(found.user_id, "u1");
        assert_eq!(found.auth_time, signed_in_at);
        t.clock.advance_seconds(SESSION_TTL_SECONDS);
        assert_eq!(
            pollster::block_on(current(&ports, ISS, Some(&cookie))).unwrap(),
            None
        );

        let handle =
            pollster::block_on(start(&ports, "u1", &Amr::default(), t.clock.now())).unwrap();
        let cookie = format!("{HOST_SESSION_COOKIE}={handle}");
        assert!(pollster::block_on(end(&ports, ISS, Some(&cookie)))
            .unwrap()
            .is_some());
        assert_eq!(
            pollster::block_on(current(&ports, ISS, Some(&cookie))).unwrap(),
            None
        );
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_on_https() {
        let c = set_cookie("h", ISS);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.ends_with("; Secure"));
        assert!(set_cookie("h", "http://localhost:8787").ends_with("; Secure"));
        assert!(!set_cookie("h", "http://intranet.example:8080").contains("Secure"));
        assert!(clear_cookie(ISS).contains("Max-Age=0"));
    }

    #[test]
    fn session_cookie_uses_the_host_prefix_and_refuses_duplicates() {
        // RFC 6265bis §4.1.3.2: `__Host-` needs Secure, Path=/ and no Domain.
        for issuer in [ISS, "http://localhost:8787", "http://127.0.0.1:8787"] {
            for set in [set_cookie("h", issuer), clear_cookie(issuer)] {
                assert!(set.starts_with("__Host-portcullis_session="), "{set}");
                assert!(
                    set.contains("; Path=/;") && set.ends_with("; Secure"),
                    "{set}"
                );
                assert!(!set.to_ascii_lowercase().contains("domain"), "{set}");
            }
        }
        // Where it cannot be Secure, the prefix would make browsers drop it.
        let plain = "http://intranet.example:8080";
        assert!(set_cookie("h", plain).starts_with("portcullis_session="));
        assert_eq!(cookie_name(plain), SESSION_COOKIE);

        let t = TestPorts::new();
        let ports = t.ports();
        let mine =
            pollster::block_on(start(&ports, "victim", &Amr::default(), t.clock.now())).unwrap();
        let theirs =
            pollster::block_on(start(&ports, "attacker", &Amr::default(), t.clock.now())).unwrap();
        let found = |issuer: &str, header: &str| {
            pollster::block_on(current(&ports, issuer, Some(header)))
                .unwrap()
                .map(|s| s.user_id)
        };
        assert_eq!(
            found(ISS, &format!("{HOST_SESSION_COOKIE}={mine}")),
            Some("victim".into())
        );
        // Read by exact name: the unprefixed name, which a sibling subdomain could set
        // with a Domain attribute, is not the session on a Secure origin.
        assert_eq!(found(ISS, &format!("{SESSION_COOKIE}={theirs}")), None);
        assert_eq!(
            found(ISS, &format!("__host-portcullis_session={theirs}")),
            None
        );
        // Cookie tossing: the name twice, in either order, is no session at all.
        for header in [
            format!("{HOST_SESSION_COOKIE}={theirs}; {HOST_SESSION_COOKIE}={mine}"),
            format!("{HOST_SESSION_COOKIE}={mine}; a=b; {HOST_SESSION_COOKIE}={theirs}"),
            format!("{HOST_SESSION_COOKIE}={mine}; {HOST_SESSION_COOKIE}={mine}"),
        ] {
            assert_eq!(found(ISS, &header), None, "{header}");
            let ended = pollster::block_on(end(&ports, ISS, Some(&header))).unwrap();
            assert_eq!(ended, None);
        }
        assert_eq!(
            found(ISS, &format!("{HOST_SESSION_COOKIE}={mine}")),
            Some("victim".into()),
            "a refused duplicate ends nothing"
        );
        assert_eq!(
            found(
                plain,
                &format!("{SESSION_COOKIE}={mine}; {SESSION_COOKIE}={theirs}")
            ),
            None
        );
    }

    #[test]
    fn form_tokens_are_bound_to_the_session_and_the_purpose() {
        let cookie = |handle: &str| format!("{HOST_SESSION_COOKIE}={handle}");
        let a = cookie(&"a".repeat(43));
        let b = cookie(&"b".repeat(43));
        let token = form_token(ISS, Some(&a), "logout").unwrap();
        assert!(verify_form_token(ISS, Some(&a), "logout", Some(&token)));
        assert!(!verify_form_token(ISS, Some(&b), "logout", Some(&token)));
        assert!(!verify_form_token(ISS, Some(&a), "other", Some(&token)));
        assert!(!verify_form_token(ISS, Some(&a), "logout", None));
        assert!(!verify_form_token(ISS, None, "logout", Some(&token)));
        assert!(!token.contains(&"a".repeat(10)), "the handle stays secret");
    }

    #[test]
    fn malformed_cookies_never_reach_the_store() {
        let t = TestPorts::new();
        let ports = t.ports();
        for header in [
            "",
            "__Host-portcullis_session=short",
            "other=1",
            "__Host-portcullis_session",
        ] {
            assert_eq!(
                pollster::block_on(current(&ports, ISS, Some(header))).unwrap(),
                None
            );
        }
    }
}
