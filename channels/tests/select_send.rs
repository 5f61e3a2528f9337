//! Select with send cases, and the rule that a losing case never consumes a value: the
//! regression test for the `may` crate's issue 102 (a select lost values sent on the channel
//! of a case that did not win).
mod common;
use common::*;
use rungo_channels::{Select, chan, select, time::after};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[test]
fn send_case_rendezvous() {
    let ch = chan::<u32>(0);
    let c = ch.clone();
    let t = spawn_mixed(0, move || c.recv());
    let other = chan::<u32>(0);
    select! {
        send(ch, 42) => {},
        recv(other) => panic!("nothing is sent on other"),
    }
    assert_eq!(t.join(), Some(42));
}

#[test]
fn blocked_select_send_completes_when_receiver_arrives() {
    let ch = chan::<u32>(0);
    let c = ch.clone();
    let t = spawn_mixed(1, move || {
        let never = chan::<u32>(0);
        select! {
            send(c, 7) => "sent",
            recv(never) => "never",
        }
    });
    pause();
    assert_eq!(ch.recv(), Some(7));
    assert_eq!(t.join(), "sent");
}

/// Counts drops, to prove a value is dropped exactly once.
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn losing_send_value_is_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let full = chan::<Counted>(0);
    let ready = chan::<u8>(1);
    ready.send(1);
    select! {
        send(full, Counted(drops.clone())) => panic!("no receiver"),
        recv(ready) => {},
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn losing_send_value_handed_back_by_dynamic_select() {
    let full = chan::<String>(0);
    let ready = chan::<u8>(1);
    ready.send(1);
    let mut sel = Select::new();
    let s = sel.send(&full, "mine".to_string());
    let r = sel.recv(&ready);
    assert_eq!(sel.select(), r);
    assert_eq!(sel.take_unsent::<String>(s).as_deref(), Some("mine"));
}

#[test]
fn blocked_losing_send_gets_value_back() {
    // The select blocks with a send case registered on `full`; it then wins through `wake`;
    // the value registered on `full` must come back, and a later receiver on `full` must not
    // see it.
    for kind in 0..2 {
        let full = chan::<String>(0);
        let wake = chan::<()>(0);
        let (f, w) = (full.clone(), wake.clone());
        let t = spawn_mixed(kind, move || {
            let mut sel = Select::new();
            let s = sel.send(&f, "value".to_string());
            let r = sel.recv(&w);
            let i = sel.select();
            assert_eq!(i, r);
            sel.take_unsent::<String>(s)
        });
        pause();
        wake.send(());
        assert_eq!(t.join().as_deref(), Some("value"));
        assert!(full.try_recv().is_err());
    }
}

#[test]
fn may_issue_102_losing_case_never_consumes() {
    // Producers send numbered values on two unbuffered channels; a consumer selects between
    // them (and a short timeout, so that many selects abort and dequeue while a sender is
    // mid-handoff). Every value must be received exactly once.
    const PER: u64 = 3000;
    let a = chan::<u64>(0);
    let b = chan::<u64>(0);
    let (a2, b2) = (a.clone(), b.clone());
    let pa = spawn_mixed(0, move || (0..PER).for_each(|i| a2.send(i)));
    let pb = spawn_mixed(1, move || (PER..2 * PER).for_each(|i| b2.send(i)));
    let mut seen = vec![false; 2 * PER as usize];
    let mut n = 0;
    while n < 2 * PER {
        let v = select! {
            recv(a) -> v => v,
            recv(b) -> v => v,
            recv(after(Duration::from_micros(20))) => None,
        };
        if let Some(v) = v {
            assert!(!seen[v as usize], "value {v} received twice");
            seen[v as usize] = true;
            n += 1;
        }
    }
    pa.join();
    pb.join();
    assert!(seen.iter().all(|&s| s));
}

#[test]
fn competing_selects_on_one_channel() {
    // Several selecting receivers compete for one sender's values; all arrive exactly once.
    const N: u64 = 4000;
    let ch = chan::<u64>(0);
    let quit = chan::<()>(0);
    let results = chan::<Vec<u64>>(4);
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let (c, q, r) = (ch.clone(), quit.clone(), results.clone());
            spawn_mixed(i, move || {
                let other = chan::<u64>(0);
                let mut got = Vec::new();
                loop {
                    select! {
                        recv(c) -> v => got.push(v.unwrap()),
                        recv(other) -> _ => unreachable!(),
                        recv(q) => break,
                    }
                }
                r.send(got);
            })
        })
        .collect();
    for i in 0..N {
        ch.send(i);
    }
    quit.close();
    let mut all: Vec<u64> = (0..4).flat_map(|_| results.recv().unwrap()).collect();
    for t in tasks {
        t.join();
    }
    all.sort();
    assert_eq!(all, (0..N).collect::<Vec<_>>());
}

#[test]
fn select_send_and_recv_on_same_channel_pair() {
    // Two tasks each select {send x on c, recv from c}: they must pair up (one sends, the
    // other receives), never match themselves.
    for _ in 0..200 {
        let c = chan::<u8>(0);
        let tasks: Vec<_> = (0..2)
            .map(|i| {
                let c = c.clone();
                spawn_mixed(i, move || {
                    select! {
                        send(c, i as u8) => None,
                        recv(c) -> v => v,
                    }
                })
            })
            .collect();
        let r: Vec<Option<u8>> = tasks.into_iter().map(|t| t.join()).collect();
        assert_eq!(r.iter().filter(|x| x.is_some()).count(), 1, "{r:?}");
    }
}

#[test]
fn select_send_on_closed_panics() {
    let c = chan::<u8>(0);
    c.close();
    let r = std::panic::catch_unwind(|| {
        select! {
            send(c, 1) => {},
        }
    });
    let e = r.expect_err("must panic");
    assert_eq!(
        e.downcast_ref::<&str>().copied(),
        Some("send on closed channel")
    );
}

#[test]
fn select_recv_sees_close() {
    let c = chan::<u8>(0);
    let c2 = c.clone();
    let t = spawn_mixed(0, move || {
        let never = chan::<u8>(0);
        select! {
            recv(c2) -> v => v,
            recv(never) -> v => v,
        }
    });
    pause();
    c.close();
    assert_eq!(t.join(), None);
}

#[test]
fn empty_select_blocks_forever() {
    let h = rungo_runtime::spawn(|| -> () {
        select! {}
    });
    pause();
    assert!(!h.is_finished());
}
