//! Calling a Durable Object: one POST with a JSON body to the object named `name`; and
//! the one table each object keeps its state in.

use wasm_bindgen::JsValue;
use worker::{Method, ObjectNamespace, RequestInit};

use crate::ports::StoreError;

/// POSTs `json` to `url` on the object `name` of `namespace`. `url`'s host only labels
/// the call in errors; the object sees its path.
pub async fn post_json(
    namespace: &ObjectNamespace,
    name: &str,
    url: &str,
    json: String,
) -> Result<worker::Response, StoreError> {
    super::round_trips::durable_object();
    let unavailable = |e: worker::Error| StoreError::Unavailable(format!("{url}: {e}"));
    let stub = namespace.get_by_name(name).map_err(unavailable)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&json)));
    let request = worker::Request::new_with_init(url, &init).map_err(unavailable)?;
    stub.fetch_with_request(request).await.map_err(unavailable)
}

/// Serialises a request body for an object.
pub fn to_json<T: serde::Serialize>(body: &T) -> Result<String, StoreError> {
    serde_json::to_string(body)
        .map_err(|e| StoreError::Unavailable(format!("object call body: {e}")))
}

/// An object's one SQLite table, made once per instance rather than on every call: a
/// `CREATE TABLE IF NOT EXISTS` on every call is one statement more on every refresh,
/// userinfo, introspection, flow step and counted attempt.
pub struct Table {
    create: &'static str,
    made: std::cell::Cell<bool>,
}

impl Table {
    pub const fn new(create: &'static str) -> Table {
        Table {
            create,
            made: std::cell::Cell::new(false),
        }
    }

    /// The object's SQL storage, with the table made.
    pub fn sql(&self, state: &worker::State) -> worker::Result<worker::SqlStorage> {
        let sql = state.storage().sql();
        if !self.made.get() {
            sql.exec(self.create, None)?;
            self.made.set(true);
        }
        Ok(sql)
    }

    /// Erases everything the object stores (its alarm, at expiry); the next call makes
    /// the table again.
    pub async fn erase(&self, state: &worker::State) -> worker::Result<()> {
        state.storage().delete_all().await?;
        self.made.set(false);
        Ok(())
    }
}
