//! Every endpoint of the edge, read from the path alone, with the methods it answers and
//! whether it speaks HTML to browsers: the one table that dispatch, `405` answers (with
//! their `Allow` header) and the choice between HTML and JSON errors all read.

use crate::http::Method;

/// An endpoint, with the handles its path carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    Health,
    Client(&'a str),
    Flows,
    Flow(&'a str),
    FlowPassword(&'a str),
    FlowSignUp(&'a str),
    FlowPasskeyOptions(&'a str),
    FlowPasskey(&'a str),
    FlowPasskeySignUpOptions(&'a str),
    FlowPasskeySignUp(&'a str),
    FlowEmail(&'a str),
    FlowEmailCode(&'a str),
    RecoveryPassword,
    RecoveryPasswordReset,
    RecoveryAccount,
    DevMailbox,
    DevMailboxPage(&'a str),
    EmailLink,
    MyPasskeys,
    MyPasskeyOptions,
    MyPasskey(&'a str),
    RelatedOrigins,
    Discovery,
    Jwks,
    Authorize,
    Token,
    Userinfo,
    Revoke,
    Introspect,
    Logout,
}

const GET: &[Method] = &[Method::Get, Method::Head];
const POST: &[Method] = &[Method::Post];
const GET_POST: &[Method] = &[Method::Get, Method::Head, Method::Post];

impl<'a> Route<'a> {
    /// The endpoint at `path`, if there is one.
    pub fn parse(path: &'a str) -> Option<Route<'a>> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        Some(match segments.as_slice() {
            ["v1", "health"] => Route::Health,
            ["v1", "clients", id] => Route::Client(id),
            ["v1", "flows"] => Route::Flows,
            ["v1", "flows", id] => Route::Flow(id),
            ["v1", "flows", id, "password"] => Route::FlowPassword(id),
            ["v1", "flows", id, "sign-up"] => Route::FlowSignUp(id),
            ["v1", "flows", id, "passkey"] => Route::FlowPasskey(id),
            ["v1", "flows", id, "passkey", "options"] => Route::FlowPasskeyOptions(id),
            ["v1", "flows", id, "passkey", "sign-up"] => Route::FlowPasskeySignUp(id),
            ["v1", "flows", id, "passkey", "sign-up", "options"] => {
                Route::FlowPasskeySignUpOptions(id)
            }
            ["v1", "flows", id, "email"] => Route::FlowEmail(id),
            ["v1", "flows", id, "email", "code"] => Route::FlowEmailCode(id),
            ["v1", "recovery", "password"] => Route::RecoveryPassword,
            ["v1", "recovery", "password", "reset"] => Route::RecoveryPasswordReset,
            ["v1", "recovery", "account"] => Route::RecoveryAccount,
            ["v1", "dev", "mailbox"] => Route::DevMailbox,
            ["dev", file] => Route::DevMailboxPage(file),
            ["email-link"] => Route::EmailLink,
            ["v1", "me", "passkeys"] => Route::MyPasskeys,
            ["v1", "me", "passkeys", "options"] => Route::MyPasskeyOptions,
            ["v1", "me", "passkeys", id] => Route::MyPasskey(id),
            [".well-known", "webauthn"] => Route::RelatedOrigins,
            [".well-known", "openid-configuration" | "oauth-authorization-server"] => {
                Route::Discovery
            }
            [".well-known", "jwks.json"] => Route::Jwks,
            ["authorize"] => Route::Authorize,
            ["token"] => Route::Token,
            ["userinfo"] => Route::Userinfo,
            ["revoke"] => Route::Revoke,
            ["introspect"] => Route::Introspect,
            ["logout"] => Route::Logout,
            _ => return None,
        })
    }

    /// The methods the endpoint answers (`HEAD` wherever `GET` is).
    pub fn methods(self) -> &'static [Method] {
        match self {
            Route::Health
            | Route::Client(_)
            | Route::DevMailbox
            | Route::DevMailboxPage(_)
            | Route::RelatedOrigins
            | Route::Discovery
            | Route::Jwks
            | Route::Authorize => GET,
            Route::Flow(_) => &[Method::Delete],
            Route::MyPasskey(_) => &[Method::Patch, Method::Delete],
            Route::EmailLink | Route::MyPasskeys | Route::Userinfo | Route::Logout => GET_POST,
            Route::Flows
            | Route::FlowPassword(_)
            | Route::FlowSignUp(_)
            | Route::FlowPasskeyOptions(_)
            | Route::FlowPasskey(_)
            | Route::FlowPasskeySignUpOptions(_)
            | Route::FlowPasskeySignUp(_)
            | Route::FlowEmail(_)
            | Route::FlowEmailCode(_)
            | Route::RecoveryPassword
            | Route::RecoveryPasswordReset
            | Route::RecoveryAccount
            | Route::MyPasskeyOptions
            | Route::Token
            | Route::Revoke
            | Route::Introspect => POST,
        }
    }

    /// Whether the endpoint answers `method`.
    pub fn allows(self, method: Method) -> bool {
        self.methods().contains(&method)
    }

    /// The `Allow` header of a `405` (RFC 9110 §15.5.6).
    pub fn allow_header(self) -> String {
        let names: Vec<&str> = self
            .methods()
            .iter()
            .map(|m| match m {
                Method::Get => "GET",
                Method::Head => "HEAD",
                Method::Post => "POST",
                Method::Put => "PUT",
                Method::Patch => "PATCH",
                Method::Delete => "DELETE",
                Method::Options => "OPTIONS",
                Method::Other => "",
            })
            .collect();
        names.join(", ")
    }

    /// Whether a browser navigates here (a page), so that a failure is shown as HTML.
    pub fn is_page(self) -> bool {
        matches!(self, Route::Authorize | Route::Logout | Route::EmailLink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_read_from_its_path_alone() {
        assert_eq!(
            Route::parse("/v1/flows/abc/email/code"),
            Some(Route::FlowEmailCode("abc"))
        );
        assert_eq!(
            Route::parse("/v1/me/passkeys/options"),
            Some(Route::MyPasskeyOptions)
        );
        assert_eq!(
            Route::parse("/v1/me/passkeys/xyz"),
            Some(Route::MyPasskey("xyz"))
        );
        assert_eq!(Route::parse("/v1/me/passkeys/xyz/more"), None);
        assert_eq!(Route::parse("/v1/flows/abc/email/link"), None);
        assert_eq!(Route::parse("/nowhere"), None);
    }

    #[test]
    fn rfc9110_15_5_6_a_405_names_the_methods_the_endpoint_answers() {
        let token = Route::Token;
        assert!(token.allows(Method::Post) && !token.allows(Method::Get));
        assert_eq!(token.allow_header(), "POST");
        assert_eq!(Route::MyPasskey("x").allow_header(), "PATCH, DELETE");
        assert!(Route::Jwks.allows(Method::Head));
    }

    #[test]
    fn only_browser_pages_answer_in_html() {
        assert!(Route::Authorize.is_page() && Route::Logout.is_page());
        assert!(!Route::Token.is_page() && !Route::Flows.is_page());
    }
}
