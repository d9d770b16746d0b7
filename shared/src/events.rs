//! DOM events the widget dispatches on its host element.
//!
//! Host pages listen with `element.addEventListener("portcullis:step", …)`; each event
//! is a `CustomEvent` whose `detail` is the JSON form of the payload named here.

use serde::{Deserialize, Serialize};

use crate::api::Step;
use crate::ErrorCode;

/// Dispatched once the widget has loaded its client's configuration and is ready for input.
pub const READY: &str = "portcullis:ready";
/// Dispatched whenever the flow moves to another step.
pub const STEP: &str = "portcullis:step";
/// Dispatched when a request fails; the widget shows the error as well.
pub const ERROR: &str = "portcullis:error";

/// `detail` of [`STEP`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDetail {
    pub step: Step,
    pub flow_id: String,
}

/// `detail` of [`ERROR`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}
