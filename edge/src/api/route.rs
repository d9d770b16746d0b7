//! What the edge knows of each endpoint beyond its path (the shared [`Route`] table):
//! the methods it answers and whether it speaks HTML to browsers, read by dispatch, `405`
//! answers (with their `Allow` header) and the choice between HTML and JSON errors.

use crate::http::Method;

pub use portcullis_shared::route::Route;

const GET: &[Method] = &[Method::Get, Method::Head];
const POST: &[Method] = &[Method::Post];
const GET_POST: &[Method] = &[Method::Get, Method::Head, Method::Post];
/// A SCIM resource (RFC 7644 §3.4.1, §3.5.1, §3.5.2, §3.6), or an admin API resource.
const GET_PUT_PATCH_DELETE: &[Method] = &[
    Method::Get,
    Method::Head,
    Method::Put,
    Method::Patch,
    Method::Delete,
];

/// An admin resource read, changed and removed.
const GET_PATCH_DELETE: &[Method] = &[Method::Get, Method::Head, Method::Patch, Method::Delete];

/// What the edge knows of an endpoint beyond its path.
pub trait Endpoint: Copy {
    /// The methods the endpoint answers (`HEAD` wherever `GET` is).
    fn methods(self) -> &'static [Method];

    /// Whether the endpoint answers `method`.
    fn allows(self, method: Method) -> bool {
        self.methods().contains(&method)
    }

    /// The `Allow` header of a `405` (RFC 9110 §15.5.6).
    fn allow_header(self) -> String {
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
    fn is_page(self) -> bool;
}

impl Endpoint for Route<'_> {
    fn methods(self) -> &'static [Method] {
        match self {
            Route::Health
            | Route::Client(_)
            | Route::ClientFirstScreen(_)
            | Route::DevMailbox
            | Route::DevMailboxPage(_)
            | Route::RelatedOrigins
            | Route::Discovery
            | Route::Jwks
            | Route::Authorize
            | Route::ScimServiceProviderConfig
            | Route::ScimSchemas
            | Route::ScimResourceTypes
            | Route::Logs
            | Route::FederationStart
            | Route::MyIdentities
            | Route::AdminHookDeliveries(_)
            | Route::AdminUser(_) => GET,
            // Apple answers with `response_mode=form_post`.
            Route::FederationCallback(_) => GET_POST,
            Route::MyIdentity(_) => &[Method::Delete],
            Route::AdminUserIdentityTokens(..) => &[Method::Get, Method::Head, Method::Delete],
            Route::AdminHooks | Route::AdminInlineHooks => GET_POST,
            Route::AdminInlineHook(_) => &[Method::Get, Method::Head, Method::Delete],
            Route::AdminHook(_) => GET_PATCH_DELETE,
            Route::AdminHookSecret(_) => POST,
            Route::ScimUsers
            | Route::ScimGroups
            | Route::AdminClients
            | Route::AdminConnections => GET_POST,
            Route::ScimUser(_)
            | Route::ScimGroup(_)
            | Route::AdminClient(_)
            | Route::AdminConnection(_) => GET_PUT_PATCH_DELETE,
            Route::Flow(_) | Route::MyDevices | Route::MyDevice(_) | Route::Me => &[Method::Delete],
            Route::MyPasskey(_) => &[Method::Patch, Method::Delete],
            Route::MyProfile => &[Method::Get, Method::Head, Method::Patch],
            Route::MyFactors | Route::MyConsentReceipt(_) | Route::MyExport => GET,
            Route::MyFactor(_) | Route::MySession(_) | Route::MyApplication(_) => &[Method::Delete],
            Route::MySessions => &[Method::Get, Method::Head, Method::Delete],
            Route::MyApplications => GET,
            Route::EmailLink
            | Route::CancelDeletion
            | Route::MyPasskeys
            | Route::MyConsents
            | Route::Userinfo
            | Route::Logout => GET_POST,
            Route::Flows
            | Route::FlowPassword(_)
            | Route::FlowSignUp(_)
            | Route::FlowPasskeyOptions(_)
            | Route::FlowPasskey(_)
            | Route::FlowPasskeySignUpOptions(_)
            | Route::FlowPasskeySignUp(_)
            | Route::FlowEmail(_)
            | Route::FlowEmailCode(_)
            | Route::FlowTotp(_)
            | Route::FlowRecoveryCode(_)
            | Route::FlowProfile(_)
            | Route::FlowTotpEnrolment(_)
            | Route::FlowTotpEnrolmentConfirm(_)
            | Route::FlowSecurityKeyOptions(_)
            | Route::FlowSecurityKey(_)
            | Route::FlowEmailFactorSend(_)
            | Route::FlowEmailFactor(_)
            | Route::FlowFederation(..)
            | Route::FlowFederated(_)
            | Route::MyTotp
            | Route::MyTotpConfirm
            | Route::MyRecoveryCodes
            | Route::MyEmail
            | Route::MyEmailConfirm
            | Route::MyPassword
            | Route::RecoveryPassword
            | Route::RecoveryPasswordReset
            | Route::RecoveryAccount
            | Route::MyPasskeyOptions
            | Route::AdminClientSecret(_)
            | Route::AdminUserLifecycle(..)
            | Route::Token
            | Route::Revoke
            | Route::Introspect => POST,
        }
    }

    fn is_page(self) -> bool {
        matches!(
            self,
            Route::Authorize
                | Route::Logout
                | Route::EmailLink
                | Route::FederationStart
                | Route::FederationCallback(_)
                | Route::CancelDeletion
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9110_15_5_6_a_405_names_the_methods_the_endpoint_answers() {
        let token = Route::Token;
        assert!(token.allows(Method::Post) && !token.allows(Method::Get));
        assert_eq!(token.allow_header(), "POST");
        assert_eq!(Route::MyPasskey("x").allow_header(), "PATCH, DELETE");
        assert_eq!(Route::MyFactor("x").allow_header(), "DELETE");
        assert_eq!(Route::MyFactors.allow_header(), "GET, HEAD");
        assert!(Route::Jwks.allows(Method::Head));
    }

    #[test]
    fn only_browser_pages_answer_in_html() {
        assert!(Route::Authorize.is_page() && Route::Logout.is_page());
        assert!(!Route::Token.is_page() && !Route::Flows.is_page());
    }
}
