//! A screen's requests: the work runs to its end wherever the person goes meanwhile (the
//! session must never be left half-changed), and what the answer does to the screen runs
//! only while that screen is on the page.
//!
//! A screen is a reactive owner; leaving it disposes its signals, and with them the
//! handle a [`Tasks`] keeps of the owner. So the answer finds the screen, or nothing, and
//! no screen has to ask whether its signals still exist.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

/// The screen (or part of one) that starts requests. Made while it renders, so that it
/// belongs to it; cheap to copy into event handlers.
#[derive(Clone, Copy)]
pub struct Tasks {
    owner: StoredValue<Option<Owner>, LocalStorage>,
}

impl Tasks {
    /// Tasks of the screen being rendered.
    pub fn here() -> Tasks {
        Tasks {
            owner: StoredValue::new_local(Owner::current()),
        }
    }

    /// Runs `work` with `busy` set meanwhile; then, if the screen is still there, clears
    /// `busy` and hands the answer to `then`.
    pub fn run<T: 'static>(
        self,
        busy: RwSignal<bool>,
        work: impl Future<Output = T> + 'static,
        then: impl FnOnce(T) + 'static,
    ) {
        busy.set(true);
        self.spawn(work, move |answer| {
            busy.set(false);
            then(answer);
        });
    }

    /// Runs `work`; then, if the screen is still there, hands the answer to `then`, as
    /// the screen's own code.
    pub fn spawn<T: 'static>(
        self,
        work: impl Future<Output = T> + 'static,
        then: impl FnOnce(T) + 'static,
    ) {
        spawn_local(async move {
            let answer = work.await;
            self.answer(Box::new(move || then(answer)));
        });
    }

    /// Not generic, so that every request shares one compiled copy (the wasm size is a
    /// budget).
    fn answer(self, then: Box<dyn FnOnce()>) {
        // `None` once the screen is disposed: its stored values go with it.
        if let Some(Some(owner)) = self.owner.try_get_value() {
            owner.with(then);
        }
    }
}
