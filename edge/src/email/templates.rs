//! The emails, each as plain text and HTML. Everything a person typed or a client
//! registered is escaped in the HTML part. Messages name the application (the client)
//! the person was signing in to, wear its theme (the light palette's colours and font,
//! its logo), and never contain a password or a token other than the one they exist to
//! deliver.

use crate::clients::Client;
use crate::oauth::authorize::html_escape;
use crate::ports::Mail;

/// One message before it is addressed: a subject, paragraphs, and at most one button.
struct Message<'a> {
    client: &'a Client,
    subject: String,
    paragraphs: Vec<String>,
    /// A code shown large, when the message carries one.
    code: Option<&'a str>,
    /// `(label, url)` of the message's one action.
    action: Option<(&'a str, &'a str)>,
    footer: &'a str,
}

const IGNORE: &str = "If you didn't ask for this, you can ignore this email.";

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
            text.push_str(&format!("Your code: {code}\n\n"));
        }
        if let Some((label, url)) = self.action {
            text.push_str(&format!("{label}: {url}\n\n"));
        }
        text.push_str(self.footer);
        text.push('\n');

        let mut html = format!(
            "<!doctype html><html lang=\"en\"><body style=\"font-family:{};color:{};\
             max-width:32rem;margin:0 auto;padding:1.5rem\">",
            html_escape(brand.font),
            html_escape(brand.fg)
        );
        if let Some(logo) = brand.logo {
            html.push_str(&format!(
                "<p><img src=\"{}\" alt=\"{}\" style=\"max-height:48px;max-width:160px\"></p>",
                html_escape(logo),
                html_escape(&self.client.name)
            ));
        }
        for paragraph in &self.paragraphs {
            html.push_str(&format!("<p>{}</p>", html_escape(paragraph)));
        }
        if let Some(code) = self.code {
            html.push_str(&format!(
                "<p style=\"font-size:1.75rem;letter-spacing:.3em;font-weight:700\">{}</p>",
                html_escape(code)
            ));
        }
        if let Some((label, url)) = self.action {
            html.push_str(&format!(
                "<p><a href=\"{}\" style=\"display:inline-block;background:{};color:{};\
                 padding:.6rem 1.1rem;border-radius:{};text-decoration:none\">{}</a></p>",
                html_escape(url),
                html_escape(brand.accent),
                html_escape(brand.accent_fg),
                html_escape(&brand.radius),
                html_escape(label)
            ));
        }
        html.push_str(&format!(
            "<p style=\"color:{};font-size:.875rem\">{}</p></body></html>",
            html_escape(brand.muted),
            html_escape(self.footer)
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
pub fn sign_in(to: &str, client: &Client, code: &str, link: &str) -> Mail {
    let app = &client.name;
    Message {
        client,
        subject: format!("Your sign-in code for {app}"),
        paragraphs: vec![
            format!("Use this code to sign in to {app}. It works for 10 minutes."),
            "Or sign in with the button.".into(),
        ],
        code: Some(code),
        action: Some(("Sign in", link)),
        footer: IGNORE,
    }
    .to(to)
}

/// Someone asked to sign in by email with an address that has no account.
pub fn no_account(to: &str, client: &Client) -> Mail {
    let app = &client.name;
    Message {
        client,
        subject: format!("Signing in to {app}"),
        paragraphs: vec![
            format!("Someone asked to sign in to {app} with this email address, but there is no account for it."),
            "If it was you, create an account instead, or try the address you signed up with.".into(),
        ],
        code: None,
        action: None,
        footer: IGNORE,
    }
    .to(to)
}

/// Verify the address: a link, and for a flow that waits on it, a code.
pub fn verify(to: &str, client: &Client, code: Option<&str>, link: &str) -> Mail {
    let app = &client.name;
    let mut paragraphs = vec![format!(
        "Confirm that this is your email address for {app}."
    )];
    if code.is_some() {
        paragraphs.push(
            "Enter this code where you signed up, or use the button. Both work for 10 minutes."
                .into(),
        );
    } else {
        paragraphs.push("The button works for 10 minutes.".into());
    }
    Message {
        client,
        subject: format!("Confirm your email address for {app}"),
        paragraphs,
        code,
        action: Some(("Confirm email address", link)),
        footer: IGNORE,
    }
    .to(to)
}

/// Someone tried to create an account with an address that already has one.
pub fn account_exists(to: &str, client: &Client) -> Mail {
    let app = &client.name;
    Message {
        client,
        subject: format!("You already have an account with {app}"),
        paragraphs: vec![
            format!("Someone tried to create an account with {app} using this email address, which already has one."),
            "If it was you, sign in instead. If you forgot your password, you can reset it from the sign-in page.".into(),
        ],
        code: None,
        action: None,
        footer: "If it wasn't you, nothing has changed and you can ignore this email.",
    }
    .to(to)
}

/// A password-reset link.
pub fn password_reset(to: &str, client: &Client, link: &str) -> Mail {
    let app = &client.name;
    Message {
        client,
        subject: format!("Reset your password for {app}"),
        paragraphs: vec![
            format!("Someone asked to reset the password of your {app} account."),
            "Choose a new password with the button. It works once, for 15 minutes.".into(),
        ],
        code: None,
        action: Some(("Choose a new password", link)),
        footer: "If you didn't ask for this, ignore this email: your password stays the same.",
    }
    .to(to)
}

/// A reset or a reminder was asked for an address without an account.
pub fn recovery_no_account(to: &str, client: &Client) -> Mail {
    let app = &client.name;
    Message {
        client,
        subject: format!("Your {app} account"),
        paragraphs: vec![
            format!("Someone asked for help signing in to {app} with this email address, but there is no account for it."),
            "If it was you, you may have signed up with another address.".into(),
        ],
        code: None,
        action: None,
        footer: IGNORE,
    }
    .to(to)
}

/// How the account at this address signs in.
pub fn reminder(to: &str, client: &Client, methods: &[&str]) -> Mail {
    let app = &client.name;
    let listed = if methods.is_empty() {
        "email sign-in codes".to_string()
    } else {
        methods.join(" and ")
    };
    Message {
        client,
        subject: format!("How you sign in to {app}"),
        paragraphs: vec![
            format!("This email address has a {app} account."),
            format!(
                "It signs in with {listed}. You can also sign in with a code sent to this address."
            ),
        ],
        code: None,
        action: None,
        footer: IGNORE,
    }
    .to(to)
}
