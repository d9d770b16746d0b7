//! Every string a person sees or hears, from the visitor's message catalogue.
//!
//! Catalogues are JSON files in `widget/locales/`, one per language, named by BCP 47
//! tag: each maps a message key (`"identify.email"`) to its text. Arguments appear as
//! `{name}`; a message that counts something is an object of CLDR plural categories
//! (`"one"`, `"few"`, `"other"`, …), chosen with the browser's `Intl.PluralRules`.
//! English is built into the widget and fills in any message a catalogue lacks; the
//! loader fetches the visitor's own catalogue and hands it to [`Text::load`], so a
//! visitor downloads one language.
//!
//! The keys below are the whole vocabulary: a test checks that every catalogue has
//! exactly these messages with the same arguments.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::api::Failure;
use crate::read::{self, Message};
use crate::webauthn::Ceremony;
use portcullis_shared::api::{PasswordProblem, PasswordRejected};
use portcullis_shared::messages;

/// Names one message in the catalogues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key(pub &'static str);

/// The English catalogue, built in.
const ENGLISH_JSON: &str = include_str!("../locales/en.json");

/// One language's messages.
struct Catalogue {
    lang: String,
    messages: HashMap<String, Message>,
}

fn english() -> &'static Catalogue {
    static ENGLISH: OnceLock<Catalogue> = OnceLock::new();
    ENGLISH.get_or_init(|| Catalogue {
        lang: "en".into(),
        // A native test parses en.json: an empty map here would only mean keys as text.
        messages: read::parse(ENGLISH_JSON)
            .and_then(|json| read::catalogue(&json))
            .unwrap_or_default(),
    })
}

/// The widget's words in one language. Cheap to copy; every string it returns lives as
/// long as the page.
#[derive(Clone, Copy)]
pub struct Text(&'static Catalogue);

impl Text {
    pub fn english() -> Text {
        Text(english())
    }

    /// The catalogue the loader fetched for `lang`. It lives as long as the page: a
    /// page mounts a widget a handful of times at most, and every message the widget
    /// shows can then be a plain `&'static str`.
    pub fn load(lang: &str, json: &str) -> Option<Text> {
        let messages = read::catalogue(&read::parse(json)?)?;
        let catalogue = Catalogue {
            lang: lang.to_string(),
            messages,
        };
        Some(Text(Box::leak(Box::new(catalogue))))
    }

    /// The BCP 47 tag of this language, for dates and plural rules.
    pub fn lang(self) -> &'static str {
        &self.0.lang
    }

    /// The message for `key`, in this language or else in English.
    fn message(self, key: Key) -> Option<&'static Message> {
        self.0
            .messages
            .get(key.0)
            .or_else(|| english().messages.get(key.0))
    }

    /// A message without arguments (a counting message's "other" form).
    pub fn get(self, key: Key) -> &'static str {
        self.form(key, "other")
    }

    fn form(self, key: Key, category: &str) -> &'static str {
        let text = match self.message(key) {
            Some(Message::Text(text)) => Some(text.as_str()),
            Some(Message::Plural(forms)) => forms
                .get(category)
                .or_else(|| forms.get("other"))
                .map(String::as_str),
            None => None,
        };
        text.unwrap_or(key.0)
    }

    /// A message with its `{name}` arguments filled in.
    pub fn format(self, key: Key, args: &[(&str, &str)]) -> String {
        messages::fill(self.get(key), args)
    }

    /// A counting message: the plural form for `n` in this language, filled in.
    pub fn count(self, key: Key, n: u64, args: &[(&str, &str)]) -> String {
        messages::fill(self.form(key, &plural_category(self.lang(), n)), args)
    }
}

/// The CLDR plural category of `n` in `lang`, from the browser.
#[cfg(target_arch = "wasm32")]
fn plural_category(lang: &str, n: u64) -> String {
    let locales = js_sys::Array::of1(&lang.into());
    let rules = js_sys::Intl::PluralRules::new(&locales, &js_sys::Object::new());
    // Counts here are small (digits, minutes, characters): exact as f64.
    rules.select(n as f64).into()
}

/// Native builds (tests) have no `Intl`: English rules.
#[cfg(not(target_arch = "wasm32"))]
fn plural_category(_lang: &str, n: u64) -> String {
    if n == 1 { "one" } else { "other" }.into()
}

