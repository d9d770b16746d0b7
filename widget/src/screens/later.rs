//! [`Later`]: a screen built by its family's module, with its type erased so that the
//! main module can show it.
//!
//! Leptos's own erased view, `AnyView`, carries for every view erased into it the code
//! to hydrate it, synchronously and asynchronously, and in the edge's build to render it
//! to HTML. A later screen never needs any of that: it is never in the first screen the
//! edge renders, and is always built in the browser. `Later` keeps only building.

use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::renderer::types::{Element, Node};
use leptos::tachys::view::{Mountable, Position, PositionState, Render, RenderHtml};

/// A later screen's view, built when it is shown.
pub struct Later {
    build: Box<dyn FnOnce() -> Built + Send>,
}

impl Later {
    /// Erases `view`'s type. Every screen has a node (see [`Later::rebuild`]); one
    /// that shows nothing is an empty text.
    pub fn new<V>(view: V) -> Later
    where
        V: Render + Send + 'static,
        V::State: 'static,
    {
        Later {
            build: Box::new(move || Built(Box::new(view.build()))),
        }
    }
}

/// A built later screen, mounted where the card shows its screen.
pub struct Built(Box<dyn Mountable>);

impl Mountable for Built {
    fn unmount(&mut self) {
        self.0.unmount();
    }

    fn mount(&mut self, parent: &Element, marker: Option<&Node>) {
        self.0.mount(parent, marker);
    }

    fn insert_before_this(&self, child: &mut dyn Mountable) -> bool {
        self.0.insert_before_this(child)
    }

    fn elements(&self) -> Vec<Element> {
        self.0.elements()
    }
}

impl Render for Later {
    type State = Built;

    fn build(self) -> Built {
        (self.build)()
    }

    /// Another screen replaces this one where it stands; each screen has a node to
    /// stand before, so none is lost.
    fn rebuild(self, state: &mut Built) {
        let mut next = self.build();
        state.insert_before_this(&mut next);
        state.unmount();
        *state = next;
    }
}

leptos::tachys::no_attrs!(Later);

impl RenderHtml for Later {
    type AsyncOutput = Later;
    type Owned = Later;

    const MIN_LENGTH: usize = 0;

    fn dry_resolve(&mut self) {}

    async fn resolve(self) -> Later {
        self
    }

    /// Never called: the edge renders only the first screen.
    fn to_html_with_buf(
        self,
        _: &mut String,
        _: &mut Position,
        _: bool,
        _: bool,
        _: Vec<AnyAttribute>,
    ) {
    }

    /// Never called: only the first screen is hydrated. Built, so that nothing breaks.
    fn hydrate<const FROM_SERVER: bool>(self, _: &Cursor, _: &PositionState) -> Built {
        self.build()
    }

    fn into_owned(self) -> Later {
        self
    }
}
