//! Every endpoint of the edge, read from its path and written back to one: the table
//! the edge dispatches on and the widget builds its request URLs from.

/// An endpoint, with the handles its path carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    Health,
    Client(&'a str),
    /// The widget's first screen for a client, as HTML with its configuration.
    ClientFirstScreen(&'a str),
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
    FlowTotp(&'a str),
    FlowRecoveryCode(&'a str),
    FlowTotpEnrolment(&'a str),
    FlowTotpEnrolmentConfirm(&'a str),
    FlowSecurityKeyOptions(&'a str),
    FlowSecurityKey(&'a str),
    /// Email a code for the second factor (where the client allows it).
    FlowEmailFactorSend(&'a str),
    /// The emailed code, as the second factor.
    FlowEmailFactor(&'a str),
    /// The answers to `profile_required`.
    FlowProfile(&'a str),
    /// Leave the flow for a sign-in provider: `(flow, connection)`.
    FlowFederation(&'a str, &'a str),
    /// Come back to the flow from a sign-in provider.
    FlowFederated(&'a str),
    /// The browser's first stop on the way to a provider (a page).
    FederationStart,
    /// The provider's redirect back (its `redirect_uri`, a page): `connection`.
    FederationCallback(&'a str),
    RecoveryPassword,
    RecoveryPasswordReset,
    RecoveryAccount,
    DevMailbox,
    DevMailboxPage(&'a str),
    EmailLink,
    MyPasskeys,
    MyPasskeyOptions,
    MyPasskey(&'a str),
    /// Every browser remembered for the signed-in account (`DELETE` forgets them).
    MyDevices,
    /// One device remembered after a second factor (`DELETE` forgets it).
    MyDevice(&'a str),
    MyFactors,
    MyTotp,
    MyTotpConfirm,
    MyFactor(&'a str),
    MyRecoveryCodes,
    /// The upstream identities linked to the signed-in account.
    MyIdentities,
    MyIdentity(&'a str),
    /// The signed-in person's consent records (current state and history; record one).
    MyConsents,
    /// One consent record as a Kantara Consent Receipt.
    MyConsentReceipt(&'a str),
    /// Everything held about the signed-in person, as JSON.
    MyExport,
    /// The signed-in person's profile attributes and the schema to ask for them.
    MyProfile,
    /// A change of the signed-in person's email address: a code sent to the new one.
    MyEmail,
    /// The code that proves the new address, which then replaces the old one.
    MyEmailConfirm,
    /// A new password for the signed-in person.
    MyPassword,
    /// The signed-in person's sessions (`DELETE` ends every one but the caller's).
    MySessions,
    /// One session of the signed-in person (`DELETE` ends it).
    MySession(&'a str),
    /// The applications holding a live grant of the signed-in person.
    MyApplications,
    /// One such application (`DELETE` ends its grants).
    MyApplication(&'a str),
    /// The signed-in person's account (`DELETE` schedules its deletion).
    Me,
    /// The emailed link that cancels a scheduled deletion (a page).
    CancelDeletion,
    RelatedOrigins,
    Discovery,
    Jwks,
    Authorize,
    Token,
    Userinfo,
    Revoke,
    Introspect,
    Logout,
    /// SCIM 2.0 (RFC 7644 §3.2): the Users collection.
    ScimUsers,
    /// SCIM 2.0: one User.
    ScimUser(&'a str),
    /// SCIM 2.0: the Groups collection.
    ScimGroups,
    /// SCIM 2.0: one Group.
    ScimGroup(&'a str),
    /// SCIM 2.0 §4: the service provider's configuration.
    ScimServiceProviderConfig,
    /// SCIM 2.0 §4: the schemas of the resources.
    ScimSchemas,
    /// SCIM 2.0 §4: the resource types.
    ScimResourceTypes,
    /// The System Log API (Okta's `/api/v1/logs`).
    Logs,
    /// The admin API's registered clients (list, register).
    AdminClients,
    /// One registered client (read, replace, change, delete).
    AdminClient(&'a str),
    /// A confidential client's secret (a new one, shown once).
    AdminClientSecret(&'a str),
    /// One person as an administrator sees them: profile, status, factors, passkeys,
    /// sessions, grants and groups.
    AdminUser(&'a str),
    /// An action on a person's account (Okta's `/lifecycle/{action}`): the user's id
    /// and the action's name.
    AdminUserLifecycle(&'a str, &'a str),
    /// The upstream tokens kept for a person's identity at a connection: the user's id
    /// and the connection's id.
    AdminUserIdentityTokens(&'a str, &'a str),
    /// The admin API's event hooks.
    AdminHooks,
    /// One event hook.
    AdminHook(&'a str),
    /// A new secret for an event hook (the rotation).
    AdminHookSecret(&'a str),
    /// The deliveries of an event hook.
    AdminHookDeliveries(&'a str),
    /// The admin API's inline hooks.
    AdminInlineHooks,
    /// One inline hook.
    AdminInlineHook(&'a str),
    /// The admin API's federation connections (list, register).
    AdminConnections,
    /// One federation connection (read, replace, change, delete).
    AdminConnection(&'a str),
}

impl<'a> Route<'a> {
    /// The endpoint at `path`, if there is one.
    pub fn parse(path: &'a str) -> Option<Route<'a>> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        Some(match segments.as_slice() {
            ["v1", "health"] => Route::Health,
            ["v1", "clients", id] => Route::Client(id),
            ["v1", "clients", id, "first-screen"] => Route::ClientFirstScreen(id),
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
            ["v1", "flows", id, "mfa", "totp"] => Route::FlowTotp(id),
            ["v1", "flows", id, "mfa", "recovery-code"] => Route::FlowRecoveryCode(id),
            ["v1", "flows", id, "profile"] => Route::FlowProfile(id),
            ["v1", "flows", id, "mfa", "totp", "enrolment"] => Route::FlowTotpEnrolment(id),
            ["v1", "flows", id, "mfa", "totp", "enrolment", "confirm"] => {
                Route::FlowTotpEnrolmentConfirm(id)
            }
            ["v1", "flows", id, "mfa", "webauthn", "options"] => Route::FlowSecurityKeyOptions(id),
            ["v1", "flows", id, "mfa", "webauthn"] => Route::FlowSecurityKey(id),
            ["v1", "flows", id, "mfa", "email", "send"] => Route::FlowEmailFactorSend(id),
            ["v1", "flows", id, "mfa", "email"] => Route::FlowEmailFactor(id),
            ["v1", "flows", id, "federation", connection] => Route::FlowFederation(id, connection),
            ["v1", "flows", id, "federation"] => Route::FlowFederated(id),
            ["federation", "start"] => Route::FederationStart,
            ["callback", connection] => Route::FederationCallback(connection),
            ["v1", "recovery", "password"] => Route::RecoveryPassword,
            ["v1", "recovery", "password", "reset"] => Route::RecoveryPasswordReset,
            ["v1", "recovery", "account"] => Route::RecoveryAccount,
            ["v1", "dev", "mailbox"] => Route::DevMailbox,
            ["dev", file] => Route::DevMailboxPage(file),
            ["email-link"] => Route::EmailLink,
            ["v1", "me", "passkeys"] => Route::MyPasskeys,
            ["v1", "me", "passkeys", "options"] => Route::MyPasskeyOptions,
            ["v1", "me", "passkeys", id] => Route::MyPasskey(id),
            ["v1", "me", "devices"] => Route::MyDevices,
            ["v1", "me", "devices", id] => Route::MyDevice(id),
            ["v1", "me", "factors"] => Route::MyFactors,
            ["v1", "me", "factors", "totp"] => Route::MyTotp,
            ["v1", "me", "factors", "totp", "confirm"] => Route::MyTotpConfirm,
            ["v1", "me", "factors", id] => Route::MyFactor(id),
            ["v1", "me", "recovery-codes"] => Route::MyRecoveryCodes,
            ["v1", "me", "identities"] => Route::MyIdentities,
            ["v1", "me", "identities", id] => Route::MyIdentity(id),
            ["v1", "me", "consents"] => Route::MyConsents,
            ["v1", "me", "consents", "receipts", id] => Route::MyConsentReceipt(id),
            ["v1", "me", "export"] => Route::MyExport,
            ["v1", "me", "profile"] => Route::MyProfile,
            ["v1", "me", "email"] => Route::MyEmail,
            ["v1", "me", "email", "confirm"] => Route::MyEmailConfirm,
            ["v1", "me", "password"] => Route::MyPassword,
            ["v1", "me", "sessions"] => Route::MySessions,
            ["v1", "me", "sessions", id] => Route::MySession(id),
            ["v1", "me", "applications"] => Route::MyApplications,
            ["v1", "me", "applications", id] => Route::MyApplication(id),
            ["v1", "me"] => Route::Me,
            ["account", "cancel-deletion"] => Route::CancelDeletion,
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
            ["scim", "v2", "Users"] => Route::ScimUsers,
            ["scim", "v2", "Users", id] => Route::ScimUser(id),
            ["scim", "v2", "Groups"] => Route::ScimGroups,
            ["scim", "v2", "Groups", id] => Route::ScimGroup(id),
            ["scim", "v2", "ServiceProviderConfig"] => Route::ScimServiceProviderConfig,
            ["scim", "v2", "Schemas"] => Route::ScimSchemas,
            ["scim", "v2", "ResourceTypes"] => Route::ScimResourceTypes,
            ["api", "v1", "logs"] => Route::Logs,
            ["admin", "v1", "clients"] => Route::AdminClients,
            ["admin", "v1", "clients", id] => Route::AdminClient(id),
            ["admin", "v1", "clients", id, "secret"] => Route::AdminClientSecret(id),
            ["admin", "v1", "users", id] => Route::AdminUser(id),
            ["admin", "v1", "users", id, "lifecycle", action] => {
                Route::AdminUserLifecycle(id, action)
            }
            ["admin", "v1", "users", id, "identities", connection, "tokens"] => {
                Route::AdminUserIdentityTokens(id, connection)
            }
            ["admin", "v1", "hooks"] => Route::AdminHooks,
            ["admin", "v1", "hooks", id] => Route::AdminHook(id),
            ["admin", "v1", "hooks", id, "secret"] => Route::AdminHookSecret(id),
            ["admin", "v1", "hooks", id, "deliveries"] => Route::AdminHookDeliveries(id),
            ["admin", "v1", "inline-hooks"] => Route::AdminInlineHooks,
            ["admin", "v1", "inline-hooks", id] => Route::AdminInlineHook(id),
            ["admin", "v1", "connections"] => Route::AdminConnections,
            ["admin", "v1", "connections", id] => Route::AdminConnection(id),
            _ => return None,
        })
    }

    /// The path of the endpoint, with its handles percent-encoded so that no handle can
    /// change which endpoint a request reaches.
    #[inline(always)] // Each caller names one endpoint: only its arm is compiled there.
    pub fn path(self) -> String {
        match self {
            Route::Health => "/v1/health".to_string(),
            Route::Client(id) => format!("/v1/clients/{}", segment(id)),
            Route::ClientFirstScreen(id) => format!("/v1/clients/{}/first-screen", segment(id)),
            Route::Flows => "/v1/flows".to_string(),
            Route::Flow(id) => format!("/v1/flows/{}", segment(id)),
            Route::FlowPassword(id) => format!("/v1/flows/{}/password", segment(id)),
            Route::FlowSignUp(id) => format!("/v1/flows/{}/sign-up", segment(id)),
            Route::FlowPasskey(id) => format!("/v1/flows/{}/passkey", segment(id)),
            Route::FlowPasskeyOptions(id) => format!("/v1/flows/{}/passkey/options", segment(id)),
            Route::FlowPasskeySignUp(id) => format!("/v1/flows/{}/passkey/sign-up", segment(id)),
            Route::FlowPasskeySignUpOptions(id) => {
                format!("/v1/flows/{}/passkey/sign-up/options", segment(id))
            }
            Route::FlowEmail(id) => format!("/v1/flows/{}/email", segment(id)),
            Route::FlowEmailCode(id) => format!("/v1/flows/{}/email/code", segment(id)),
            Route::FlowTotp(id) => format!("/v1/flows/{}/mfa/totp", segment(id)),
            Route::FlowRecoveryCode(id) => format!("/v1/flows/{}/mfa/recovery-code", segment(id)),
            Route::FlowProfile(id) => format!("/v1/flows/{}/profile", segment(id)),
            Route::FlowTotpEnrolment(id) => {
                format!("/v1/flows/{}/mfa/totp/enrolment", segment(id))
            }
            Route::FlowTotpEnrolmentConfirm(id) => {
                format!("/v1/flows/{}/mfa/totp/enrolment/confirm", segment(id))
            }
            Route::FlowSecurityKeyOptions(id) => {
                format!("/v1/flows/{}/mfa/webauthn/options", segment(id))
            }
            Route::FlowSecurityKey(id) => format!("/v1/flows/{}/mfa/webauthn", segment(id)),
            Route::FlowEmailFactorSend(id) => format!("/v1/flows/{}/mfa/email/send", segment(id)),
            Route::FlowEmailFactor(id) => format!("/v1/flows/{}/mfa/email", segment(id)),
            Route::FlowFederation(id, connection) => format!(
                "/v1/flows/{}/federation/{}",
                segment(id),
                segment(connection)
            ),
            Route::FlowFederated(id) => format!("/v1/flows/{}/federation", segment(id)),
            Route::FederationStart => "/federation/start".to_string(),
            Route::FederationCallback(connection) => format!("/callback/{}", segment(connection)),
            Route::RecoveryPassword => "/v1/recovery/password".to_string(),
            Route::RecoveryPasswordReset => "/v1/recovery/password/reset".to_string(),
            Route::RecoveryAccount => "/v1/recovery/account".to_string(),
            Route::DevMailbox => "/v1/dev/mailbox".to_string(),
            Route::DevMailboxPage(file) => format!("/dev/{}", segment(file)),
            Route::EmailLink => "/email-link".to_string(),
            Route::MyPasskeys => "/v1/me/passkeys".to_string(),
            Route::MyPasskeyOptions => "/v1/me/passkeys/options".to_string(),
            Route::MyPasskey(id) => format!("/v1/me/passkeys/{}", segment(id)),
            Route::MyDevices => "/v1/me/devices".to_string(),
            Route::MyDevice(id) => format!("/v1/me/devices/{}", segment(id)),
            Route::MyFactors => "/v1/me/factors".to_string(),
            Route::MyTotp => "/v1/me/factors/totp".to_string(),
            Route::MyTotpConfirm => "/v1/me/factors/totp/confirm".to_string(),
            Route::MyFactor(id) => format!("/v1/me/factors/{}", segment(id)),
            Route::MyRecoveryCodes => "/v1/me/recovery-codes".to_string(),
            Route::MyIdentities => "/v1/me/identities".to_string(),
            Route::MyIdentity(id) => format!("/v1/me/identities/{}", segment(id)),
            Route::MyConsents => "/v1/me/consents".to_string(),
            Route::MyConsentReceipt(id) => format!("/v1/me/consents/receipts/{}", segment(id)),
            Route::MyExport => "/v1/me/export".to_string(),
            Route::MyProfile => "/v1/me/profile".to_string(),
            Route::MyEmail => "/v1/me/email".to_string(),
            Route::MyEmailConfirm => "/v1/me/email/confirm".to_string(),
            Route::MyPassword => "/v1/me/password".to_string(),
            Route::MySessions => "/v1/me/sessions".to_string(),
            Route::MySession(id) => format!("/v1/me/sessions/{}", segment(id)),
            Route::MyApplications => "/v1/me/applications".to_string(),
            Route::MyApplication(id) => format!("/v1/me/applications/{}", segment(id)),
            Route::Me => "/v1/me".to_string(),
            Route::CancelDeletion => "/account/cancel-deletion".to_string(),
            Route::RelatedOrigins => "/.well-known/webauthn".to_string(),
            Route::Discovery => "/.well-known/openid-configuration".to_string(),
            Route::Jwks => "/.well-known/jwks.json".to_string(),
            Route::Authorize => "/authorize".to_string(),
            Route::Token => "/token".to_string(),
            Route::Userinfo => "/userinfo".to_string(),
            Route::Revoke => "/revoke".to_string(),
            Route::Introspect => "/introspect".to_string(),
            Route::Logout => "/logout".to_string(),
            Route::ScimUsers => "/scim/v2/Users".to_string(),
            Route::ScimUser(id) => format!("/scim/v2/Users/{}", segment(id)),
            Route::ScimGroups => "/scim/v2/Groups".to_string(),
            Route::ScimGroup(id) => format!("/scim/v2/Groups/{}", segment(id)),
            Route::ScimServiceProviderConfig => "/scim/v2/ServiceProviderConfig".to_string(),
            Route::ScimSchemas => "/scim/v2/Schemas".to_string(),
            Route::ScimResourceTypes => "/scim/v2/ResourceTypes".to_string(),
            Route::Logs => "/api/v1/logs".to_string(),
            Route::AdminClients => "/admin/v1/clients".to_string(),
            Route::AdminClient(id) => format!("/admin/v1/clients/{}", segment(id)),
            Route::AdminClientSecret(id) => format!("/admin/v1/clients/{}/secret", segment(id)),
            Route::AdminUser(id) => format!("/admin/v1/users/{}", segment(id)),
            Route::AdminUserLifecycle(id, action) => format!(
                "/admin/v1/users/{}/lifecycle/{}",
                segment(id),
                segment(action)
            ),
            Route::AdminUserIdentityTokens(id, connection) => format!(
                "/admin/v1/users/{}/identities/{}/tokens",
                segment(id),
                segment(connection)
            ),
            Route::AdminHooks => "/admin/v1/hooks".to_string(),
            Route::AdminHook(id) => format!("/admin/v1/hooks/{}", segment(id)),
            Route::AdminHookSecret(id) => format!("/admin/v1/hooks/{}/secret", segment(id)),
            Route::AdminHookDeliveries(id) => {
                format!("/admin/v1/hooks/{}/deliveries", segment(id))
            }
            Route::AdminInlineHooks => "/admin/v1/inline-hooks".to_string(),
            Route::AdminInlineHook(id) => format!("/admin/v1/inline-hooks/{}", segment(id)),
            Route::AdminConnections => "/admin/v1/connections".to_string(),
            Route::AdminConnection(id) => format!("/admin/v1/connections/{}", segment(id)),
        }
    }
}

/// RFC 3986 §2.3: everything but unreserved characters percent-encoded.
fn segment(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(char::from(byte))
            }
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                encoded.push('%');
                encoded.push(char::from(HEX[usize::from(byte >> 4)]));
                encoded.push(char::from(HEX[usize::from(byte & 15)]));
            }
        }
    }
    encoded
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
        assert_eq!(
            Route::parse("/v1/flows/abc/mfa/totp/enrolment/confirm"),
            Some(Route::FlowTotpEnrolmentConfirm("abc"))
        );
        assert_eq!(Route::parse("/v1/me/factors/totp"), Some(Route::MyTotp));
        assert_eq!(
            Route::parse("/v1/me/factors/f1"),
            Some(Route::MyFactor("f1"))
        );
        assert_eq!(Route::parse("/v1/flows/abc/email/link"), None);
        assert_eq!(Route::parse("/nowhere"), None);
    }

    #[test]
    fn every_path_written_is_read_back_as_its_endpoint() {
        let id = "a/b?c d%";
        let all = [
            Route::Health,
            Route::Client(id),
            Route::ClientFirstScreen(id),
            Route::Flows,
            Route::Flow(id),
            Route::FlowPassword(id),
            Route::FlowSignUp(id),
            Route::FlowPasskeyOptions(id),
            Route::FlowPasskey(id),
            Route::FlowPasskeySignUpOptions(id),
            Route::FlowPasskeySignUp(id),
            Route::FlowEmail(id),
            Route::FlowEmailCode(id),
            Route::FlowTotp(id),
            Route::FlowRecoveryCode(id),
            Route::FlowProfile(id),
            Route::FlowTotpEnrolment(id),
            Route::FlowTotpEnrolmentConfirm(id),
            Route::FlowSecurityKeyOptions(id),
            Route::FlowSecurityKey(id),
            Route::FlowEmailFactorSend(id),
            Route::FlowEmailFactor(id),
            Route::FlowFederation(id, id),
            Route::FlowFederated(id),
            Route::FederationStart,
            Route::FederationCallback(id),
            Route::RecoveryPassword,
            Route::RecoveryPasswordReset,
            Route::RecoveryAccount,
            Route::DevMailbox,
            Route::EmailLink,
            Route::MyIdentities,
            Route::MyIdentity(id),
            Route::MyPasskeys,
            Route::MyPasskeyOptions,
            Route::MyPasskey(id),
            Route::MyDevices,
            Route::MyDevice(id),
            Route::MyFactors,
            Route::MyTotp,
            Route::MyTotpConfirm,
            Route::MyFactor(id),
            Route::MyRecoveryCodes,
            Route::MyConsents,
            Route::MyConsentReceipt(id),
            Route::MyExport,
            Route::MyProfile,
            Route::MyEmail,
            Route::MyEmailConfirm,
            Route::MyPassword,
            Route::MySessions,
            Route::MySession(id),
            Route::MyApplications,
            Route::MyApplication(id),
            Route::Me,
            Route::CancelDeletion,
            Route::RelatedOrigins,
            Route::Discovery,
            Route::Jwks,
            Route::Authorize,
            Route::Token,
            Route::Userinfo,
            Route::Revoke,
            Route::Introspect,
            Route::Logout,
            Route::ScimUsers,
            Route::ScimUser(id),
            Route::ScimGroups,
            Route::ScimGroup(id),
            Route::ScimServiceProviderConfig,
            Route::ScimSchemas,
            Route::ScimResourceTypes,
            Route::Logs,
            Route::AdminClients,
            Route::AdminClient(id),
            Route::AdminClientSecret(id),
            Route::AdminUser(id),
            Route::AdminUserLifecycle(id, id),
            Route::AdminUserIdentityTokens(id, id),
            Route::AdminHooks,
            Route::AdminHook(id),
            Route::AdminHookSecret(id),
            Route::AdminHookDeliveries(id),
            Route::AdminInlineHooks,
            Route::AdminInlineHook(id),
            Route::AdminConnections,
            Route::AdminConnection(id),
        ];
        let encoded = segment(id);
        assert_eq!(encoded, "a%2Fb%3Fc%20d%25");
        for route in all {
            let path = route.path();
            let expected = match route {
                Route::Client(_) => Route::Client(&encoded),
                Route::ClientFirstScreen(_) => Route::ClientFirstScreen(&encoded),
                Route::Flow(_) => Route::Flow(&encoded),
                Route::FlowPassword(_) => Route::FlowPassword(&encoded),
                Route::FlowSignUp(_) => Route::FlowSignUp(&encoded),
                Route::FlowPasskeyOptions(_) => Route::FlowPasskeyOptions(&encoded),
                Route::FlowPasskey(_) => Route::FlowPasskey(&encoded),
                Route::FlowPasskeySignUpOptions(_) => Route::FlowPasskeySignUpOptions(&encoded),
                Route::FlowPasskeySignUp(_) => Route::FlowPasskeySignUp(&encoded),
                Route::FlowEmail(_) => Route::FlowEmail(&encoded),
                Route::FlowEmailCode(_) => Route::FlowEmailCode(&encoded),
                Route::MyPasskey(_) => Route::MyPasskey(&encoded),
                Route::ScimUser(_) => Route::ScimUser(&encoded),
                Route::ScimGroup(_) => Route::ScimGroup(&encoded),
                Route::FlowTotp(_) => Route::FlowTotp(&encoded),
                Route::FlowRecoveryCode(_) => Route::FlowRecoveryCode(&encoded),
                Route::FlowProfile(_) => Route::FlowProfile(&encoded),
                Route::FlowTotpEnrolment(_) => Route::FlowTotpEnrolment(&encoded),
                Route::FlowTotpEnrolmentConfirm(_) => Route::FlowTotpEnrolmentConfirm(&encoded),
                Route::FlowSecurityKeyOptions(_) => Route::FlowSecurityKeyOptions(&encoded),
                Route::FlowSecurityKey(_) => Route::FlowSecurityKey(&encoded),
                Route::FlowEmailFactorSend(_) => Route::FlowEmailFactorSend(&encoded),
                Route::FlowEmailFactor(_) => Route::FlowEmailFactor(&encoded),
                Route::MyFactor(_) => Route::MyFactor(&encoded),
                Route::MyDevice(_) => Route::MyDevice(&encoded),
                Route::MySession(_) => Route::MySession(&encoded),
                Route::MyApplication(_) => Route::MyApplication(&encoded),
                Route::MyConsentReceipt(_) => Route::MyConsentReceipt(&encoded),
                Route::AdminClient(_) => Route::AdminClient(&encoded),
                Route::AdminClientSecret(_) => Route::AdminClientSecret(&encoded),
                Route::AdminUser(_) => Route::AdminUser(&encoded),
                Route::AdminUserLifecycle(..) => Route::AdminUserLifecycle(&encoded, &encoded),
                Route::AdminUserIdentityTokens(..) => {
                    Route::AdminUserIdentityTokens(&encoded, &encoded)
                }
                Route::FlowFederation(..) => Route::FlowFederation(&encoded, &encoded),
                Route::FlowFederated(_) => Route::FlowFederated(&encoded),
                Route::FederationCallback(_) => Route::FederationCallback(&encoded),
                Route::MyIdentity(_) => Route::MyIdentity(&encoded),
                Route::AdminHook(_) => Route::AdminHook(&encoded),
                Route::AdminHookSecret(_) => Route::AdminHookSecret(&encoded),
                Route::AdminHookDeliveries(_) => Route::AdminHookDeliveries(&encoded),
                Route::AdminInlineHook(_) => Route::AdminInlineHook(&encoded),
                Route::AdminConnection(_) => Route::AdminConnection(&encoded),
                other => other,
            };
            assert_eq!(Route::parse(&path), Some(expected), "{path}");
        }
    }
}
