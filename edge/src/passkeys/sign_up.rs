//! Passkey-only sign-up in a first-party flow: W3C WebAuthn Level 3 §7.1 "Registering a
//! New Credential", around the checks in [`crate::webauthn::registration`].
//!
//! The account and its first passkey are created together or not at all. An address that
//! already has an account is refused with the same answer password sign-up gives.

use portcullis_shared::api::PasskeySignUp;
use webauthn_rs_proto::{
    AttestationConveyancePreference, AuthenticatorSelectionCriteria, CreationChallengeResponse,
    PublicKeyCredentialCreationOptions, PublicKeyCredentialDescriptor, RegisterPublicKeyCredential,
    ResidentKeyRequirement, UserVerificationPolicy,
};

use super::{issue_challenge, take_challenge, Pending};
use crate::accounts::{self, Attempt};
use crate::crypto::token::random_handle;
use crate::error::Error;
use crate::events::{self, types, EventSpec};
use crate::ports::{Ports, StoreError, StoredCredential};
use crate::users::{normalize_email, User, UserStatus};
use crate::webauthn::registration::{self, AttestationResponse, PendingRegistration};
use crate::webauthn::{CeremonyError, CredentialRecord, RelyingParty};

/// Longest display name accepted, as for password sign-up.
const MAX_NAME_CHARS: usize = 200;

/// Who a new passkey is for, as `navigator.credentials.create()` shows it.
pub(crate) struct NewPasskeyFor<'a> {
    pub rp_id: &'a str,
    /// Shown by the authenticator as the site's name.
    pub rp_name: &'a str,
    pub user_id: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    /// Passkeys the account has already, which the authenticator must not duplicate.
    pub exclude: Vec<PublicKeyCredentialDescriptor>,
}

/// `navigator.credentials.create()` options: a discoverable credential with user
/// verification, ES256, no attestation.
pub(crate) fn creation_options(
    challenge: Vec<u8>,
    passkey: NewPasskeyFor<'_>,
) -> CreationChallengeResponse {
    CreationChallengeResponse {
        public_key: PublicKeyCredentialCreationOptions {
            rp: webauthn_rs_proto::RelyingParty {
                name: passkey.rp_name.to_string(),
                id: passkey.rp_id.to_string(),
            },
            user: webauthn_rs_proto::User {
                id: super::user_handle(passkey.user_id),
                name: passkey.email.to_string(),
                display_name: passkey.display_name.to_string(),
            },
            challenge,
            pub_key_cred_params: super::credential_parameters(),
            timeout: Some(super::sign_in::timeout_millis()),
            exclude_credentials: Some(passkey.exclude),
            authenticator_selection: Some(AuthenticatorSelectionCriteria {
                authenticator_attachment: None,
                resident_key: Some(ResidentKeyRequirement::Required),
                require_resident_key: true,
                user_verification: UserVerificationPolicy::Required,
            }),
            hints: None,
            attestation: Some(AttestationConveyancePreference::None),
            attestation_formats: None,
            extensions: None,
        },
    }
}

/// Creation options for a new account with `request.email`, in the flow `flow_id`.
pub async fn options(
    ports: &Ports<'_>,
    rp_id: &str,
    rp_name: &str,
    flow_id: &str,
    request: &PasskeySignUp,
) -> Result<CreationChallengeResponse, Error> {
    let email = normalize_email(&request.email).map_err(|_| Error::InvalidField("email"))?;
    let name = request
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > MAX_NAME_CHARS || n.chars().any(char::is_control)) {
        return Err(Error::InvalidField("name"));
    }
    let user_id = random_handle(ports.random).map_err(|_| Error::RandomUnavailable)?;
    let pending = Pending::SignUp {
        flow_id: flow_id.to_string(),
        user_id: user_id.clone(),
        email: email.clone(),
        name: name.map(str::to_string),
    };
    let challenge = issue_challenge(ports, &pending).await?;
    Ok(creation_options(
        challenge,
        NewPasskeyFor {
            rp_id,
            rp_name,
            user_id: &user_id,
            email: &email,
            display_name: name.unwrap_or(&email),
            exclude: Vec::new(),
        },
    ))
}

