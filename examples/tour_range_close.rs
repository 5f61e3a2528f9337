//! A Tour of Go: Range and Close (twin: `go/tour_range_close.go`).
use rungo::prelude::*;

fn fibonacci(n: usize, c: Chan<u64>) {
    let (mut x, mut y) = (0, 1);
    for _ in 0..n {
        c.send(x);
        (x, y) = (y, x + y);
    }
    c.close();
}

fn main() {
    run(|| {
        let c = chan::<u64>(10);
        go!(fibonacci, c.cap(), c.clone());
        for i in &c {
            println!("{i}");
        }
    })
}
