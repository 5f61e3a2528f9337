//! The close rules: each panic (with Go's message) and each return.
mod common;
use common::*;
use rungo_channels::{
    Chan, CloseError, RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError, chan,
};
use std::panic::{AssertUnwindSafe, catch_unwind};

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn send_on_closed_channel_panics() {
    let ch = chan::<i32>(1);
    ch.close();
    assert_eq!(panic_message(|| ch.send(1)), "send on closed channel");
}

#[test]
fn close_of_closed_channel_panics() {
    let ch = chan::<i32>(0);
    ch.close();
    assert_eq!(panic_message(|| ch.close()), "close of closed channel");
    assert_eq!(ch.try_close(), Err(CloseError::AlreadyClosed));
}

#[test]
fn close_of_nil_channel_panics() {
    let ch = Chan::<i32>::nil();
    assert_eq!(panic_message(|| ch.close()), "close of nil channel");
    assert_eq!(ch.try_close(), Err(CloseError::Nil));
}

#[test]
fn blocked_sender_panics_when_closed() {
    for kind in 0..2 {
        for cap in [0usize, 1] {
            let ch = chan::<i32>(cap);
            if cap == 1 {
                ch.send(0);
            }
            let c = ch.clone();
            let t = spawn_mixed(kind, move || panic_message(|| c.send(1)));
            pause();
            ch.close();
            assert_eq!(t.join(), "send on closed channel");
        }
    }
}

#[test]
fn buffered_values_survive_close() {
    let ch = chan::<i32>(3);
    ch.send(1);
    ch.send(2);
    ch.close();
    assert_eq!(ch.len(), 2);
    assert_eq!(ch.recv(), Some(1));
    assert_eq!(ch.try_recv(), Ok(2));
    assert_eq!(ch.recv(), None);
    assert_eq!(ch.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(ch.recv_timeout(SOON), Err(RecvTimeoutError::Closed));
}

#[test]
fn blocked_receivers_wake_with_none() {
    let ch = chan::<i32>(0);
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let c = ch.clone();
            spawn_mixed(i, move || c.recv())
        })
        .collect();
    pause();
    ch.close();
    for t in tasks {
        assert_eq!(t.join(), None);
    }
}

#[test]
fn try_forms_hand_the_value_back_on_close() {
    let ch = chan::<String>(1);
    ch.close();
    match ch.try_send("a".into()) {
        Err(TrySendError::Closed(v)) => assert_eq!(v, "a"),
        other => panic!("unexpected {other:?}"),
    }
    match ch.send_timeout("b".into(), SOON) {
        Err(SendTimeoutError::Closed(v)) => assert_eq!(v, "b"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn send_timeout_hands_value_back_when_closed_while_waiting() {
    let ch = chan::<String>(0);
    let c = ch.clone();
    let t = spawn_mixed(0, move || c.send_timeout("x".into(), SOON));
    pause();
    ch.close();
    match t.join() {
        Err(SendTimeoutError::Closed(v)) => assert_eq!(v, "x"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn sender_view_can_close_receiver_sees_it() {
    let ch = chan::<u8>(0);
    let (tx, rx) = (ch.sender(), ch.receiver());
    tx.close();
    assert_eq!(rx.recv(), None);
}
