//! The whole account in the signed-in area (`mode="account"`, the hosted `/account`
//! page): one request helper for its sections, through the account API token the
//! session keeps, with the same handling of a refused token or a sign-in too old for
//! the change as the passkey and factor sections (see [`Session::account`]).

use serde_json::Value;

use super::*;

impl Session {
    /// Whether the signed-in area shows the whole account (profile, email, sessions,
    /// applications, consents, export and deletion) besides passkeys and factors.
    pub fn account_area(self) -> bool {
        self.env.with_value(|env| env.account_area.get())
    }

    /// Set once, when the widget is mounted.
    pub fn set_account_area(self, on: bool) {
        self.env.with_value(|env| env.account_area.set(on));
    }

    /// `method path` on the account API with the session's token; the JSON answer
    /// (`Null` after a `204`).
    pub async fn me(
        self,
        method: &'static str,
        path: String,
        body: Option<String>,
    ) -> Result<Value, Failure> {
        let token = self.access_token()?;
        let text = self.account(self.api().me(method, &path, body, &token).await)?;
        Ok(crate::json::from_str(&text).unwrap_or(Value::Null))
    }
}
