//! Values are dropped exactly once: those left in a dropped channel, those of a send that
//! panicked on close, and those of select send cases that lost.
mod common;
use common::*;
use rungo_channels::{chan, select};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn values_left_in_dropped_channel() {
    let drops = Arc::new(AtomicUsize::new(0));
    let ch = chan::<Counted>(8);
    for _ in 0..5 {
        ch.send(Counted(drops.clone()));
    }
    drop(ch.recv());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    let c2 = ch.clone();
    drop(ch);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(c2);
    assert_eq!(drops.load(Ordering::SeqCst), 5);
}

#[test]
fn closed_channel_keeps_then_drops() {
    let drops = Arc::new(AtomicUsize::new(0));
    let ch = chan::<Counted>(3);
    ch.send(Counted(drops.clone()));
    ch.send(Counted(drops.clone()));
    ch.close();
    let err = ch.try_send(Counted(drops.clone())).unwrap_err();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(err);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(ch);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

#[test]
fn panicking_send_drops_its_value_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let ch = chan::<Counted>(0);
    let (c, d) = (ch.clone(), drops.clone());
    let t = spawn_mixed(0, move || {
        catch_unwind(AssertUnwindSafe(|| c.send(Counted(d)))).is_err()
    });
    pause();
    ch.close();
    assert!(t.join());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn blocked_select_losing_sends_drop_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let full1 = chan::<Counted>(0);
    let full2 = chan::<Counted>(0);
    let wake = chan::<()>(0);
    let (f1, f2, w, d) = (full1.clone(), full2.clone(), wake.clone(), drops.clone());
    let t = spawn_mixed(1, move || {
        select! {
            send(f1, Counted(d.clone())) => 1,
            send(f2, Counted(d.clone())) => 2,
            recv(w) => 3,
        }
    });
    pause();
    wake.send(());
    assert_eq!(t.join(), 3);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    drop((full1, full2));
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}
