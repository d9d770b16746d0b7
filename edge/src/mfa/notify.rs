//! Every change to an account's second factors is logged (`user.mfa.factor.*`) and told
//! to the owner by email: whoever made it, the owner hears of it.

use crate::clients::Client;
use crate::email::{deliver, templates};
use crate::events::{self, types, EventSpec, RequestContext};
use crate::ports::Ports;
use crate::users::User;

async fn log(
    ports: &Ports<'_>,
    context: &RequestContext,
    event_type: &'static str,
    display_message: &'static str,
    user: &User,
    client: &Client,
) {
    let spec = EventSpec::user_success(event_type, display_message, user, &client.id);
    events::record(ports, context, spec).await;
}

/// An authenticator app was enrolled.
pub async fn app_added(ports: &Ports<'_>, context: &RequestContext, client: &Client, user: &User) {
    log(
        ports,
        context,
        types::FACTOR_ACTIVATE,
        "User set up an authenticator app",
        user,
        client,
    )
    .await;
    let words = context.words();
    let method = templates::SignInMethod::AuthenticatorApp;
    let mail = templates::method_added(&user.email, client, &words, method);
    deliver(ports, context, &client.id, &mail).await;
}

/// An authenticator app was removed.
pub async fn app_removed(
    ports: &Ports<'_>,
    context: &RequestContext,
    client: &Client,
    user: &User,
) {
    log(
        ports,
        context,
        types::FACTOR_DEACTIVATE,
        "User removed an authenticator app",
        user,
        client,
    )
    .await;
    let mail = templates::app_removed(&user.email, client, &context.words());
    deliver(ports, context, &client.id, &mail).await;
}

/// A recovery code was spent signing in.
pub async fn recovery_code_used(
    ports: &Ports<'_>,
    context: &RequestContext,
    client: &Client,
    user: &User,
) {
    let mail = templates::recovery_code_used(&user.email, client, &context.words());
    deliver(ports, context, &client.id, &mail).await;
}

/// New recovery codes replaced the old.
pub async fn recovery_codes_renewed(
    ports: &Ports<'_>,
    context: &RequestContext,
    client: &Client,
    user: &User,
) {
    log(
        ports,
        context,
        types::FACTOR_UPDATE,
        "User made new recovery codes",
        user,
        client,
    )
    .await;
    let mail = templates::recovery_codes_renewed(&user.email, client, &context.words());
    deliver(ports, context, &client.id, &mail).await;
}
