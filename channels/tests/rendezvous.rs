//! Unbuffered channels are a rendezvous: the sender returns only after a receiver took the
//! value; works between coroutines, threads, and a mix.
mod common;
use common::*;
use rungo_channels::chan;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn sender_waits_for_receiver() {
    for kind in 0..2 {
        let ch = chan::<u32>(0);
        let sent = Arc::new(AtomicBool::new(false));
        let (c, s) = (ch.clone(), sent.clone());
        let t = spawn_mixed(kind, move || {
            c.send(1);
            s.store(true, Ordering::SeqCst);
        });
        pause();
        assert!(
            !sent.load(Ordering::SeqCst),
            "unbuffered send completed without a receiver"
        );
        assert_eq!(ch.recv(), Some(1));
        t.join();
        assert!(sent.load(Ordering::SeqCst));
    }
}

#[test]
fn receiver_waits_for_sender() {
    for kind in 0..2 {
        let ch = chan::<String>(0);
        let c = ch.clone();
        let t = spawn_mixed(kind, move || c.recv());
        pause();
        ch.send("hello".to_string());
        assert_eq!(t.join().as_deref(), Some("hello"));
    }
}

#[test]
fn ping_pong_mixed() {
    let ping = chan::<u64>(0);
    let pong = chan::<u64>(0);
    let (pi, po) = (ping.clone(), pong.clone());
    let t = spawn_mixed(0, move || {
        for v in &pi {
            po.send(v + 1);
        }
    });
    for i in 0..2000u64 {
        ping.send(i);
        assert_eq!(pong.recv(), Some(i + 1));
    }
    ping.close();
    t.join();
}

#[test]
fn len_and_cap() {
    let u = chan::<i32>(0);
    assert_eq!((u.len(), u.cap()), (0, 0));
    let b = chan::<i32>(3);
    b.send(1);
    b.send(2);
    assert_eq!((b.len(), b.cap()), (2, 3));
    assert!(!b.is_empty());
}

#[test]
fn handles_compare_like_go_channels() {
    let a = chan::<i32>(0);
    let b = chan::<i32>(0);
    assert_eq!(a, a.clone());
    assert_ne!(a, b);
    assert_eq!(rungo_channels::Chan::<i32>::nil(), Default::default());
    assert_eq!(a.sender(), a.clone().into());
}
