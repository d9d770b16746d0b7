//! The emails, each as plain text and HTML, in the person's language (the language the
//! widget showed them, else their browser's; see `i18n`). Everything a person typed or a
//! client registered is escaped in the HTML part. Messages name the application (the
//! client) the person was signing in to, wear its theme (the light palette's colours and
//! font, its logo), and never contain a password or a token other than the one they exist
//! to deliver.

use crate::clients::Client;
use crate::i18n::Words;
use crate::pages::escape;
use crate::ports::Mail;

/// One message before it is addressed: a subject, paragraphs, and at most one button.
struct Message<'a> {
    client: &'a Client,
    words: &'a Words,
    subject: String,
    paragraphs: Vec<String>,
    /// A code shown large, when the message carries one.
    code: Option<&'a str>,
    /// `(label, url)` of the message's one action.
    action: Option<(String, &'a str)>,
    footer: String,
}

impl<'a> Message<'a> {
    /// A message of `client` in `words`: the subject and paragraphs are message keys,
    /// each with the application's name filled in; the usual footer.
    fn new(client: &'a Client, words: &'a Words, subject: &str, paragraphs: &[&str]) -> Self {
        Message::with_args(client, words, subject, paragraphs, &[])
    }

    /// As [`Message::new`], with more `{name}` arguments than the application's name.
    fn with_args(
        client: &'a Client,
        words: &'a Words,
        subject: &str,
        paragraphs: &[&str],
        args: &[(&str, &str)],
    ) -> Self {
        let mut app = vec![("app", client.name.as_str())];
        app.extend_from_slice(args);
        Message {
            client,
            words,
            subject: words.format(subject, &app),
            paragraphs: paragraphs
                .iter()
                .map(|key| words.format(key, &app))
                .collect(),
            code: None,
            action: None,
            footer: words.get("mail.ignore"),
        }
    }

    fn code(mut self, code: Option<&'a str>) -> Self {
        self.code = code;
        self
    }

    fn action(mut self, label: &str, url: &'a str) -> Self {
        self.action = Some((self.words.get(label), url));
        self
    }

    fn footer(mut self, key: &str) -> Self {
        self.footer = self.words.get(key);
        self
    }
}

/// The colours and font of a client's emails.
struct Brand<'a> {
    fg: &'a str,
    muted: &'a str,
    accent: &'a str,
    accent_fg: &'a str,
    font: &'a str,
    radius: String,
    logo: Option<&'a str>,
}

impl<'a> Brand<'a> {
    fn of(client: &'a Client) -> Brand<'a> {
        match &client.theme {
            Some(theme) => Brand {
                fg: &theme.light.fg,
                muted: &theme.light.muted,
                accent: &theme.light.accent,
                accent_fg: &theme.light.accent_fg,
                font: &theme.font,
                radius: format!("{}px", theme.radius_px),
                logo: theme.logo_url.as_deref(),
            },
            None => Brand {
                fg: "#1f2328",
                muted: "#59636e",
                accent: "#0b5cad",
                accent_fg: "#ffffff",
                font: "system-ui, sans-serif",
                radius: "6px".into(),
                logo: None,
            },
        }
    }
}

impl Message<'_> {
    fn to(self, to: &str) -> Mail {
        // Theme values are validated (`#rrggbb`, a plain font list, an https URL), and
        // escaped here all the same.
        let brand = Brand::of(self.client);
        let mut text = String::new();
        for paragraph in &self.paragraphs {
            text.push_str(paragraph);
            text.push_str("\n\n");
        }
        if let Some(code) = self.code {
            let line = self.words.format("mail.your-code", &[("code", code)]);
            text.push_str(&format!("{line}\n\n"));
        }
        if let Some((label, url)) = &self.action {
            text.push_str(&format!("{label}: {url}\n\n"));
        }
        text.push_str(&self.footer);
        text.push('\n');

        let mut html = format!(
            "<!doctype html><html lang=\"{}\" dir=\"{}\"><body style=\"font-family:{};color:{};\
             max-width:32rem;margin:0 auto;padding:1.5rem\">",
            self.words.lang(),
            self.words.dir(),
            escape(brand.font),
            escape(brand.fg)
        );
        if let Some(logo) = brand.logo {
            html.push_str(&format!(
                "<p><img src=\"{}\" alt=\"{}\" style=\"max-height:48px;max-width:160px\"></p>",
                escape(logo),
                escape(&self.client.name)
            ));
        }
        for paragraph in &self.paragraphs {
            html.push_str(&format!("<p>{}</p>", escape(paragraph)));
        }
        if let Some(code) = self.code {
            html.push_str(&format!(
                "<p style=\"font-size:1.75rem;letter-spacing:.3em;font-weight:700\">{}</p>",
                escape(code)
            ));
        }
        if let Some((label, url)) = &self.action {
            html.push_str(&format!(
                "<p><a href=\"{}\" style=\"display:inline-block;background:{};color:{};\
                 padding:.6rem 1.1rem;border-radius:{};text-decoration:none\">{}</a></p>",
                escape(url),
                escape(brand.accent),
                escape(brand.accent_fg),
                escape(&brand.radius),
                escape(label)
            ));
        }
        html.push_str(&format!(
            "<p style=\"color:{};font-size:.875rem\">{}</p></body></html>",
            escape(brand.muted),
            escape(&self.footer)
        ));
        Mail {
            to: to.to_string(),
            subject: self.subject,
            text,
            html,
        }
    }
}

