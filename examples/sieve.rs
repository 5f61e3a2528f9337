//! The concurrent prime sieve from the Go distribution: a chain of filter coroutines, one per
//! prime found so far; prints the first 100 primes.
use rungo::prelude::*;

// Send the sequence 2, 3, 4, ... to channel 'ch'.
fn generate(ch: Sender<u32>) {
    for i in 2.. {
        ch.send(i); // Send 'i' to channel 'ch'.
    }
}

// Copy the values from channel 'in' to channel 'out',
// removing those divisible by 'prime'.
fn filter(input: Receiver<u32>, out: Sender<u32>, prime: u32) {
    loop {
        let i = input.recv().unwrap(); // Receive value from 'in'.
        if i % prime != 0 {
            out.send(i); // Send 'i' to 'out'.
        }
    }
}

// The prime sieve: Daisy-chain Filter processes.
fn main() {
    rungo::run(|| {
        let mut ch = chan(0); // Create a new channel.
        go!(generate, ch.sender()); // Launch Generate coroutine.
        for _ in 0..100 {
            let prime = ch.recv().unwrap();
            println!("{prime}");
            let ch1 = chan(0);
            go!(filter, ch.receiver(), ch1.sender(), prime);
            ch = ch1;
        }
    })
}