pub mod card {
    use super::{Key, Text};

    pub const LOADING: Key = Key("card.loading");
    pub const SIGN_IN_TITLE: Key = Key("card.sign-in-title");
    pub const SIGN_UP_TITLE: Key = Key("card.sign-up-title");
    pub const SIGNED_IN_TITLE: Key = Key("card.signed-in-title");
    pub const VERIFY_TITLE: Key = Key("card.verify-title");
    pub const FORGOT_TITLE: Key = Key("card.forgot-title");
    pub const FIND_ACCOUNT_TITLE: Key = Key("card.find-account-title");
    pub const CHECK_EMAIL_TITLE: Key = Key("card.check-email-title");
    pub const RESET_TITLE: Key = Key("card.reset-title");
    pub const RESET_DONE_TITLE: Key = Key("card.reset-done-title");

    pub fn sign_in_title(text: Text, client: &str) -> String {
        text.format(SIGN_IN_TITLE, &[("client", client)])
    }

    pub fn sign_up_title(text: Text, client: &str) -> String {
        text.format(SIGN_UP_TITLE, &[("client", client)])
    }

    pub fn signed_in_title(text: Text, client: &str) -> String {
        text.format(SIGNED_IN_TITLE, &[("client", client)])
    }
}

pub mod field {
    use super::Key;

    pub const SHOW_PASSWORD: Key = Key("field.show-password");
    pub const SHOW_PASSWORD_REST: Key = Key("field.show-password-rest");
}

pub mod identify {
    use super::Key;

    pub const EMAIL: Key = Key("identify.email");
    pub const SUBMIT: Key = Key("identify.submit");
    pub const BUSY: Key = Key("identify.busy");
    pub const EMAIL_INVALID: Key = Key("identify.email-invalid");
    pub const NEW_HERE: Key = Key("identify.new-here");
    pub const CREATE_ACCOUNT: Key = Key("identify.create-account");
}

pub mod password {
    use super::Key;

    pub const PASSWORD: Key = Key("password.password");
    pub const SUBMIT: Key = Key("password.submit");
    pub const BUSY: Key = Key("password.busy");
    pub const PASSWORD_MISSING: Key = Key("password.password-missing");
    pub const OTHER_ACCOUNT: Key = Key("password.other-account");
    pub const FORGOT: Key = Key("password.forgot");
}

pub mod profile {
    use super::Key;

    pub const TITLE: Key = Key("profile.title");
    pub const LEAD: Key = Key("profile.lead");
    pub const OPTIONAL: Key = Key("profile.optional");
    pub const SUBMIT: Key = Key("profile.submit");
    pub const BUSY: Key = Key("profile.busy");
    pub const SKIP: Key = Key("profile.skip");
    pub const CHECK: Key = Key("profile.check");
    pub const AGREE: Key = Key("profile.agree");
    pub const READ: Key = Key("profile.read");
    pub const DOC_TERMS: Key = Key("profile.doc-terms");
    pub const DOC_PRIVACY: Key = Key("profile.doc-privacy");
    pub const GIVEN_NAME: Key = Key("profile.given-name");
    pub const FAMILY_NAME: Key = Key("profile.family-name");
    pub const NAME: Key = Key("profile.name");
    pub const BIRTHDATE: Key = Key("profile.birthdate");
    pub const PHONE_NUMBER: Key = Key("profile.phone-number");
    pub const LOCALE: Key = Key("profile.locale");
    pub const ZONEINFO: Key = Key("profile.zoneinfo");
    pub const COUNTRY: Key = Key("profile.country");
    pub const SMS_UPDATES: Key = Key("profile.sms-updates");
}

pub mod email {
    use super::{Key, Text};

    pub const SEND: Key = Key("email.send");
    pub const SENDING: Key = Key("email.sending");
    pub const CODE: Key = Key("email.code");
    pub const SUBMIT: Key = Key("email.submit");
    pub const BUSY: Key = Key("email.busy");
    pub const RESEND: Key = Key("email.resend");
    pub const OTHER_WAY: Key = Key("email.other-way");
    pub const OTHER_ACCOUNT: Key = Key("email.other-account");
    pub const SENT_TO: Key = Key("email.sent-to");
    pub const SENT: Key = Key("email.sent");
    pub const CREDENTIALS_REMOVED: Key = Key("email.credentials-removed");
    pub const VERIFY_INTRO: Key = Key("email.verify-intro");
    pub const CODE_MISSING: Key = Key("email.code-missing");

