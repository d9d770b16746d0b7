//! Adaptive sign-on: how risky a sign-in looks, and whether the client wants a second
//! factor for it.
//!
//! [`evaluate`] gathers what the edge has for free — the request's signals
//! ([`crate::signals`], from Cloudflare's `request.cf`), the account's last sign-in
//! place, whether the browser is a [remembered device](device), and the failures the
//! sign-in limits counted ([`crate::throttle`]) — and [`assessment::assess`] turns them
//! into a level with reasons. Every evaluation is written to the System Log as
//! `policy.evaluate_sign_on` with the level, the reasons and the decision; a high level
//! also as `security.threat.detected`.
//!
//! [`requires_mfa`] is the decision: the client's [`AdaptiveMfa`] setting applied to the
//! assessment. [`signed_in`] records where a finished sign-in came from and remembers the
//! browser, for the next assessment.

pub mod assessment;
pub mod device;

pub use assessment::{assess, Assessment, Failures, Level, Reason, SignOn};

use crate::clients::AdaptiveMfa;
use crate::error::Error;
use crate::events::{self, types, EventSpec, RequestContext};
use crate::ports::Ports;
use crate::signals::Place;
use crate::users::User;

/// Whether a sign-in with this assessment must be challenged for a second factor.
pub fn requires_mfa(policy: AdaptiveMfa, assessment: &Assessment) -> bool {
    match policy {
        AdaptiveMfa::Never => false,
        AdaptiveMfa::HighRisk => assessment.level == Level::High,
        AdaptiveMfa::Always => true,
    }
}

/// One evaluated sign-in: the assessment and the client's decision on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub assessment: Assessment,
    pub challenge: bool,
}

/// Assesses the sign-in of `user` to `client_id` (after a first factor), decides with
/// `policy`, and writes both to the System Log. `already_two_factors`: the sign-in
/// already proved a second factor (a passkey with user verification, an emailed code),
/// so there is nothing more to ask for.
pub async fn evaluate(
    ports: &Ports<'_>,
    context: &RequestContext,
    user: &User,
    client_id: &str,
    policy: AdaptiveMfa,
    failures: Failures,
    already_two_factors: bool,
) -> Result<Evaluation, Error> {
    let sign_on = SignOn {
        signals: ports.signals.signals(),
        now: ports.clock.now(),
        last: ports.risk.last_place(&user.id).await?,
        // The hosted page's cookie, or the token of a device remembered after a second
        // factor (the embedded widget's, which no cookie reaches).
        known_device: device::is_known(ports, context.device.as_deref(), &user.id).await?
            || crate::mfa::remembered::is_known(ports, context, &user.id, client_id).await?,
        failures,
    };
    let assessment = assess(&sign_on);
    let challenge = !already_two_factors && requires_mfa(policy, &assessment);
    let decision = if challenge { "challenge" } else { "allow" };
    let summary = format!("risk {}; {decision}", assessment.summary());
    events::record(
        ports,
        context,
        EventSpec {
            event_type: types::EVALUATE_SIGN_ON,
            display_message: "Evaluation of sign-on policy",
            success: true,
            reason: Some(&summary),
            ..EventSpec::user_success(types::EVALUATE_SIGN_ON, "", user, client_id)
        },
    )
    .await;
    if assessment.level == Level::High {
        events::record(
            ports,
            context,
            EventSpec {
                event_type: types::THREAT_DETECTED,
                display_message: "Security threat detected",
                success: false,
                reason: Some(&summary),
                ..EventSpec::user_success(types::THREAT_DETECTED, "", user, client_id)
            },
        )
        .await;
    }
    Ok(Evaluation {
        assessment,
        challenge,
    })
}

/// Records where the finished sign-in of `user_id` came from and remembers the browser;
/// returns the device handle to set in its cookie. Best effort: a store that fails costs
/// the next assessment its history, never this sign-in (`None`, and the operators' log).
pub async fn signed_in(
    ports: &Ports<'_>,
    context: &RequestContext,
    user_id: &str,
) -> Option<String> {
    let signals = ports.signals.signals();
    let place = Place {
        country: signals.country,
        coordinates: signals.coordinates,
        at: ports.clock.now(),
    };
    if let Err(err) = ports.risk.record_place(user_id, &place).await {
        ports.diagnostics.log(&format!(
            "risk: could not record the sign-in place: {err:?}"
        ));
    }
    match device::remember(ports, context.device.as_deref(), user_id).await {
        Ok(handle) => Some(handle),
        Err(err) => {
            ports
                .diagnostics
                .log(&format!("risk: could not remember the device: {err:?}"));
            None
        }
    }
}

#[cfg(test)]
mod tests;
