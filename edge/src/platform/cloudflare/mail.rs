//! Mail transports, chosen by the `MAIL_TRANSPORT` variable:
//!
//! - `cloudflare`: the `EMAIL` send_email binding (Cloudflare Email Service).
//! - `http`: a mail API at `MAIL_API_URL`, called with `POST` JSON
//!   `{from, to, subject, text, html}` and `Authorization: Bearer <MAIL_API_KEY>`.
//! - `dev-mailbox`: kept in D1 for the development mailbox (see [`super::d1::D1DevMailbox`]).
//!
//! Without one, nothing is sent and each attempt is logged.

use async_trait::async_trait;
use worker::{Fetch, Headers, Method, RequestInit, SendEmail, SendEmailBuilder};

use crate::ports::{Mail, MailError, Mailer};

/// Cloudflare Email Service through a send_email binding.
pub struct CloudflareMailer {
    binding: SendEmail,
    from: String,
}

impl CloudflareMailer {
    pub fn new(binding: SendEmail, from: String) -> Self {
        CloudflareMailer { binding, from }
    }
}

#[async_trait(?Send)]
impl Mailer for CloudflareMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = SendEmailBuilder::new(&self.from, &mail.to, &mail.subject);
        message.set_text(&mail.text);
        message.set_html(&mail.html);
        self.binding
            .send_with_builder(&message)
            .await
            .map(|_| ())
            .map_err(|e| MailError(format!("send_email: {e:?}")))
    }
}

/// A generic HTTPS mail API.
pub struct HttpMailer {
    url: String,
    key: String,
    from: String,
}

impl HttpMailer {
    pub fn new(url: String, key: String, from: String) -> Self {
        HttpMailer { url, key, from }
    }
}

#[async_trait(?Send)]
impl Mailer for HttpMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let body = serde_json::json!({
            "from": self.from,
            "to": mail.to,
            "subject": mail.subject,
            "text": mail.text,
            "html": mail.html,
        });
        let failed = |e: worker::Error| MailError(format!("mail api: {e}"));
        let headers = Headers::new();
        headers
            .set("content-type", "application/json")
            .map_err(failed)?;
        headers
            .set("authorization", &format!("Bearer {}", self.key))
            .map_err(failed)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.to_string().into()));
        let request = worker::Request::new_with_init(&self.url, &init).map_err(failed)?;
        let response = Fetch::Request(request).send().await.map_err(failed)?;
        match response.status_code() {
            200..=299 => Ok(()),
            status => Err(MailError(format!("mail api answered {status}"))),
        }
    }
}

/// No transport configured: every send fails (and is logged by the caller).
pub struct Unconfigured;

#[async_trait(?Send)]
impl Mailer for Unconfigured {
    async fn send(&self, _mail: &Mail) -> Result<(), MailError> {
        Err(MailError(
            "no mail transport: set MAIL_TRANSPORT (cloudflare, http or dev-mailbox)".into(),
        ))
    }
}
