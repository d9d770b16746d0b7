//! Counts the D1 statements and Durable Object calls this isolate makes, for the
//! `x-portcullis-round-trips` header of a loopback development edge with
//! `REPORT_ROUND_TRIPS=true` (how the end-to-end tests see that a warm hot path reads
//! nothing from D1). Counted per isolate from the start of a request: exact when
//! requests are handled one at a time, as the tests send them. Events go to the System
//! Log through a queue after the response, and are not counted.

use std::cell::Cell;

/// The response header.
pub const HEADER: &str = "x-portcullis-round-trips";

thread_local! {
    static D1: Cell<u32> = const { Cell::new(0) };
    static DURABLE_OBJECT: Cell<u32> = const { Cell::new(0) };
}

/// A D1 statement was prepared (and will run, alone or in a batch).
pub fn d1() {
    D1.with(|c| c.set(c.get().saturating_add(1)));
}

/// A Durable Object was called.
pub fn durable_object() {
    DURABLE_OBJECT.with(|c| c.set(c.get().saturating_add(1)));
}

pub fn reset() {
    D1.with(|c| c.set(0));
    DURABLE_OBJECT.with(|c| c.set(0));
}

/// `d1=N, do=M`.
pub fn report() -> String {
    format!(
        "d1={}, do={}",
        D1.with(Cell::get),
        DURABLE_OBJECT.with(Cell::get)
    )
}
