//! The version key of what isolates keep (see [`crate::cache`]): read before any kept
//! entry is used, at most once per check interval, and moved after every change
//! Portcullis makes to what isolates keep.

use crate::ports::Ports;

/// Drops what this isolate keeps if the version key moved since it was last read,
/// reading it at most once per check interval. Called before any entry is used. A
/// failed read is logged and changes nothing: entries live out their time to live.
pub async fn freshen(ports: &Ports<'_>) {
    let now = ports.clock.now();
    if !ports.cache.version_due(now) {
        return;
    }
    match ports.cache_version.current().await {
        Ok(version) => ports.cache.observe_version(version, now),
        Err(err) => {
            ports
                .diagnostics
                .log(&format!("cache version unreadable: {err:?}"));
            ports.cache.version_unreadable(now);
        }
    }
}

/// After a change to what isolates keep, made here: this isolate drops its entries at
/// once, every other within its check interval. If the version cannot be moved, the
/// others catch up within the time to live (logged).
pub async fn changed(ports: &Ports<'_>) {
    ports.cache.clear();
    match ports.cache_version.bump().await {
        // Already seen here: this isolate does not drop its next entries again.
        Ok(version) => ports.cache.observe_version(version, ports.clock.now()),
        Err(err) => ports
            .diagnostics
            .log(&format!("cache version not moved: {err:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_key_that_cannot_be_read_fails_no_request() {
        struct Down;
        #[async_trait::async_trait(?Send)]
        impl crate::ports::CacheVersion for Down {
            async fn current(&self) -> Result<u64, crate::ports::StoreError> {
                Err(crate::ports::StoreError::Unavailable("down".into()))
            }
            async fn bump(&self) -> Result<u64, crate::ports::StoreError> {
                Err(crate::ports::StoreError::Unavailable("down".into()))
            }
        }
        let t = crate::testing::TestPorts::with_cache_ttl(60);
        let ports = Ports {
            cache_version: &Down,
            ..t.ports()
        };
        let found = pollster::block_on(crate::client_lookup::find(&ports, "demo")).unwrap();
        assert!(found.is_some());
        pollster::block_on(crate::oauth::keys::rotate_if_older_than(&ports, 0)).unwrap();
        assert!(pollster::block_on(crate::oauth::keys::load(&ports)).is_ok());
        let logged = t.diagnostics.0.borrow().join("\n");
        assert!(logged.contains("cache version unreadable"), "{logged}");
        assert!(logged.contains("cache version not moved"), "{logged}");
    }
}
