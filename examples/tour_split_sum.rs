//! A Tour of Go: Channels, a sum split over two coroutines (twin: `go/tour_split_sum.go`).
use rungo::prelude::*;

fn sum(s: Vec<i32>, c: Chan<i32>) {
    let sum = s.iter().sum();
    c.send(sum); // send sum to c
}

fn main() {
    run(|| {
        let s = [7, 2, 8, -9, 4, 0];

        let c = chan::<i32>(0);
        go!(sum, s[..s.len() / 2].to_vec(), c.clone());
        go!(sum, s[s.len() / 2..].to_vec(), c.clone());
        let (x, y) = (c.recv().unwrap(), c.recv().unwrap()); // receive from c

        println!("{} {} {}", x.min(y), x.max(y), x + y);
    })
}
