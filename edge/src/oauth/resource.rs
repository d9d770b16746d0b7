//! Resource indicators (RFC 8707): which resource server an access token is for, and so
//! its `aud` (RFC 9068 §3) and the part of the grant's scope it carries.
//!
//! Two resources are registered, each with its own audience:
//!
//! - **The issuer** (`aud` = the issuer identifier): UserInfo (OIDC Core §5.3) and the
//!   client's own APIs. Every scope but `account` belongs to it, and it is the default,
//!   so a plain OpenID Connect token works at userinfo and with relying-party libraries
//!   as it always has.
//! - **The account API** (`aud` = `{issuer}/v1/me`): the signed-in person's passkeys,
//!   that is, how the account signs in. Its one scope is `account`, which no other token
//!   carries. A token that reached a site's backend, its logs or another resource server
//!   therefore cannot add a passkey to the account; only a token asked for this resource
//!   (the `resource` parameter at `/token`) can.
//!
//! One audience per token: a token for both would undo the separation.

use crate::oauth::scope::Scopes;

/// The account API's scope, and only the account API's.
pub const ACCOUNT_SCOPE: &str = "account";
/// The account API's path under the issuer; with the issuer, its resource indicator.
pub const ACCOUNT_API_PATH: &str = "/v1/me";

/// A resource server this issuer mints access tokens for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// UserInfo and the client's own APIs; the default.
    Issuer,
    /// `/v1/me`: managing how the account signs in.
    AccountApi,
}

/// RFC 8707 §2 `invalid_target`: why a token for the requested resource cannot be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetError {
    /// Not a registered resource, or more than one (one audience per token).
    Unknown,
    /// The grant holds no scope for that resource.
    NotGranted,
}

impl Resource {
    pub const ALL: [Resource; 2] = [Resource::Issuer, Resource::AccountApi];

    /// The resource indicator, which is also the `aud` of the tokens for it.
    pub fn identifier(self, issuer: &str) -> String {
        match self {
            Resource::Issuer => issuer.to_string(),
            Resource::AccountApi => format!("{issuer}{ACCOUNT_API_PATH}"),
        }
    }

    /// The registered resource that `value` (a `resource` parameter, an `aud`) names.
    /// Compared as exact strings: RFC 8707 §2 indicators are absolute URIs without a
    /// fragment, and anything else names nothing here.
    pub fn named(issuer: &str, value: &str) -> Option<Resource> {
        Resource::ALL
            .into_iter()
            .find(|resource| resource.identifier(issuer) == value)
    }

    /// Whether `scope` is for this resource: `account` is the account API's alone; every
    /// other scope (OpenID Connect's, `offline_access`, a client's API scopes) the
    /// issuer's.
    fn owns(self, scope: &str) -> bool {
        (scope == ACCOUNT_SCOPE) == (self == Resource::AccountApi)
    }

    /// The scopes of `granted` that a token for this resource carries.
    pub fn scopes(self, granted: &[String]) -> Scopes {
        granted.iter().filter(|s| self.owns(s)).cloned().collect()
    }

    /// The resource the `resource` parameters of a token request name, if any.
    pub fn requested(issuer: &str, requested: &[String]) -> Result<Option<Resource>, TargetError> {
        match requested {
            [] => Ok(None),
            [one] => Resource::named(issuer, one)
                .map(Some)
                .ok_or(TargetError::Unknown),
            _ => Err(TargetError::Unknown),
        }
    }

    /// RFC 8707 §2.2: the resource of an access token minted from `granted` scopes,
    /// named by the `resource` parameters of the token request or, without one, implied
    /// by the scopes: the account API when `account` is all the grant is about
    /// (`offline_access` aside), else the issuer.
    pub fn select(
        issuer: &str,
        requested: &[String],
        granted: &[String],
    ) -> Result<Resource, TargetError> {
        let about_the_account = granted.iter().any(|s| s == ACCOUNT_SCOPE)
            && granted
                .iter()
                .all(|s| s == ACCOUNT_SCOPE || s == "offline_access");
        let resource = match Resource::requested(issuer, requested)? {
            Some(resource) => resource,
            None if about_the_account => Resource::AccountApi,
            None => Resource::Issuer,
        };
        // A grant with scopes, none of them for this resource, does not cover it. (A
        // client credentials grant may have no scope at all: its token is the issuer's.)
        let covered = (granted.is_empty() && resource == Resource::Issuer)
            || !resource.scopes(granted).is_empty();
        if covered {
            Ok(resource)
        } else {
            Err(TargetError::NotGranted)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://id.example";

    fn scopes(list: &str) -> Scopes {
        crate::oauth::scope::Scopes::parse(list)
    }

    #[test]
    fn rfc8707_2_resource_indicators_name_one_registered_resource() {
        assert_eq!(Resource::named(ISS, ISS), Some(Resource::Issuer));
        assert_eq!(
            Resource::named(ISS, "https://id.example/v1/me"),
            Some(Resource::AccountApi)
        );
        for other in [
            "https://id.example/",
            "https://id.example/v1/me/",
            "https://id.example/v1/me#x",
            "https://other.example/v1/me",
            "/v1/me",
            "",
        ] {
            assert_eq!(Resource::named(ISS, other), None, "{other}");
        }
    }

    #[test]
    fn rfc8707_2_2_the_resource_parameter_or_the_scopes_choose_the_audience() {
        let granted = scopes("openid email account offline_access");
        let select = |requested: &[&str], granted: &[String]| {
            let requested: Vec<String> = requested.iter().map(|s| s.to_string()).collect();
            Resource::select(ISS, &requested, granted)
        };
        assert_eq!(select(&[], &granted), Ok(Resource::Issuer));
        assert_eq!(
            select(&["https://id.example/v1/me"], &granted),
            Ok(Resource::AccountApi)
        );
        assert_eq!(select(&[ISS], &granted), Ok(Resource::Issuer));
        assert_eq!(
            select(&[], &scopes("account offline_access")),
            Ok(Resource::AccountApi)
        );
        assert_eq!(select(&[], &[]), Ok(Resource::Issuer), "client credentials");
        assert_eq!(
            select(&["https://id.example/v1/me"], &scopes("openid email")),
            Err(TargetError::NotGranted)
        );
        assert_eq!(
            select(&[ISS], &scopes("account")),
            Err(TargetError::NotGranted)
        );
        assert_eq!(
            select(&["https://elsewhere.example"], &granted),
            Err(TargetError::Unknown)
        );
        assert_eq!(
            select(&[ISS, "https://id.example/v1/me"], &granted),
            Err(TargetError::Unknown),
            "one audience per token"
        );
    }

    #[test]
    fn the_account_scope_travels_only_in_account_api_tokens() {
        let granted = scopes("openid email account offline_access");
        assert_eq!(
            Resource::Issuer.scopes(&granted),
            scopes("openid email offline_access")
        );
        assert_eq!(Resource::AccountApi.scopes(&granted), scopes("account"));
    }
}
