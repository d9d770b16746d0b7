//! A screen's requests: the work runs to its end wherever the person goes meanwhile (the
//! session must never be left half-changed), and what the answer does to the screen runs
//! only while that screen is on the page.
//!
//! A screen is a reactive owner; leaving it disposes its signals. Work and answer are two
//! tasks: the work is never cancelled, and the answer is a task of the screen's owner,
//! cancelled with it, so no screen has to ask whether its signals still exist.

use std::future::Future;

use futures_channel::oneshot;
use leptos::prelude::*;
use leptos::task::{spawn_local, spawn_local_scoped_with_cancellation};

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

    /// Runs `work`; then, if the screen is still there, hands the answer to `then`.
    pub fn spawn<T: 'static>(
        self,
        work: impl Future<Output = T> + 'static,
        then: impl FnOnce(T) + 'static,
    ) {
        let (answered, answer) = oneshot::channel();
        spawn_local(async move {
            // The screen may be gone: then nobody waits for the answer.
            let _ = answered.send(work.await);
        });
        // `None` once the screen is disposed (its stored values go with it).
        let Some(Some(owner)) = self.owner.try_get_value() else {
            return;
        };
        owner.with(|| {
            spawn_local_scoped_with_cancellation(async move {
                if let Ok(value) = answer.await {
                    then(value);
                }
            })
        });
    }
}