    /// What the code screen says first; never whether the address has an account.
    pub fn sent(text: Text, email: Option<&str>, code_length: u8) -> String {
        let digits = code_length.to_string();
        match email {
            Some(email) => text.count(
                SENT_TO,
                code_length.into(),
                &[("email", email), ("digits", &digits)],
            ),
            None => text.count(SENT, code_length.into(), &[("digits", &digits)]),
        }
    }

    /// Verification: the address must be confirmed before signing in.
    pub fn verify(text: Text, email: Option<&str>, code_length: u8) -> String {
        format!(
            "{} {}",
            text.get(VERIFY_INTRO),
            sent(text, email, code_length)
        )
    }

    pub fn code_missing(text: Text, code_length: u8) -> String {
        let digits = code_length.to_string();
        text.count(CODE_MISSING, code_length.into(), &[("digits", &digits)])
    }
}

pub mod mfa {
    use super::Key;

    pub const TOTP_INTRO: Key = Key("mfa.totp-intro");
    pub const TOTP_MISSING: Key = Key("mfa.totp-missing");
    pub const USE_RECOVERY: Key = Key("mfa.use-recovery");
    pub const RECOVERY_INTRO: Key = Key("mfa.recovery-intro");
    pub const RECOVERY_CODE: Key = Key("mfa.recovery-code");
    pub const RECOVERY_MISSING: Key = Key("mfa.recovery-missing");
    pub const USE_APP: Key = Key("mfa.use-app");
    pub const ENROL_INTRO: Key = Key("mfa.enrol-intro");
    pub const PREPARING: Key = Key("mfa.preparing");
    pub const QR: Key = Key("mfa.qr");
    pub const MANUAL_KEY: Key = Key("mfa.manual-key");
    pub const CODES_INTRO: Key = Key("mfa.codes-intro");
    pub const COPY: Key = Key("mfa.copy");
    pub const COPIED: Key = Key("mfa.copied");
    pub const DOWNLOAD: Key = Key("mfa.download");
    pub const CODES_DONE: Key = Key("mfa.codes-done");
    pub const KEY_INTRO: Key = Key("mfa.key-intro");
    pub const USE_KEY: Key = Key("mfa.use-key");
    pub const KEY_BUSY: Key = Key("mfa.key-busy");
    pub const REMEMBER: Key = Key("mfa.remember");
    pub const USE_EMAIL: Key = Key("mfa.use-email");
}

pub mod forgot {
    use super::{Key, Text};

    pub const EMAIL: Key = Key("forgot.email");
    pub const RESET_TEXT: Key = Key("forgot.reset-text");
    pub const RESET_SUBMIT: Key = Key("forgot.reset-submit");
    pub const ACCOUNT_TEXT: Key = Key("forgot.account-text");
    pub const ACCOUNT_SUBMIT: Key = Key("forgot.account-submit");
    pub const BUSY: Key = Key("forgot.busy");
    pub const FORGOT_EMAIL: Key = Key("forgot.forgot-email");
    pub const BACK: Key = Key("forgot.back");
    pub const CHECK_EMAIL: Key = Key("forgot.check-email");
    pub const LINK_WORKS: Key = Key("forgot.link-works");
    pub const REMINDER_WORKS: Key = Key("forgot.reminder-works");

    /// The same words for every address: an address without an account gets an email
    /// too, saying so.
    pub fn check_email(text: Text, email: &str) -> String {
        text.format(CHECK_EMAIL, &[("email", email)])
    }

    pub fn link_works(text: Text, minutes: u64) -> String {
        text.count(LINK_WORKS, minutes, &[("minutes", &minutes.to_string())])
    }
}

pub mod reset {
    use super::Key;

    pub const PASSWORD: Key = Key("reset.password");
    pub const SUBMIT: Key = Key("reset.submit");
    pub const BUSY: Key = Key("reset.busy");
    pub const DONE: Key = Key("reset.done");
    pub const SIGN_IN: Key = Key("reset.sign-in");
    pub const NEW_LINK: Key = Key("reset.new-link");
}

pub mod passkey {
    use super::Key;