/// The address a passkey sign-up credential was created for, read from its challenge
/// without using it.
pub async fn email_of(
    ports: &Ports<'_>,
    credential: &RegisterPublicKeyCredential,
) -> Option<String> {
    match super::peek_challenge(ports, &credential.response.client_data_json).await? {
        Pending::SignUp { email, .. } => Some(email),
        _ => None,
    }
}

/// Verifies a new credential (the browser's `PublicKeyCredential.toJSON()`) against the
/// challenge it answers; returns the verified record and the challenge's binding.
pub(crate) async fn verify_new_credential(
    ports: &Ports<'_>,
    rp: &RelyingParty,
    credential: &RegisterPublicKeyCredential,
) -> Result<(CredentialRecord, Pending), Error> {
    let response = &credential.response;
    let (challenge, pending) = take_challenge(ports, &response.client_data_json).await?;
    // Step 26 needs storage, so look it up before the synchronous checks.
    let registered = ports.credentials.find(&credential.raw_id).await?.is_some();
    let record = registration::verify(
        rp,
        &PendingRegistration {
            challenge,
            user_verification_required: true,
        },
        &AttestationResponse {
            client_data_json: &response.client_data_json,
            attestation_object: &response.attestation_object,
        },
        |_| registered,
    )?;
    // The credential the browser names is the one the authenticator attested.
    if record.id != credential.raw_id
        || super::decode_credential_id(&credential.id).as_deref() != Some(record.id.as_slice())
    {
        return Err(CeremonyError::MalformedAttestation.into());
    }
    Ok((record, pending))
}

/// Creates the account and its passkey for the flow `flow_id`.
pub async fn verify(
    ports: &Ports<'_>,
    attempt: &Attempt<'_>,
    rp: &RelyingParty,
    flow_id: &str,
    credential: &RegisterPublicKeyCredential,
) -> Result<User, Error> {
    let (record, pending) = verify_new_credential(ports, rp, credential).await?;
    let Pending::SignUp {
        flow_id: issued_for,
        user_id,
        email,
        name,
    } = pending
    else {
        return Err(CeremonyError::MismatchedChallenge.into());
    };
    if issued_for != flow_id {
        return Err(CeremonyError::MismatchedChallenge.into());
    }
    let additions =
        accounts::screen(ports, attempt.context, attempt.client_id, &email, "passkey").await?;
    let now = ports.clock.now();
    let user = User {
        profile: Default::default(),
        id: user_id,
        email,
        email_verified: false,
        name: name.or(additions.name),
        given_name: additions.given_name,
        family_name: additions.family_name,
        external_id: None,
        password_hash: None,
        status: UserStatus::Active,
        created_at: now,
        updated_at: now,
        last_login_at: Some(now),
        tokens_valid_after: None,
    };
    let stored = StoredCredential {
        user_id: user.id.clone(),
        record,
        transports: super::transport_names(credential.response.transports.as_deref()),
        name: super::default_name(&[]),
        created_at: now,
        last_used_at: Some(now),
    };
    match ports.credentials.create_with_user(&user, &stored).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            let event = accounts::registration_event(
                Some("email already registered (passkey sign-up)"),
                None,
                &user.email,
                attempt.client_id,
            );
            events::record(ports, attempt.context, event).await;
            return Err(Error::SignUpRefused);
        }
        Err(err) => return Err(err.into()),
    }
    let event = crate::events::EventSpec {
        actor_name: user.name.as_deref(),
        ..accounts::registration_event(None, Some(&user.id), &user.email, attempt.client_id)
    };
    events::record(ports, attempt.context, event).await;
    events::record(
        ports,
        attempt.context,
        factor_event(types::FACTOR_ACTIVATE, &user, attempt.client_id),
    )
    .await;
    Ok(user)
}

/// `user.mfa.factor.*` for a passkey of `user`.
pub(crate) fn factor_event<'a>(
    event_type: &'static str,
    user: &'a User,
    client_id: &'a str,
) -> EventSpec<'a> {
    let display_message = match event_type {
        types::FACTOR_ACTIVATE => "User set up a passkey",
        types::FACTOR_DEACTIVATE => "User removed a passkey",
        _ => "User renamed a passkey",
    };
    EventSpec::user_success(event_type, display_message, user, client_id)
}
