//! SSO sessions of the hosted sign-in page: an HttpOnly, SameSite=Lax cookie holding a
//! random handle; the store keeps only the handle's SHA-256.

use crate::crypto::sha256_hex;
use crate::crypto::token::{is_handle, random_handle};
use crate::error::Error;
use crate::ports::Ports;
use crate::users::Session;

pub const SESSION_COOKIE: &str = "portcullis_session";
/// How long an SSO session lasts after sign-in.
pub const SESSION_TTL_SECONDS: u64 = 24 * 3600;

/// Starts a session for `user_id`; returns the cookie's handle.
pub async fn start(ports: &Ports<'_>, user_id: &str, amr: &[String]) -> Result<String, Error> {
    let handle = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let now = ports.clock.now();
    let session = Session {
        user_id: user_id.to_string(),
        auth_time: now.0,
        amr: amr.to_vec(),
        expires_at: now.plus_seconds(SESSION_TTL_SECONDS).0,
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
    cookie_header: Option<&str>,
) -> Result<Option<Session>, Error> {
    let Some(handle) = cookie_value(cookie_header, SESSION_COOKIE).filter(|h| is_handle(h)) else {
        return Ok(None);
    };
    Ok(ports
        .sessions
        .find(&sha256_hex(handle), ports.clock.now())
        .await?)
}

/// Ends the session named by the request's cookie; returns it if there was one.
pub async fn end(ports: &Ports<'_>, cookie_header: Option<&str>) -> Result<Option<Session>, Error> {
    let session = current(ports, cookie_header).await?;
    if let Some(handle) = cookie_value(cookie_header, SESSION_COOKIE).filter(|h| is_handle(h)) {
        ports.sessions.delete(&sha256_hex(handle)).await?;
    }
    Ok(session)
}

/// `Set-Cookie` for a new session. `Secure` over HTTPS and on `http://localhost` (a
/// secure context, where browsers keep Secure cookies); left off only on other
/// plain-HTTP origins, where a browser would drop the cookie altogether.
pub fn set_cookie(handle: &str, issuer: &str) -> String {
    format!(
        "{SESSION_COOKIE}={handle}; Path=/; Max-Age={SESSION_TTL_SECONDS}; HttpOnly; SameSite=Lax{}",
        secure_attribute(issuer)
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(issuer: &str) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}",
        secure_attribute(issuer)
    )
}

fn secure_attribute(issuer: &str) -> &'static str {
    let host = issuer
        .strip_prefix("http://")
        .map(|rest| rest.split(['/', ':']).next().unwrap_or_default());
    match host {
        None => "; Secure",
        Some("localhost" | "127.0.0.1") => "; Secure",
        Some(_) => "",
    }
}

/// The value of cookie `name` in a `Cookie` header (RFC 6265 §5.4).
fn cookie_value<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestPorts;

    #[test]
    fn a_session_is_found_by_its_cookie_until_it_ends_or_expires() {
        let t = TestPorts::new();
        let ports = t.ports();
        let handle = pollster::block_on(start(&ports, "u1", &["pwd".into()])).unwrap();
        let cookie = format!("theme=dark; {SESSION_COOKIE}={handle}");
        let found = pollster::block_on(current(&ports, Some(&cookie)))
            .unwrap()
            .unwrap();
        assert_eq!(found.user_id, "u1");
        t.clock.advance_seconds(SESSION_TTL_SECONDS);
        assert_eq!(
            pollster::block_on(current(&ports, Some(&cookie))).unwrap(),
            None
        );

        let handle = pollster::block_on(start(&ports, "u1", &[])).unwrap();
        let cookie = format!("{SESSION_COOKIE}={handle}");
        assert!(pollster::block_on(end(&ports, Some(&cookie)))
            .unwrap()
            .is_some());
        assert_eq!(
            pollster::block_on(current(&ports, Some(&cookie))).unwrap(),
            None
        );
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_on_https() {
        let c = set_cookie("h", "https://id.example");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.ends_with("; Secure"));
        assert!(set_cookie("h", "http://localhost:8787").ends_with("; Secure"));
        assert!(!set_cookie("h", "http://intranet.example:8080").contains("Secure"));
        assert!(clear_cookie("https://id.example").contains("Max-Age=0"));
    }

    #[test]
    fn malformed_cookies_never_reach_the_store() {
        let t = TestPorts::new();
        let ports = t.ports();
        for header in [
            "",
            "portcullis_session=short",
            "other=1",
            "portcullis_session",
        ] {
            assert_eq!(
                pollster::block_on(current(&ports, Some(header))).unwrap(),
                None
            );
        }
    }
}
