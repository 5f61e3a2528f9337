//! A Tour of Go: sync.Mutex, SafeCounter (twin: `go/tour_safe_counter.go`).
use rungo::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// SafeCounter is safe to use concurrently: the map lives inside the mutex.
#[derive(Default)]
struct SafeCounter {
    v: Mutex<HashMap<String, i32>>,
}

impl SafeCounter {
    /// Increments the counter for the given key.
    fn inc(&self, key: &str) {
        // Lock so only one coroutine at a time can access the map c.v.
        *self.v.lock().entry(key.to_string()).or_default() += 1;
    }

    /// Returns the current value of the counter for the given key.
    fn value(&self, key: &str) -> i32 {
        // Lock so only one coroutine at a time can access the map c.v.
        self.v.lock().get(key).copied().unwrap_or(0)
    }
}

fn main() {
    run(|| {
        let c = Arc::new(SafeCounter::default());
        let wg = WaitGroup::new();
        for _ in 0..1000 {
            let c = c.clone();
            wg.go(move || c.inc("somekey"));
        }

        wg.wait();
        println!("{}", c.value("somekey"));
    })
}
