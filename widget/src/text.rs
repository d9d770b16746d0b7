//! Every string a person sees or hears, grouped by the component that shows it.
//!
//! English only for now; a message catalogue keyed by these paths replaces this module
//! when the widget is translated.

use portcullis_shared::api::{PasswordProblem, PasswordRejected};

use crate::api::Failure;
use crate::webauthn::Ceremony;

/// The card around every screen.
pub mod card {
    pub const LOADING: &str = "Loading…";

    pub fn sign_in_title(client: &str) -> String {
        format!("Sign in to {client}")
    }

    pub fn sign_up_title(client: &str) -> String {
        format!("Create an account for {client}")
    }

    pub fn signed_in_title(client: &str) -> String {
        format!("Signed in to {client}")
    }

    pub const VERIFY_TITLE: &str = "Confirm your email address";
    pub const FORGOT_TITLE: &str = "Reset your password";
    pub const FIND_ACCOUNT_TITLE: &str = "Find your account";
    pub const CHECK_EMAIL_TITLE: &str = "Check your email";
    pub const RESET_TITLE: &str = "Choose a new password";
    pub const RESET_DONE_TITLE: &str = "Your password has been changed";
}

/// Shared by the form fields.
pub mod field {
    /// Visible text of the password visibility toggle; with [`SHOW_PASSWORD_REST`] it
    /// forms the button's accessible name, which stays the same whether pressed or not.
    pub const SHOW_PASSWORD: &str = "Show";
    pub const SHOW_PASSWORD_REST: &str = " password";
}

/// The identify step.
pub mod identify {
    pub const EMAIL: &str = "Email";
    pub const SUBMIT: &str = "Continue";
    pub const BUSY: &str = "Continuing…";
    pub const EMAIL_INVALID: &str = "Enter your email address, like name@example.com.";
    pub const NEW_HERE: &str = "New here?";
    pub const CREATE_ACCOUNT: &str = "Create an account";
}

/// The password step.
pub mod password {
    pub const PASSWORD: &str = "Password";
    pub const SUBMIT: &str = "Sign in";
    pub const BUSY: &str = "Signing in…";
    pub const PASSWORD_MISSING: &str = "Enter your password.";
    pub const OTHER_ACCOUNT: &str = "Use another account";
    pub const FORGOT: &str = "Forgot password?";
}

/// Signing in with a code or link sent by email, and confirming an address the same way.
pub mod email {
    /// On the identify and password steps.
    pub const SEND: &str = "Email me a sign-in code";
    pub const SENDING: &str = "Sending code…";
    pub const CODE: &str = "Code";
    pub const SUBMIT: &str = "Continue";
    pub const BUSY: &str = "Checking code…";
    pub const RESEND: &str = "Send a new code";
    pub const OTHER_WAY: &str = "Use another way";
    pub const OTHER_ACCOUNT: &str = "Use another account";

    /// What the code screen says first; never whether the address has an account.
    pub fn sent(email: Option<&str>, code_length: u8) -> String {
        match email {
            Some(email) => format!(
                "We've sent an email to {email}. Enter the {code_length}-digit code from it, or open the link in it on any device."
            ),
            None => format!(
                "We've sent you an email. Enter the {code_length}-digit code from it, or open the link in it on any device."
            ),
        }
    }

    /// Verification: the address must be confirmed before signing in.
    pub fn verify(email: Option<&str>, code_length: u8) -> String {
        format!(
            "To finish, confirm that this email address is yours. {}",
            sent(email, code_length)
        )
    }

    pub fn code_missing(code_length: u8) -> String {
        format!("Enter the {code_length}-digit code from the email.")
    }
}

/// Asking for a password reset link, or for a reminder of which address has an account.
pub mod forgot {
    pub const EMAIL: &str = "Email";
    pub const RESET_TEXT: &str =
        "Enter the email address you sign in with. We'll email you a link to choose a new password.";
    pub const RESET_SUBMIT: &str = "Email me a reset link";
    pub const ACCOUNT_TEXT: &str =
        "Enter an email address you may have used. We'll email it a message that says whether it has an account here, and how you sign in.";
    pub const ACCOUNT_SUBMIT: &str = "Email me a reminder";
    pub const BUSY: &str = "Sending…";
    pub const FORGOT_EMAIL: &str = "Forgot which email you used?";
    pub const BACK: &str = "Back to sign in";