    pub const SIGN_IN: Key = Key("passkey.sign-in");
    pub const USE_INSTEAD: Key = Key("passkey.use-instead");
    pub const BUSY: Key = Key("passkey.busy");
    pub const OR: Key = Key("passkey.or");
}

/// Sign-in providers (federation connections).
pub mod provider {
    use super::{Key, Text};

    pub const CONTINUE: Key = Key("provider.continue");

    /// "Continue with {provider}".
    pub fn continue_with(text: Text, provider: &str) -> String {
        text.format(CONTINUE, &[("provider", provider)])
    }
}

pub mod sign_up {
    use super::Key;

    pub const EMAIL: Key = Key("sign-up.email");
    pub const NAME: Key = Key("sign-up.name");
    pub const PASSWORD: Key = Key("sign-up.password");
    pub const PASSWORD_HINT: Key = Key("sign-up.password-hint");
    pub const PASSWORD_MISSING: Key = Key("sign-up.password-missing");
    pub const SUBMIT: Key = Key("sign-up.submit");
    pub const BUSY: Key = Key("sign-up.busy");
    pub const HAVE_ACCOUNT: Key = Key("sign-up.have-account");
    pub const SIGN_IN: Key = Key("sign-up.sign-in");
    pub const WITH_PASSKEY: Key = Key("sign-up.with-passkey");
    pub const WITH_PASSWORD: Key = Key("sign-up.with-password");
    pub const PASSKEY_HINT: Key = Key("sign-up.passkey-hint");
    pub const PASSKEY_SUBMIT: Key = Key("sign-up.passkey-submit");
    pub const PASSKEY_REFUSED: Key = Key("sign-up.passkey-refused");
    pub const HUMAN_CHECK: Key = Key("sign-up.human-check");
}

pub mod signed_in {
    use super::{Key, Text};

    pub const AS: Key = Key("signed-in.as");
    pub const SIGNED_IN: Key = Key("signed-in.signed-in");
    pub const SIGN_OUT: Key = Key("signed-in.sign-out");
    pub const REDIRECTING: Key = Key("signed-in.redirecting");

    pub fn signed_in_as(text: Text, name: &str) -> String {
        text.format(AS, &[("name", name)])
    }
}

pub mod passkeys {
    use super::{Key, Text};

    pub const OFFER_TITLE: Key = Key("passkeys.offer-title");
    pub const OFFER_TEXT: Key = Key("passkeys.offer-text");
    pub const ADD: Key = Key("passkeys.add");
    pub const ADD_BUSY: Key = Key("passkeys.add-busy");
    pub const NOT_NOW: Key = Key("passkeys.not-now");
    pub const TITLE: Key = Key("passkeys.title");
    pub const LOADING: Key = Key("passkeys.loading");
    pub const NONE: Key = Key("passkeys.none");
    pub const RENAME: Key = Key("passkeys.rename");
    pub const DELETE: Key = Key("passkeys.delete");
    pub const NAME: Key = Key("passkeys.name");
    pub const NAME_MISSING: Key = Key("passkeys.name-missing");
    pub const SAVE: Key = Key("passkeys.save");
    pub const CANCEL: Key = Key("passkeys.cancel");
    pub const SYNCED: Key = Key("passkeys.synced");
    pub const SEPARATOR: Key = Key("passkeys.separator");
    pub const ADDED: Key = Key("passkeys.added");
    pub const RENAMED: Key = Key("passkeys.renamed");
    pub const DELETED: Key = Key("passkeys.deleted");
    pub const CREATED: Key = Key("passkeys.created");
    pub const LAST_USED: Key = Key("passkeys.last-used");

    pub fn created(text: Text, date: &str) -> String {
        text.format(CREATED, &[("date", date)])
    }

    pub fn last_used(text: Text, date: &str) -> String {
        text.format(LAST_USED, &[("date", date)])
    }
}

pub mod factors {
    use super::{Key, Text};

    pub const TITLE: Key = Key("factors.title");
    pub const NONE: Key = Key("factors.none");
    pub const APP: Key = Key("factors.app");
    pub const CODES_LEFT: Key = Key("factors.codes-left");
    pub const ADD: Key = Key("factors.add");
    pub const NEW_CODES: Key = Key("factors.new-codes");
    pub const ENROL_INTRO: Key = Key("factors.enrol-intro");
    pub const CODES_REPLACED: Key = Key("factors.codes-replaced");
    pub const ADDED: Key = Key("factors.added");
    pub const REMOVED: Key = Key("factors.removed");
    pub const DEVICES: Key = Key("factors.devices");
    pub const FORGET: Key = Key("factors.forget");
    pub const FORGOTTEN: Key = Key("factors.forgotten");