/// A sign-in code and link.
pub fn sign_in(to: &str, client: &Client, words: &Words, code: &str) -> Mail {
    let paragraphs = ["sign-in.lead", "sign-in.code-only"];
    Message::new(client, words, "sign-in.subject", &paragraphs)
        .code(Some(code))
        .to(to)
}

/// Someone asked to sign in by email with an address that has no account.
pub fn no_account(to: &str, client: &Client, words: &Words) -> Mail {
    Message::new(
        client,
        words,
        "no-account.subject",
        &["no-account.lead", "no-account.hint"],
    )
    .to(to)
}

/// Verify the address: a code, typed where the person has just signed in.
pub fn verify(to: &str, client: &Client, words: &Words, code: &str) -> Mail {
    let paragraphs = ["verify.lead", "verify.code-only"];
    Message::new(client, words, "verify.subject", &paragraphs)
        .code(Some(code))
        .to(to)
}

/// Someone tried to create an account with an address that already has one.
pub fn account_exists(to: &str, client: &Client, words: &Words) -> Mail {
    Message::new(
        client,
        words,
        "exists.subject",
        &["exists.lead", "exists.hint"],
    )
    .footer("exists.footer")
    .to(to)
}

/// The code that proves a new address for an account, sent to that address.
pub fn email_change_code(to: &str, client: &Client, words: &Words, code: &str) -> Mail {
    let paragraphs = ["change-email.lead", "verify.code-only"];
    Message::new(client, words, "change-email.subject", &paragraphs)
        .code(Some(code))
        .to(to)
}

/// Someone asked to move another account to an address that already has one: its owner
/// hears of it instead of a code (the asker is answered as for any address).
pub fn email_change_taken(to: &str, client: &Client, words: &Words) -> Mail {
    let paragraphs = ["change-email.taken-lead"];
    Message::new(client, words, "change-email.taken-subject", &paragraphs)
        .footer("exists.footer")
        .to(to)
}

/// Tells the old address that the account's address was changed.
pub fn email_changed(to: &str, client: &Client, words: &Words) -> Mail {
    let paragraphs = ["change-email.changed-lead", "change-email.changed-hint"];
    Message::new(client, words, "change-email.changed-subject", &paragraphs)
        .footer("change-email.footer")
        .to(to)
}

/// A password-reset link.
pub fn password_reset(to: &str, client: &Client, words: &Words, link: &str) -> Mail {
    Message::new(
        client,
        words,
        "reset.subject",
        &["reset.lead", "reset.hint"],
    )
    .action("reset.button", link)
    .footer("reset.footer")
    .to(to)
}

/// An administrator activated the account: the link that sets its first password.
pub fn welcome(to: &str, client: &Client, words: &Words, link: &str) -> Mail {
    Message::new(
        client,
        words,
        "welcome.subject",
        &["welcome.lead", "reset.hint"],
    )
    .action("welcome.button", link)
    .to(to)
}