    /// The same words for every address: an address without an account gets an email
    /// too, saying so.
    pub fn check_email(email: &str) -> String {
        format!("We've sent an email to {email}.")
    }

    pub fn link_works(minutes: u64) -> String {
        format!(
            "If this address has an account, the email has a link to choose a new password. The link works for {minutes} minutes. If nothing arrives, check your spam folder."
        )
    }

    pub const REMINDER_WORKS: &str =
        "It says whether this address has an account here, and how you sign in. If nothing arrives, check your spam folder, or try another address.";
}

/// Choosing a new password from an emailed reset link.
pub mod reset {
    pub const PASSWORD: &str = "New password";
    pub const SUBMIT: &str = "Change password";
    pub const BUSY: &str = "Changing password…";
    pub const DONE: &str = "You can now sign in with your new password.";
    pub const SIGN_IN: &str = "Sign in";
    pub const NEW_LINK: &str = "Ask for a new link";
}

/// Signing in with a passkey (identify and password steps).
pub mod passkey {
    pub const SIGN_IN: &str = "Sign in with a passkey";
    pub const USE_INSTEAD: &str = "Use a passkey instead";
    /// While the browser's passkey dialog is open, or the edge checks the passkey.
    pub const BUSY: &str = "Waiting for your passkey…";
    /// Between the form and the passkey button.
    pub const OR: &str = "or";
}

/// Creating an account.
pub mod sign_up {
    pub const EMAIL: &str = "Email";
    pub const NAME: &str = "Name (optional)";
    pub const PASSWORD: &str = "Password";
    /// NIST SP 800-63B-4 §3.1.1.2: 15 characters when the password is the only factor,
    /// which it is for a new account; no composition rules.
    pub const PASSWORD_HINT: &str =
        "Use at least 15 characters. A few unrelated words make a strong password that is easy to remember.";
    pub const PASSWORD_MISSING: &str = "Choose a password.";
    pub const SUBMIT: &str = "Create account";
    pub const BUSY: &str = "Creating account…";
    pub const HAVE_ACCOUNT: &str = "Already have an account?";
    pub const SIGN_IN: &str = "Sign in";
    /// Switches the form to a passkey instead of a password.
    pub const WITH_PASSKEY: &str = "Create with a passkey instead";
    pub const WITH_PASSWORD: &str = "Use a password instead";
    pub const PASSKEY_HINT: &str =
        "Your device will ask you to create a passkey with your fingerprint, face or screen lock. You won't need a password.";
    pub const PASSKEY_SUBMIT: &str = "Create account with a passkey";
    /// The address is taken, or cannot be used; the same words either way.
    pub const PASSKEY_REFUSED: &str =
        "We couldn't create an account with this email address. If you already have an account, sign in instead.";
}

/// The signed-in state of an embedded widget.
pub mod signed_in {
    pub const PREFIX: &str = "Signed in as ";
    /// After a usernameless passkey sign-in, until the account is known.
    pub const SIGNED_IN: &str = "You are signed in.";
    pub const SIGN_OUT: &str = "Sign out";
    /// Hosted sign-in: the window is on its way back to the client.
    pub const REDIRECTING: &str = "Signed in. Taking you back…";
}

/// The signed-in person's passkeys (embedded widget only).
pub mod passkeys {
    pub const OFFER_TITLE: &str = "Sign in faster next time";
    pub const OFFER_TEXT: &str =
        "Add a passkey to sign in with your fingerprint, face or screen lock instead of your password.";
    pub const ADD: &str = "Add a passkey";
    pub const ADD_BUSY: &str = "Adding passkey…";
    pub const NOT_NOW: &str = "Not now";
    pub const TITLE: &str = "Your passkeys";
    pub const LOADING: &str = "Loading your passkeys…";
    pub const NONE: &str = "You have no passkeys yet.";
    /// Visible button text; the passkey's name follows for screen readers.
    pub const RENAME: &str = "Rename";
    pub const DELETE: &str = "Delete";
    pub const NAME: &str = "Passkey name";
    pub const NAME_MISSING: &str = "Enter a name for this passkey.";
    pub const SAVE: &str = "Save";
    pub const CANCEL: &str = "Cancel";
    pub const SYNCED: &str = "Synced";
    /// Between the facts about a passkey: "Created 1 May 2026 · Synced".
    pub const SEPARATOR: &str = " · ";
    pub const ADDED: &str = "Passkey added.";
    pub const RENAMED: &str = "Passkey renamed.";
    pub const DELETED: &str = "Passkey deleted.";

