//! A select that blocks enqueues its cases in a random order, as Go does (`selectgo` enqueues in
//! `lockorder`, derived from the random `pollorder`), so the peer that arrives later does not
//! always complete the first case written. Cases over one channel make it visible: the peer
//! takes whichever of the select's waiters comes first in that channel's queue.
//!
//! The peer uses `try_recv`/`try_send`, which succeed only against a *blocked* select (a
//! non-blocking peer never waits, so the select's own poll cannot meet it): every round
//! observes the enqueue order, with no timing involved.
mod common;

use common::spawn_mixed;
use rungo_channels::{Chan, Select, TryRecvError, TrySendError, chan, select};

const ROUNDS: usize = 100;
/// Each of two outcomes must show up at least this often in `ROUNDS` fair coin flips: the
/// chance of fewer is below 1e-16, while a fixed order gives one outcome every time.
const AT_LEAST: usize = 10;

/// Takes a value from a blocked sender, waiting (by yielding) for one to be queued.
fn recv_from_blocked(ch: &Chan<usize>) -> usize {
    loop {
        match ch.try_recv() {
            Ok(v) => return v,
            Err(TryRecvError::Empty) => rungo_runtime::yield_now(),
            Err(TryRecvError::Closed) => panic!("closed"),
        }
    }
}

/// Gives a value to a blocked receiver, waiting (by yielding) for one to be queued.
fn send_to_blocked(ch: &Chan<usize>, v: usize) {
    let mut v = v;
    loop {
        match ch.try_send(v) {
            Ok(()) => return,
            Err(TrySendError::Full(back)) => {
                v = back;
                rungo_runtime::yield_now();
            }
            Err(TrySendError::Closed(_)) => panic!("closed"),
        }
    }
}

fn assert_both(counts: [usize; 2], what: &str) {
    assert!(
        counts[0] >= AT_LEAST && counts[1] >= AT_LEAST,
        "{what}: a blocked select must enqueue its cases in a random order, got {counts:?}"
    );
}

#[test]
fn blocked_select_of_two_sends_on_one_channel_delivers_both() {
    let mut counts = [0; 2];
    for round in 0..ROUNDS {
        let ch = chan::<usize>(0);
        let c = ch.clone();
        let t = spawn_mixed(round, move || {
            select! {
                send(c, 0) => {},
                send(c, 1) => {},
            }
        });
        counts[recv_from_blocked(&ch)] += 1;
        t.join();
    }
    assert_both(counts, "select! sends");
}

#[test]
fn blocked_select_of_two_receives_on_one_channel_fires_both() {
    let mut counts = [0; 2];
    for round in 0..ROUNDS {
        let ch = chan::<usize>(0);
        let c = ch.clone();
        let t = spawn_mixed(round, move || {
            select! {
                recv(c) -> v => { assert_eq!(v, Some(7)); 0 },
                recv(c) -> v => { assert_eq!(v, Some(7)); 1 },
            }
        });
        send_to_blocked(&ch, 7);
        counts[t.join()] += 1;
    }
    assert_both(counts, "select! receives");
}

#[test]
fn blocked_dynamic_select_of_two_sends_on_one_channel_delivers_both() {
    let mut counts = [0; 2];
    for round in 0..ROUNDS {
        let ch = chan::<usize>(0);
        let c = ch.clone();
        let t = spawn_mixed(round, move || {
            let mut sel = Select::new();
            sel.send(&c, 0usize);
            sel.send(&c, 1usize);
            let i = sel.select();
            assert_eq!(
                sel.take_unsent::<usize>(i),
                None,
                "the chosen value was sent"
            );
            assert_eq!(
                sel.take_unsent::<usize>(1 - i),
                Some(1 - i),
                "the other one is back"
            );
            i
        });
        let v = recv_from_blocked(&ch);
        assert_eq!(
            t.join(),
            v,
            "the chosen case is the one whose value arrived"
        );
        counts[v] += 1;
    }
    assert_both(counts, "Select sends");
}
