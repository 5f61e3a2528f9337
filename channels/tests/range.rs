//! `for v in &ch` is Go's `for v := range ch`: it yields values until close, then stops.
mod common;
use common::*;
use rungo_channels::{Receiver, chan};

#[test]
fn range_until_close() {
    for cap in [0usize, 1, 16] {
        let ch = chan::<u32>(cap);
        let c = ch.clone();
        let t = spawn_mixed(cap, move || {
            for i in 0..100 {
                c.send(i);
            }
            c.close();
        });
        let mut sum = 0;
        for v in &ch {
            sum += v;
        }
        assert_eq!(sum, 4950);
        t.join();
    }
}

#[test]
fn range_over_receiver_and_owned() {
    let ch = chan::<String>(3);
    ch.send("a".into());
    ch.send("b".into());
    ch.close();
    let rx: Receiver<String> = ch.receiver();
    let v: Vec<String> = rx.into_iter().collect();
    assert_eq!(v, ["a", "b"]);
    assert_eq!(ch.into_iter().count(), 0);
}

#[test]
fn many_rangers_share_the_values() {
    let ch = chan::<u64>(4);
    let total = chan::<u64>(8);
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let (c, t) = (ch.clone(), total.clone());
            spawn_mixed(i, move || t.send(c.iter().sum()))
        })
        .collect();
    for i in 1..=1000 {
        ch.send(i);
    }
    ch.close();
    let s: u64 = (0..4).map(|_| total.recv().unwrap()).sum();
    assert_eq!(s, 500500);
    for t in tasks {
        t.join();
    }
}
