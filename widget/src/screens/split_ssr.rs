//! The edge's build (`ssr`) of [`split`](super::split): it renders only the first screen,
//! so the worker carries none of the later screens nor their split points (whose module
//! loaders exist only in the browser). Every later screen renders as nothing here.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;

use super::later::Later;
use crate::api::Failure;
use crate::session::{Screen, Session};

/// A screen's module could not be fetched; on the edge, none can.
pub struct Unloaded;

/// The families of screens, one module each in the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Password,
    SignUp,
    EmailCode,
    Recovery,
    SecondFactor,
    SignedIn,
    Profile,
}

/// What [`lazily`] has to show.
pub enum Shown {
    Ready(Later),
    Loading,
    Failed,
}

/// Nothing loads on the edge.
#[derive(Clone, Copy)]
pub struct Loads;

impl Loads {
    pub fn new() -> Self {
        Loads
    }

    pub fn track(self) {}
}

/// A later screen, which the edge does not render.
pub fn lazily(_: Session, _: Family, _: Screen, _: Loads) -> Shown {
    Shown::Ready(Later::new(""))
}

/// What resuming a flow after a sign-in provider sent the person back resolves to.
pub type Resumed = Pin<Box<dyn Future<Output = Option<Result<(), Failure>>>>>;

/// Never on the edge.
pub async fn federation_resume(_: Session) -> Result<Resumed, Unloaded> {
    Err(Unloaded)
}
