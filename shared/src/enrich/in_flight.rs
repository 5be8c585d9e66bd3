//! One enrichment of a product at a time in this process. Duplicate deliveries of the same
//! work arrive together (a redelivered page beside the original, two pages naming the same
//! product): without this, each would read the product as not enriched and ask the provider,
//! paying twice for one answer. The second waits for the first, then reads the product again
//! and finds it current.
//!
//! The scope is the process: two instances that get duplicates at the same moment can still
//! both ask (the store's compare-and-set keeps one answer).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use tokio::sync::OwnedMutexGuard;

type Locks = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;

static IN_FLIGHT: LazyLock<Locks> = LazyLock::new(Locks::default);

/// The turn to enrich one product; the next waiter goes on when it is dropped.
#[derive(Debug)]
pub struct Turn {
    key: String,
    _guard: OwnedMutexGuard<()>,
}

/// Waits for the turn to enrich `key` (tenant and SKU).
pub async fn turn(key: String) -> Turn {
    let lock = {
        let mut locks = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(locks.entry(key.clone()).or_default())
    };
    Turn {
        key,
        _guard: lock.lock_owned().await,
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut locks = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
        // The map's handle and this turn's guard: nobody else waits, so the entry goes.
        if locks
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 2)
        {
            locks.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_second_turn_for_the_same_product_waits_for_the_first_and_others_do_not() {
        let first = turn("t/in-flight-a".into()).await;
        let other = tokio::time::timeout(Duration::from_millis(200), turn("t/in-flight-b".into()));
        assert!(other.await.is_ok(), "another product goes at once");
        let second = tokio::spawn(turn("t/in-flight-a".into()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "the same product waits");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(2), second).await;
        drop(second.expect("its turn came").expect("joined"));
        let locks = IN_FLIGHT.lock().unwrap();
        assert!(
            !locks.contains_key("t/in-flight-a"),
            "the entry is gone once nobody waits"
        );
    }
}
