//! The development mailbox (`dev_mailbox`): mail kept instead of sent.

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::{text, unavailable};
use crate::ports::{KeptMail, Mail, MailError, Mailbox, Mailer, StoreError, UnixMillis};

/// The development mailbox on D1: mail is kept in `dev_mailbox` instead of sent.
pub struct D1DevMailbox {
    db: super::Db,
}

impl D1DevMailbox {
    pub fn new(db: D1Database) -> Self {
        D1DevMailbox { db: super::Db(db) }
    }
}

#[async_trait(?Send)]
impl Mailer for D1DevMailbox {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| MailError(format!("random: {e}")))?;
        self.db
            .prepare(
                "INSERT INTO dev_mailbox (id, to_address, subject, text_body, html_body, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(&[
                text(&URL_SAFE_NO_PAD.encode(id)),
                text(&mail.to),
                text(&mail.subject),
                text(&mail.text),
                text(&mail.html),
                JsValue::from_f64(js_sys::Date::now()),
            ])
            .map_err(|e| MailError(format!("dev mailbox bind: {e}")))?
            .run()
            .await
            .map_err(|e| MailError(format!("dev mailbox insert: {e}")))?;
        Ok(())
    }
}

#[derive(Deserialize)]
struct MailRow {
    id: String,
    to_address: String,
    subject: String,
    text_body: String,
    html_body: String,
    created_at: f64,
}

#[async_trait(?Send)]
impl Mailbox for D1DevMailbox {
    async fn messages(&self, to: &str, limit: usize) -> Result<Vec<KeptMail>, StoreError> {
        let rows: Vec<MailRow> = self
            .db
            .prepare(
                "SELECT id, to_address, subject, text_body, html_body, created_at FROM dev_mailbox \
                 WHERE to_address = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2",
            )
            .bind(&[text(to), JsValue::from_f64(limit as f64)])
            .map_err(unavailable("bind"))?
            .all()
            .await
            .map_err(unavailable("dev_mailbox.select"))?
            .results()
            .map_err(unavailable("dev_mailbox.select"))?;
        Ok(rows
            .into_iter()
            .map(|row| KeptMail {
                id: row.id,
                mail: Mail {
                    to: row.to_address,
                    subject: row.subject,
                    text: row.text_body,
                    html: row.html_body,
                },
                created_at: UnixMillis(row.created_at as u64),
            })
            .collect())
    }
}