    pub fn codes_left(text: Text, count: u32) -> String {
        text.format(CODES_LEFT, &[("count", &count.to_string())])
    }
}

pub mod identities {
    use super::Key;

    pub const TITLE: Key = Key("identities.title");
    pub const UNLINK: Key = Key("identities.unlink");
    pub const UNLINKED: Key = Key("identities.unlinked");
}

pub mod account {
    use super::{Key, Text};

    pub const PROFILE: Key = Key("account.profile");
    pub const SAVE: Key = Key("account.save");
    pub const SAVING: Key = Key("account.saving");
    pub const SAVED: Key = Key("account.saved");
    pub const EMAIL: Key = Key("account.email");
    pub const NEW_EMAIL: Key = Key("account.new-email");
    pub const SEND_CODE: Key = Key("account.send-code");
    pub const CODE_SENT: Key = Key("account.code-sent");
    pub const CONFIRM: Key = Key("account.confirm");
    pub const EMAIL_CHANGED: Key = Key("account.email-changed");
    pub const SESSIONS: Key = Key("account.sessions");
    pub const THIS_DEVICE: Key = Key("account.this-device");
    pub const END: Key = Key("account.end");
    pub const END_OTHERS: Key = Key("account.end-others");
    pub const ENDED: Key = Key("account.ended");
    pub const APPS: Key = Key("account.apps");
    pub const REVOKE: Key = Key("account.revoke");
    pub const REVOKED: Key = Key("account.revoked");
    pub const CONSENTS: Key = Key("account.consents");
    pub const WITHDRAW: Key = Key("account.withdraw");
    pub const WITHDRAWN: Key = Key("account.withdrawn");
    pub const DATA: Key = Key("account.data");
    pub const EXPORT: Key = Key("account.export");
    pub const DELETE: Key = Key("account.delete");
    pub const DELETE_TEXT: Key = Key("account.delete-text");
    pub const DELETING: Key = Key("account.deleting");
    pub const PASSWORD: Key = Key("account.password");
    pub const NEW_PASSWORD: Key = Key("account.new-password");
    pub const SET_PASSWORD: Key = Key("account.set-password");
    pub const PASSWORD_CHANGED: Key = Key("account.password-changed");

    pub fn deleting(text: Text, date: &str) -> String {
        text.format(DELETING, &[("date", date)])
    }
}

pub mod announce {
    use super::Key;

    pub const IDENTIFY: Key = Key("announce.identify");
    pub const PASSWORD: Key = Key("announce.password");
    pub const SIGN_UP: Key = Key("announce.sign-up");
    pub const SIGNED_IN: Key = Key("announce.signed-in");
    pub const SIGNED_OUT: Key = Key("announce.signed-out");
    pub const PASSKEY: Key = Key("announce.passkey");
    pub const EMAIL_CODE: Key = Key("announce.email-code");
    pub const CODE_SENT: Key = Key("announce.code-sent");
    pub const VERIFY: Key = Key("announce.verify");
    pub const FORGOT: Key = Key("announce.forgot");
    pub const FIND_ACCOUNT: Key = Key("announce.find-account");
    pub const CHECK_EMAIL: Key = Key("announce.check-email");
    pub const RESET_DONE: Key = Key("announce.reset-done");
    pub const SECOND_FACTOR: Key = Key("announce.second-factor");
    pub const RECOVERY_CODE: Key = Key("announce.recovery-code");
    pub const ENROL: Key = Key("announce.enrol");
    pub const RECOVERY_CODES: Key = Key("announce.recovery-codes");
}

pub mod failure {
    use super::{Key, Text};

