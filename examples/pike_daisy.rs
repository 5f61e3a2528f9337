//! Pike, Go Concurrency Patterns: Chinese whispers, a daisy chain of 100,000 coroutines, each
//! adding one to what its right neighbour whispers.
use rungo::prelude::*;

fn f(left: Chan<i32>, right: Chan<i32>) {
    left.send(1 + right.recv().unwrap());
}

fn main() {
    rungo::run(|| {
        const N: usize = 100_000;
        let leftmost = chan(0);
        let mut left = leftmost.clone();
        for _ in 0..N {
            let right = chan(0);
            go!(f, left, right.clone());
            left = right;
        }
        go!(|c: Chan<i32>| c.send(1), left);
        println!("{}", leftmost.recv().unwrap());
    })
}