    pub fn created(date: &str) -> String {
        format!("Created {date}")
    }

    pub fn last_used(date: &str) -> String {
        format!("Last used {date}")
    }
}

/// Read out by the widget's polite live region when the screen changes. Short: focus
/// moves to the new screen too, and its label or text says the rest.
pub mod announce {
    pub const IDENTIFY: &str = "Enter your email address to sign in.";
    pub const PASSWORD: &str = "Enter your password.";
    pub const SIGN_UP: &str = "Create an account.";
    pub const SIGNED_IN: &str = "You are signed in.";
    pub const SIGNED_OUT: &str = "You have signed out.";
    pub const PASSKEY: &str = "Use your passkey to sign in.";
    pub const EMAIL_CODE: &str = "Enter the code we emailed you.";
    pub const CODE_SENT: &str = "We've emailed you a new code.";
    pub const VERIFY: &str = "Confirm your email address with the code we emailed you.";
    pub const FORGOT: &str = "Reset your password.";
    pub const FIND_ACCOUNT: &str = "Find your account.";
    pub const CHECK_EMAIL: &str = "Check your email.";
    pub const RESET_DONE: &str = "Your password has been changed.";
}

/// What went wrong, for the person. Never says whether an account exists.
pub mod failure {
    pub const INVALID_CREDENTIALS: &str = "That email and password don't match an account.";
    pub const EXPIRED: &str = "This sign-in has expired. Start again.";
    pub const TOO_MANY_ATTEMPTS: &str =
        "Too many attempts. Wait a few minutes before you try again.";
    pub const NETWORK: &str =
        "We couldn't reach the sign-in service. Check your connection and try again.";
    pub const GRANT: &str = "We couldn't finish signing you in. Try again.";
    pub const UNSUPPORTED_STEP: &str =
        "This sign-in needs a step this page can't show yet. Reload the page and try again.";
    pub const TOO_LONG: &str = "That password is too long. Choose a shorter one.";
    pub const COMMON: &str =
        "That password is too common or has appeared in a data breach. Choose a different one.";
    pub const CONTEXT_SPECIFIC: &str =
        "Your password can't contain your email address or the name of this service.";

    /// `NotAllowedError`: browsers say the same when there is no passkey, on purpose.
    pub const PASSKEY_CANCELLED: &str =
        "No passkey was used: the request was cancelled or timed out, or this device has no passkey for this site. Try again, or sign in another way.";
    pub const PASSKEY_ALREADY_REGISTERED: &str =
        "This device already has a passkey for this account. Use it to sign in, or add one on another device.";
    pub const PASSKEY_UNSUPPORTED: &str =
        "This browser can't use passkeys on this page. Sign in another way.";
    pub const UNKNOWN_PASSKEY: &str =
        "We don't recognise that passkey. It may have been removed from your account. Choose another passkey, or sign in another way.";
    pub const PASSKEY_REJECTED: &str =
        "We couldn't verify your passkey. Try again, or sign in another way.";
    pub const UNAUTHORIZED: &str = "To manage your passkeys, sign out and sign in again.";
    pub const PASSKEY_NOT_FOUND: &str = "That passkey has already been removed.";
    pub const LAST_SIGN_IN_METHOD: &str =
        "This passkey is the only way to sign in to your account, so it can't be deleted. Add another passkey first.";

    pub const CODE_INVALID: &str = "That code isn't right. Check the email and try again.";
    pub const CODE_EXPIRED: &str =
        "That code has expired or was already used. Choose Send a new code to get another.";
    pub const LINK_EXPIRED: &str = "This link has expired or was already used. Ask for a new one.";

    pub fn too_short(min_length: usize) -> String {
        format!("That password is too short. Use at least {min_length} characters.")
    }
}