    pub const INVALID_CREDENTIALS: Key = Key("failure.invalid-credentials");
    pub const EXPIRED: Key = Key("failure.expired");
    pub const TOO_MANY_ATTEMPTS: Key = Key("failure.too-many-attempts");
    pub const NETWORK: Key = Key("failure.network");
    pub const GRANT: Key = Key("failure.grant");
    pub const UNSUPPORTED_STEP: Key = Key("failure.unsupported-step");
    pub const TOO_SHORT: Key = Key("failure.too-short");
    pub const TOO_LONG: Key = Key("failure.too-long");
    pub const COMMON: Key = Key("failure.common");
    pub const CONTEXT_SPECIFIC: Key = Key("failure.context-specific");
    pub const PASSKEY_CANCELLED: Key = Key("failure.passkey-cancelled");
    pub const PASSKEY_ALREADY_REGISTERED: Key = Key("failure.passkey-already-registered");
    pub const PASSKEY_UNSUPPORTED: Key = Key("failure.passkey-unsupported");
    pub const UNKNOWN_PASSKEY: Key = Key("failure.unknown-passkey");
    pub const PASSKEY_REJECTED: Key = Key("failure.passkey-rejected");
    pub const UNAUTHORIZED: Key = Key("failure.unauthorized");
    pub const REAUTHENTICATE: Key = Key("failure.reauthenticate");
    pub const MFA_REQUIRED: Key = Key("failure.mfa-required");
    pub const LAST_FACTOR: Key = Key("failure.last-factor");
    pub const FACTOR_NOT_FOUND: Key = Key("failure.factor-not-found");
    pub const HUMAN_CHECK: Key = Key("failure.human-check");
    pub const PASSKEY_NOT_FOUND: Key = Key("failure.passkey-not-found");
    pub const LAST_SIGN_IN_METHOD: Key = Key("failure.last-sign-in-method");
    pub const CODE_INVALID: Key = Key("failure.code-invalid");
    pub const CODE_EXPIRED: Key = Key("failure.code-expired");
    pub const LINK_EXPIRED: Key = Key("failure.link-expired");
    pub const FACTOR_CODE: Key = Key("failure.factor-code");
    pub const ORIGIN_NOT_ALLOWED: Key = Key("failure.origin-not-allowed");
    pub const UNKNOWN_CLIENT: Key = Key("failure.unknown-client");
    pub const REGISTRATION_DENIED: Key = Key("failure.registration-denied");
    pub const PROVIDER_CANCELLED: Key = Key("failure.provider-cancelled");
    pub const PROVIDER_FAILED: Key = Key("failure.provider-failed");
    pub const LINK_PROOF: Key = Key("failure.link-proof");
    pub const GENERIC: Key = Key("failure.generic");

    pub fn too_short(text: Text, min_length: usize) -> String {
        text.count(
            TOO_SHORT,
            min_length as u64,
            &[("min", &min_length.to_string())],
        )
    }
}

/// The message for a failed request.
pub fn failure_message(text: Text, failure: &Failure) -> String {
    let key = match failure {
        Failure::PasswordRejected(rejected) => return password_rejected(text, rejected),
        Failure::InvalidCredentials => failure::INVALID_CREDENTIALS,
        Failure::TooManyAttempts => failure::TOO_MANY_ATTEMPTS,
        Failure::FlowExpired => failure::EXPIRED,
        Failure::Grant(_) => failure::GRANT,
        Failure::Network => failure::NETWORK,
        Failure::UnsupportedStep => failure::UNSUPPORTED_STEP,
        Failure::Passkey(ceremony) => match ceremony {
            // Aborted is the widget's own doing and is not shown; the words fit anyway.
            Ceremony::Cancelled | Ceremony::Aborted => failure::PASSKEY_CANCELLED,
            Ceremony::AlreadyRegistered => failure::PASSKEY_ALREADY_REGISTERED,
            Ceremony::Unsupported => failure::PASSKEY_UNSUPPORTED,
            Ceremony::Failed => failure::PASSKEY_REJECTED,
        },
        Failure::UnknownPasskey => failure::UNKNOWN_PASSKEY,
        Failure::PasskeyRejected(_) => failure::PASSKEY_REJECTED,
        Failure::Unauthorized => failure::UNAUTHORIZED,
        Failure::ReauthenticationRequired => failure::REAUTHENTICATE,
        Failure::MfaRequired => failure::MFA_REQUIRED,
        Failure::PasskeyNotFound => failure::PASSKEY_NOT_FOUND,
        Failure::LastSignInMethod => failure::LAST_SIGN_IN_METHOD,
        Failure::CodeInvalid => failure::CODE_INVALID,
        Failure::CodeExpired => failure::CODE_EXPIRED,
        Failure::LinkExpired => failure::LINK_EXPIRED,
        Failure::FactorCodeInvalid => failure::FACTOR_CODE,
        // The site's own words, in the person's language, when its hook gave any.
        Failure::RegistrationDenied(Some(message)) => return message.clone(),
        Failure::RegistrationDenied(None) => failure::REGISTRATION_DENIED,
        Failure::Provider(code) if code == "access_denied" => failure::PROVIDER_CANCELLED,
        Failure::Provider(_) => failure::PROVIDER_FAILED,
        Failure::LinkProofRequired => failure::LINK_PROOF,
        Failure::InvalidProfile(_) => profile::CHECK,
        // The edge's own message is English and for the site's developers: the console
        // has it (see app.rs); the person gets words in their language.
        Failure::Other { code, .. } => match code.as_str() {
            "origin_not_allowed" => failure::ORIGIN_NOT_ALLOWED,
            "unknown_client" => failure::UNKNOWN_CLIENT,
            "last_factor" => failure::LAST_FACTOR,
            "factor_not_found" => failure::FACTOR_NOT_FOUND,
            // The widget shows the check wherever the edge asks for one.
            "human_check_required" => sign_up::HUMAN_CHECK,
            "human_check_failed" => failure::HUMAN_CHECK,
            _ => failure::GENERIC,
        },
    };
    text.get(key).to_string()
}

