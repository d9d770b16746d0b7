//! The GitHub preset: OAuth 2.0, not OpenID Connect. There is no ID token; the person is
//! who GitHub's REST API says the access token belongs to.
//!
//! - Endpoints from the connection's `issuer`: `https://github.com` (authorize and token
//!   at `github.com/login/oauth/…`, the API at `api.github.com`), or a GitHub Enterprise
//!   Server's base URL (the API at `{issuer}/api/v3`).
//! - The token endpoint answers JSON only when asked (`Accept: application/json`), and
//!   answers a refused code with `200 {"error": "bad_verification_code", …}`.
//! - The subject is the account's numeric `id` from `GET /user` (a `login` can be
//!   renamed and then taken by someone else; the id never changes).
//! - The address is the **primary, verified** one of `GET /user/emails` and nothing
//!   else: the public `email` of `/user` is whatever the person typed on their profile,
//!   and secondary or unverified addresses prove nothing.

use serde::Deserialize;

use super::id_token::Verified;
use super::Connection;
use crate::error::Error;
use crate::ports::Ports;

pub use super::settings::GITHUB_COM;
/// The REST API version these formats are from (GitHub's `X-GitHub-Api-Version`).
const API_VERSION: &str = "2022-11-28";

/// Where a GitHub connection talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub authorization: String,
    pub token: String,
    /// Without a trailing slash.
    pub api: String,
}

pub fn endpoints(issuer: &str) -> Endpoints {
    let base = issuer.trim_end_matches('/');
    let api = if base == GITHUB_COM {
        "https://api.github.com".to_string()
    } else {
        format!("{base}/api/v3")
    };
    Endpoints {
        authorization: format!("{base}/login/oauth/authorize"),
        token: format!("{base}/login/oauth/access_token"),
        api,
    }
}

/// `GET /user`, the fields read.
#[derive(Debug, Deserialize)]
struct User {
    id: u64,
    #[serde(default)]
    login: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// One entry of `GET /user/emails`.
#[derive(Debug, Deserialize)]
struct Email {
    email: String,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    verified: bool,
}

/// `GET url` of GitHub's REST API with the person's access token.
async fn api_get<T: serde::de::DeserializeOwned>(
    ports: &Ports<'_>,
    connection: &Connection,
    url: &str,
    access_token: &str,
) -> Result<T, Error> {
    let headers = [
        (
            "accept".to_string(),
            "application/vnd.github+json".to_string(),
        ),
        (
            "authorization".to_string(),
            format!("Bearer {access_token}"),
        ),
        ("x-github-api-version".to_string(), API_VERSION.to_string()),
        // GitHub refuses API requests without a User-Agent.
        ("user-agent".to_string(), "Portcullis".to_string()),
    ];
    super::provider::get_json_with(ports, connection, url, &headers).await
}

/// Who the access token belongs to: the account's id, its primary address if GitHub
/// verified it, and its name (or login).
pub async fn person(
    ports: &Ports<'_>,
    connection: &Connection,
    access_token: &str,
) -> Result<Verified, Error> {
    let api = endpoints(&connection.issuer).api;
    let user: User = api_get(ports, connection, &format!("{api}/user"), access_token).await?;
    let emails: Vec<Email> = api_get(
        ports,
        connection,
        &format!("{api}/user/emails"),
        access_token,
    )
    .await?;
    Ok(verified(user, &emails))
}

fn verified(user: User, emails: &[Email]) -> Verified {
    let primary = emails.iter().find(|e| e.primary && e.verified);
    let mut claims = serde_json::Map::new();
    if let Some(name) = user
        .name
        .filter(|n| !n.trim().is_empty())
        .or(user.login.clone())
    {
        claims.insert("name".into(), name.into());
    }
    if let Some(login) = user.login {
        claims.insert("login".into(), login.into());
    }
    Verified {
        subject: user.id.to_string(),
        email: primary.map(|e| e.email.clone()),
        email_verified: primary.is_some(),
        claims,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(json: &str) -> Vec<Email> {
        serde_json::from_str(json).unwrap()
    }

    fn octocat() -> User {
        serde_json::from_str(
            r#"{"login":"octocat","id":583231,"name":"The Octocat","email":"octocat@github.com"}"#,
        )
        .unwrap()
    }

    #[test]
    fn github_com_and_enterprise_server_endpoints() {
        let com = endpoints("https://github.com");
        assert_eq!(
            com.authorization,
            "https://github.com/login/oauth/authorize"
        );
        assert_eq!(com.token, "https://github.com/login/oauth/access_token");
        assert_eq!(com.api, "https://api.github.com");
        let ghes = endpoints("https://git.corp.example/");
        assert_eq!(ghes.api, "https://git.corp.example/api/v3");
        assert_eq!(
            ghes.token,
            "https://git.corp.example/login/oauth/access_token"
        );
    }

    #[test]
    fn github_only_a_verified_primary_email_counts() {
        let person = verified(
            octocat(),
            &emails(
                r#"[{"email":"other@example.com","primary":false,"verified":true,"visibility":null},
                    {"email":"octo@example.com","primary":true,"verified":true,"visibility":"public"}]"#,
            ),
        );
        assert_eq!(person.subject, "583231", "the numeric id, never the login");
        assert_eq!(person.email.as_deref(), Some("octo@example.com"));
        assert!(person.email_verified);
        assert_eq!(person.claims["name"], "The Octocat");
    }

    #[test]
    fn github_unverified_primary_or_verified_secondary_gives_no_address() {
        for list in [
            r#"[{"email":"octo@example.com","primary":true,"verified":false,"visibility":"public"}]"#,
            r#"[{"email":"octo@example.com","primary":true,"verified":false},
                {"email":"second@example.com","primary":false,"verified":true}]"#,
            "[]",
        ] {
            let person = verified(octocat(), &emails(list));
            assert_eq!(person.email, None, "{list}");
            assert!(!person.email_verified);
        }
        // The profile's public address (typed by the person) is never used.
        assert_eq!(verified(octocat(), &[]).email, None);
    }
}