/// The account's deletion is scheduled: the link that cancels it.
pub fn deletion_scheduled(to: &str, client: &Client, words: &Words, link: &str) -> Mail {
    Message::new(
        client,
        words,
        "delete.subject",
        &["delete.lead", "delete.hint"],
    )
    .action("delete.keep", link)
    .footer("delete.footer")
    .to(to)
}

/// A reset or a reminder was asked for an address without an account.
pub fn recovery_no_account(to: &str, client: &Client, words: &Words) -> Mail {
    let paragraphs = ["recovery-no-account.lead", "recovery-no-account.hint"];
    Message::new(client, words, "recovery-no-account.subject", &paragraphs).to(to)
}

/// A way to sign in that was added to an account, for the email that tells its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    Passkey,
    /// A password set, e.g. by a reset.
    Password,
    /// An authenticator app enrolled as a second factor.
    AuthenticatorApp,
}

/// Tells the owner that a way to sign in was added to their account: whoever added it
/// can sign in from now on, so the owner must hear of it even when it was not them.
pub fn method_added(to: &str, client: &Client, words: &Words, method: SignInMethod) -> Mail {
    let (subject, lead) = match method {
        SignInMethod::Passkey => ("method-added.passkey-subject", "method-added.passkey"),
        SignInMethod::Password => ("method-added.password-subject", "method-added.password"),
        SignInMethod::AuthenticatorApp => ("method-added.app-subject", "method-added.app"),
    };
    Message::new(client, words, subject, &[lead, "method-added.hint"])
        .footer("method-added.footer")
        .to(to)
}

/// Tells the owner that an authenticator app was removed from their account.
pub fn app_removed(to: &str, client: &Client, words: &Words) -> Mail {
    Message::new(
        client,
        words,
        "method-removed.app-subject",
        &["method-removed.app", "method-added.hint"],
    )
    .footer("method-added.footer")
    .to(to)
}

/// Tells the owner that a passkey or security key was removed from their account.
pub fn key_removed(to: &str, client: &Client, words: &Words) -> Mail {
    Message::new(
        client,
        words,
        "method-removed.key-subject",
        &["method-removed.key", "method-added.hint"],
    )
    .footer("method-added.footer")
    .to(to)
}

/// Tells the owner that signing in with `provider` (a connection's display name) was
/// linked to their account: whoever linked it can sign in from now on.
pub fn identity_linked(to: &str, client: &Client, words: &Words, provider: &str) -> Mail {
    Message::with_args(
        client,
        words,
        "identity-linked.subject",
        &["identity-linked.lead", "method-added.hint"],
        &[("provider", provider)],
    )
    .footer("method-added.footer")
    .to(to)
}

/// Tells the owner that signing in with `provider` was unlinked from their account.
pub fn identity_unlinked(to: &str, client: &Client, words: &Words, provider: &str) -> Mail {
    Message::with_args(
        client,
        words,
        "identity-unlinked.subject",
        &["identity-unlinked.lead", "method-added.hint"],
        &[("provider", provider)],
    )
    .footer("method-added.footer")
    .to(to)
}

/// Tells the owner that one of their recovery codes was used to sign in.
pub fn recovery_code_used(to: &str, client: &Client, words: &Words) -> Mail {
    Message::new(
        client,
        words,
        "recovery-used.subject",
        &["recovery-used.lead", "method-added.hint"],
    )
    .footer("method-added.footer")
    .to(to)
}

/// Tells the owner that new recovery codes replaced their old ones.
pub fn recovery_codes_renewed(to: &str, client: &Client, words: &Words) -> Mail {
    Message::new(
        client,
        words,
        "recovery-new.subject",
        &["recovery-new.lead", "method-added.hint"],
    )
    .footer("method-added.footer")
    .to(to)
}

/// How the account at this address signs in.
pub fn reminder(to: &str, client: &Client, words: &Words, password: bool, passkey: bool) -> Mail {
    let how = match (password, passkey) {
        (true, true) => "reminder.password-and-passkey",
        (true, false) => "reminder.password",
        (false, true) => "reminder.passkey",
        (false, false) => "reminder.codes",
    };
    Message::new(client, words, "reminder.subject", &["reminder.lead", how]).to(to)
}