fn password_rejected(text: Text, rejected: &PasswordRejected) -> String {
    let key = match rejected.problem {
        PasswordProblem::TooShort => return failure::too_short(text, rejected.min_length),
        PasswordProblem::TooLong => failure::TOO_LONG,
        PasswordProblem::Common => failure::COMMON,
        PasswordProblem::ContextSpecific => failure::CONTEXT_SPECIFIC,
    };
    text.get(key).to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn en() -> Text {
        Text::english()
    }

    #[test]
    fn invalid_credentials_never_names_the_wrong_field() {
        let message = failure_message(en(), &Failure::InvalidCredentials);
        assert_eq!(message, "That email and password don't match an account.");
    }

    #[test]
    fn every_password_problem_has_its_own_message() {
        let message = |problem| {
            failure_message(
                en(),
                &Failure::PasswordRejected(PasswordRejected {
                    problem,
                    min_length: 15,
                }),
            )
        };
        assert_eq!(
            message(PasswordProblem::TooShort),
            "That password is too short. Use at least 15 characters."
        );
        let all = [
            message(PasswordProblem::TooShort),
            message(PasswordProblem::TooLong),
            message(PasswordProblem::Common),
            message(PasswordProblem::ContextSpecific),
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn passkey_failures_say_what_the_person_can_do() {
        let message = |failure| failure_message(en(), &failure);
        let cancelled = message(Failure::Passkey(Ceremony::Cancelled));
        assert!(cancelled.contains("cancelled or timed out"));
        assert!(cancelled.contains("sign in another way"));
        assert!(message(Failure::Passkey(Ceremony::AlreadyRegistered))
            .starts_with("This device already has a passkey"));
        assert!(message(Failure::UnknownPasskey).contains("don't recognise"));
        // Which WebAuthn check failed is for logs: every code reads the same.
        assert_eq!(
            message(Failure::PasskeyRejected("webauthn_bad_signature".into())),
            message(Failure::PasskeyRejected("webauthn_rp_id_mismatch".into())),
        );
        assert!(message(Failure::LastSignInMethod).contains("only way to sign in"));
    }

    #[test]
    fn emailed_code_failures_say_what_to_do() {
        let text = en();
        assert!(failure_message(text, &Failure::CodeInvalid).contains("try again"));
        assert!(failure_message(text, &Failure::CodeExpired).contains("Send a new code"));
        assert!(
            failure_message(text, &Failure::LinkExpired).contains("expired or was already used")
        );
        assert!(email::sent(text, Some("ada@example.com"), 6).contains("6-digit code"));
        assert!(email::verify(text, None, 6).starts_with("To finish, confirm"));
        // One answer for every address: nothing says whether an account exists.
        assert_eq!(
            forgot::check_email(text, "a@b"),
            "We've sent an email to a@b."
        );
        assert!(forgot::link_works(text, 15).contains("works for 15 minutes"));
        assert!(forgot::link_works(text, 1).contains("works for 1 minute."));
    }

    #[test]
    fn edge_messages_stay_in_the_console() {
        let other = |code: &str| Failure::Other {
            code: code.into(),
            message: "This site's origin is not allowed.".into(),
        };
        let shown = failure_message(en(), &other("origin_not_allowed"));
        assert!(shown.starts_with("Sign-in isn't available on this website"));
        assert_eq!(
            failure_message(en(), &other("something_new")),
            en().get(failure::GENERIC)
        );
    }

    #[test]
    fn factor_failures_say_why_and_what_to_do() {
        let other = |code: &str| Failure::Other {
            code: code.into(),
            message: "x".into(),
        };
        let text = en();
        assert!(failure_message(text, &other("last_factor")).contains("Add another app"));
        assert!(failure_message(text, &other("factor_not_found")).contains("already been removed"));
        assert!(failure_message(text, &Failure::MfaRequired).contains("with your second step"));
        assert_eq!(factors::codes_left(text, 7), "Recovery codes left: 7");
        assert!(failure_message(text, &other("human_check_required")).contains("check below"));
        assert!(failure_message(text, &other("human_check_failed")).contains("couldn't confirm"));
    }

    #[test]
    fn a_catalogue_fills_in_what_it_lacks_from_english() {
        let german = Text::load("de", r#"{"identify.email": "E-Mail"}"#).unwrap();
        assert_eq!(german.get(identify::EMAIL), "E-Mail");
        assert_eq!(german.get(identify::SUBMIT), "Continue");
        assert_eq!(german.lang(), "de");
        assert!(Text::load("de", "not json").is_none());
    }

    // The catalogues themselves: every language has every message, with its arguments.

    fn locales_dir() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/locales"))
    }

    fn read_catalogue(tag: &str) -> serde_json::Map<String, serde_json::Value> {
        let path = locales_dir().join(format!("{tag}.json"));
        let json = std::fs::read_to_string(&path).unwrap();
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The languages the loader offers, from its `LOCALES` list.
    fn offered() -> Vec<String> {
        let loader = include_str!("../loader/widget.js");
        let list = loader
            .split_once("const LOCALES = [")
            .and_then(|(_, rest)| rest.split_once(']'))
            .expect("widget.js lists its LOCALES")
            .0;
        list.split(',')
            .map(|tag| tag.trim().trim_matches('"').to_string())
            .filter(|tag| !tag.is_empty())
            .collect()
    }

    #[test]
    fn english_has_exactly_the_keys_the_widget_uses() {
        let source = include_str!("text.rs");
        let used: BTreeSet<&str> = source
            .split("Key(\"")
            .skip(1)
            .filter_map(|rest| rest.split_once('"').map(|(key, _)| key))
            .collect();
        let english: BTreeSet<&str> = english().messages.keys().map(String::as_str).collect();
        assert_eq!(used, english);
    }

    #[test]
    fn the_loader_offers_every_language_and_each_has_a_catalogue() {
        let mut files: Vec<String> = std::fs::read_dir(locales_dir())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter_map(|name| name.strip_suffix(".json").map(str::to_string))
            .collect();
        files.sort();
        let mut offered = offered();
        offered.sort();
        assert_eq!(files, offered);
        assert_eq!(offered, messages::LANGUAGES);
        assert!(offered.len() >= 40, "{} languages", offered.len());
    }

    #[test]
    fn every_catalogue_translates_every_message_with_its_arguments() {
        let english = read_catalogue("en");
        for tag in messages::LANGUAGES {
            let problems = messages::problems(&english, &read_catalogue(tag));
            assert!(problems.is_empty(), "{tag}: {problems:#?}");
        }
    }

    #[test]
    fn right_to_left_catalogues_are_written_right_to_left() {
        for tag in messages::RIGHT_TO_LEFT {
            let catalogue = read_catalogue(tag);
            let title = catalogue["card.sign-in-title"].as_str().unwrap();
            // Hebrew, Arabic and Persian letters: U+0590..U+06FF.
            assert!(
                title
                    .chars()
                    .any(|c| ('\u{0590}'..='\u{06FF}').contains(&c)),
                "{tag}: {title}"
            );
        }
    }
}
