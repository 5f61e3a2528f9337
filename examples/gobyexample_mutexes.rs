//! Go by Example: Mutexes (twin: `go/gobyexample_mutexes.go`).
use rungo::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

struct Container {
    counters: Mutex<HashMap<&'static str, i32>>,
}

impl Container {
    fn inc(&self, name: &'static str) {
        let mut counters = self.counters.lock();
        *counters.entry(name).or_default() += 1;
    }
}

fn main() {
    run(|| {
        let c = Arc::new(Container {
            counters: Mutex::new(HashMap::from([("a", 0), ("b", 0)])),
        });

        let wg = WaitGroup::new();

        let do_increment = {
            let (c, wg) = (c.clone(), wg.clone());
            move |name, n| {
                for _ in 0..n {
                    c.inc(name);
                }
                wg.done();
            }
        };

        wg.add(3);
        go!(do_increment.clone(), "a", 10000);
        go!(do_increment.clone(), "a", 10000);
        go!(do_increment, "b", 10000);

        wg.wait();
        let counters = c.counters.lock();
        println!("a: {} b: {}", counters["a"], counters["b"]);
    })
}