/// The message for a failed request.
pub fn failure_message(failure: &Failure) -> String {
    match failure {
        Failure::InvalidCredentials => failure::INVALID_CREDENTIALS.into(),
        Failure::PasswordRejected(rejected) => password_rejected(rejected),
        Failure::TooManyAttempts => failure::TOO_MANY_ATTEMPTS.into(),
        Failure::FlowExpired => failure::EXPIRED.into(),
        Failure::Grant(_) => failure::GRANT.into(),
        Failure::Network => failure::NETWORK.into(),
        Failure::UnsupportedStep => failure::UNSUPPORTED_STEP.into(),
        Failure::Passkey(ceremony) => match ceremony {
            // Aborted is the widget's own doing and is not shown; the words fit anyway.
            Ceremony::Cancelled | Ceremony::Aborted => failure::PASSKEY_CANCELLED.into(),
            Ceremony::AlreadyRegistered => failure::PASSKEY_ALREADY_REGISTERED.into(),
            Ceremony::Unsupported => failure::PASSKEY_UNSUPPORTED.into(),
            Ceremony::Failed => failure::PASSKEY_REJECTED.into(),
        },
        Failure::UnknownPasskey => failure::UNKNOWN_PASSKEY.into(),
        Failure::PasskeyRejected(_) => failure::PASSKEY_REJECTED.into(),
        Failure::Unauthorized => failure::UNAUTHORIZED.into(),
        Failure::PasskeyNotFound => failure::PASSKEY_NOT_FOUND.into(),
        Failure::LastSignInMethod => failure::LAST_SIGN_IN_METHOD.into(),
        Failure::CodeInvalid => failure::CODE_INVALID.into(),
        Failure::CodeExpired => failure::CODE_EXPIRED.into(),
        Failure::LinkExpired => failure::LINK_EXPIRED.into(),
        Failure::Other { message, .. } => message.clone(),
    }
}

fn password_rejected(rejected: &PasswordRejected) -> String {
    match rejected.problem {
        PasswordProblem::TooShort => failure::too_short(rejected.min_length),
        PasswordProblem::TooLong => failure::TOO_LONG.into(),
        PasswordProblem::Common => failure::COMMON.into(),
        PasswordProblem::ContextSpecific => failure::CONTEXT_SPECIFIC.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_credentials_never_names_the_wrong_field() {
        let message = failure_message(&Failure::InvalidCredentials);
        assert_eq!(message, "That email and password don't match an account.");
    }

    #[test]
    fn every_password_problem_has_its_own_message() {
        let message = |problem| {
            failure_message(&Failure::PasswordRejected(PasswordRejected {
                problem,
                min_length: 15,
            }))
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
        let cancelled = failure_message(&Failure::Passkey(Ceremony::Cancelled));
        assert!(cancelled.contains("cancelled or timed out"));
        assert!(cancelled.contains("sign in another way"));
        assert!(
            failure_message(&Failure::Passkey(Ceremony::AlreadyRegistered))
                .starts_with("This device already has a passkey")
        );
        assert!(failure_message(&Failure::UnknownPasskey).contains("don't recognise"));
        // Which WebAuthn check failed is for logs: every code reads the same.
        assert_eq!(
            failure_message(&Failure::PasskeyRejected("webauthn_bad_signature".into())),
            failure_message(&Failure::PasskeyRejected("webauthn_rp_id_mismatch".into())),
        );
        assert!(failure_message(&Failure::LastSignInMethod).contains("only way to sign in"));
    }

    #[test]
    fn emailed_code_failures_say_what_to_do() {
        assert!(failure_message(&Failure::CodeInvalid).contains("try again"));
        assert!(failure_message(&Failure::CodeExpired).contains("Send a new code"));
        assert!(failure_message(&Failure::LinkExpired).contains("expired or was already used"));
        assert!(email::sent(Some("ada@example.com"), 6).contains("6-digit code"));
        // One answer for every address: nothing says whether an account exists.
        assert_eq!(forgot::check_email("a@b"), "We've sent an email to a@b.");
        assert!(forgot::link_works(15).contains("works for 15 minutes"));
    }

    #[test]
    fn other_errors_show_the_edge_message() {
        let failure = Failure::Other {
            code: "origin_not_allowed".into(),
            message: "This site's origin is not allowed.".into(),
        };
        assert_eq!(
            failure_message(&failure),
            "This site's origin is not allowed."
        );
    }
}
