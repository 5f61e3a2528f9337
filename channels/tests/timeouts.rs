//! try_/timeout forms: they hand values back, and an operation that timed out consumed
//! nothing (its waiter is gone from the queue).
mod common;
use common::*;
use rungo_channels::{RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError, chan};
use std::time::{Duration, Instant};

#[test]
fn try_send_full_hands_back() {
    let ch = chan::<Vec<u8>>(1);
    ch.try_send(vec![1]).unwrap();
    match ch.try_send(vec![2]) {
        Err(TrySendError::Full(v)) => assert_eq!(v, vec![2]),
        other => panic!("{other:?}"),
    }
    let u = chan::<u8>(0);
    assert_eq!(u.try_send(3).unwrap_err().into_inner(), 3);
    assert_eq!(u.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn timeouts_expire_and_are_not_too_early() {
    let ch = chan::<u8>(0);
    let t0 = Instant::now();
    assert_eq!(
        ch.recv_timeout(Duration::from_millis(30)),
        Err(RecvTimeoutError::Timeout)
    );
    assert!(t0.elapsed() >= Duration::from_millis(30));
    let t0 = Instant::now();
    assert_eq!(
        ch.send_timeout(9, Duration::from_millis(30)),
        Err(SendTimeoutError::Timeout(9))
    );
    assert!(t0.elapsed() >= Duration::from_millis(30));
}

#[test]
fn timed_out_sender_leaves_no_value_behind() {
    let ch = chan::<u8>(0);
    assert!(ch.send_timeout(1, Duration::from_millis(5)).is_err());
    // A later receiver must not see the value of the timed-out send.
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    let c = ch.clone();
    let t = spawn_mixed(0, move || c.send(2));
    assert_eq!(ch.recv_timeout(SOON), Ok(2));
    t.join();
}

#[test]
fn timed_out_receiver_takes_nothing() {
    let ch = chan::<u8>(0);
    assert!(ch.recv_timeout(Duration::from_millis(5)).is_err());
    // The stale receiver must not swallow a later send.
    assert!(ch.try_send(1).is_err());
    let c = ch.clone();
    let t = spawn_mixed(1, move || c.recv());
    ch.send(7);
    assert_eq!(t.join(), Some(7));
}

#[test]
fn timeout_races_deliver_exactly_once() {
    // Receivers with tiny timeouts race a sender that uses send_timeout too: every value is
    // either received or handed back, never both, never lost.
    let ch = chan::<u64>(0);
    let c = ch.clone();
    let sender = spawn_mixed(0, move || {
        let mut back = Vec::new();
        for i in 0..3000u64 {
            if let Err(e) = c.send_timeout(i, Duration::from_micros(50)) {
                back.push(e.into_inner());
            }
        }
        back
    });
    let mut got = Vec::new();
    let deadline = Instant::now() + SOON;
    while !sender.is_done_hint() && Instant::now() < deadline {
        if let Ok(v) = ch.recv_timeout(Duration::from_micros(30)) {
            got.push(v);
        }
        if got.len() + 1 >= 3000 {
            break;
        }
    }
    // Drain whatever remains until the sender finishes.
    let c2 = ch.clone();
    let drainer = spawn_mixed(1, move || {
        let mut v = Vec::new();
        while let Ok(x) = c2.recv_timeout(Duration::from_millis(100)) {
            v.push(x);
        }
        v
    });
    let back = sender.join();
    got.extend(drainer.join());
    let mut all: Vec<u64> = got.into_iter().chain(back).collect();
    all.sort();
    assert_eq!(all, (0..3000).collect::<Vec<_>>());
}

trait DoneHint {
    fn is_done_hint(&self) -> bool;
}
impl<T> DoneHint for Task<T> {
    fn is_done_hint(&self) -> bool {
        match self {
            Task::Co(h) => h.is_finished(),
            Task::Thread(h) => h.is_finished(),
        }
    }
}
