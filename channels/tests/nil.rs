//! Go's nil channel: operations block forever, select never chooses it, and setting a case's
//! channel to nil disables that case.
mod common;
use common::*;
use rungo_channels::{
    Chan, RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError, chan, select,
};
use std::time::Duration;

#[test]
fn nil_operations_block() {
    let ch = Chan::<i32>::nil();
    assert!(ch.is_nil());
    assert_eq!((ch.len(), ch.cap()), (0, 0));
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(ch.try_send(1), Err(TrySendError::Full(1)));
    let d = Duration::from_millis(10);
    assert_eq!(ch.recv_timeout(d), Err(RecvTimeoutError::Timeout));
    assert_eq!(ch.send_timeout(2, d), Err(SendTimeoutError::Timeout(2)));
}

#[test]
fn nil_blocks_forever_in_a_task() {
    let ch = Chan::<i32>::nil();
    let c = ch.clone();
    let h = rungo_runtime::spawn(move || c.recv());
    pause();
    assert!(!h.is_finished());
    // The task stays blocked; it is leaked like a goroutine blocked on nil.
}

#[test]
fn select_never_chooses_nil() {
    let nil = Chan::<i32>::nil();
    let ready = chan::<i32>(1);
    for _ in 0..200 {
        ready.send(5);
        let r = select! {
            recv(nil) -> _ => "nil",
            send(nil, 1) => "nil send",
            recv(ready) -> v => { assert_eq!(v, Some(5)); "ready" },
        };
        assert_eq!(r, "ready");
    }
    let r = select! {
        recv(nil) -> _ => 1,
        default => 2,
    };
    assert_eq!(r, 2);
}

#[test]
fn disabling_cases_by_setting_nil() {
    // Merge two channels until both are closed, the Go idiom `a = nil` on close.
    let mut a = chan::<u32>(0);
    let mut b = chan::<u32>(0);
    let (a2, b2) = (a.clone(), b.clone());
    let ta = spawn_mixed(0, move || {
        for i in 0..100 {
            a2.send(i);
        }
        a2.close();
    });
    let tb = spawn_mixed(1, move || {
        for i in 100..200 {
            b2.send(i);
        }
        b2.close();
    });
    let mut got = Vec::new();
    while !a.is_nil() || !b.is_nil() {
        select! {
            recv(a) -> v => match v { Some(v) => got.push(v), None => a = Chan::nil() },
            recv(b) -> v => match v { Some(v) => got.push(v), None => b = Chan::nil() },
        }
    }
    ta.join();
    tb.join();
    got.sort();
    assert_eq!(got, (0..200).collect::<Vec<_>>());
}

#[test]
fn select_with_only_nil_cases_and_timeout_channel() {
    let nil = Chan::<()>::nil();
    let r = select! {
        recv(nil) => false,
        recv(rungo_channels::time::after(Duration::from_millis(5))) => true,
    };
    assert!(r);
}
