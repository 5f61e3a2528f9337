//! Stress: many producers and consumers (coroutines and threads mixed) over unbuffered and
//! buffered channels, with close racing sends and receives. Every value is received exactly
//! once or handed back to its sender (a send that panicked on close counts as handed back
//! only if it never arrived). No deadlock: every join has to return.
mod common;
use common::*;
use rungo_channels::{Select, TrySendError, chan, select};
use rungo_testkit::Rng;
use rungo_testkit::child::in_child;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

fn mpmc(cap: usize, producers: usize, consumers: usize, per: u64) {
    let ch = chan::<u64>(cap);
    let prods: Vec<_> = (0..producers)
        .map(|p| {
            let c = ch.clone();
            spawn_mixed(p, move || {
                for i in 0..per {
                    c.send(p as u64 * per + i);
                }
            })
        })
        .collect();
    let cons: Vec<_> = (0..consumers)
        .map(|k| {
            let c = ch.clone();
            spawn_mixed(k + 1, move || c.iter().collect::<Vec<u64>>())
        })
        .collect();
    for p in prods {
        p.join();
    }
    ch.close();
    let mut all: Vec<u64> = cons.into_iter().flat_map(|c| c.join()).collect();
    all.sort_unstable();
    assert_eq!(all.len() as u64, producers as u64 * per, "cap {cap}");
    assert!(
        all.iter().enumerate().all(|(i, &v)| i as u64 == v),
        "cap {cap}"
    );
}

#[test]
fn mpmc_unbuffered() {
    mpmc(0, 4, 4, 3000);
}

#[test]
fn mpmc_buffered() {
    mpmc(1, 4, 4, 3000);
    mpmc(16, 3, 5, 5000);
}

/// Close races senders, receivers and selects. A sender records what it sent successfully;
/// values whose send panicked or was refused are "handed back". Sent = received, exactly.
#[test]
fn close_races_sends_and_receives() {
    let mut rng = Rng::new(7);
    for round in 0..40 {
        let cap = [0usize, 1, 4][round % 3];
        let ch = chan::<u64>(cap);
        let producers = 1 + rng.below(4) as usize;
        let per = 200u64;
        let prods: Vec<_> = (0..producers)
            .map(|p| {
                let c = ch.clone();
                let mode = rng.below(3);
                spawn_mixed(p + round, move || {
                    let mut sent = Vec::new();
                    for i in 0..per {
                        let v = p as u64 * per + i;
                        match mode {
                            0 => {
                                if catch_unwind(AssertUnwindSafe(|| c.send(v))).is_err() {
                                    break; // send on closed channel: v was not delivered
                                }
                                sent.push(v);
                            }
                            1 => match c.send_timeout(v, Duration::from_millis(2)) {
                                Ok(()) => sent.push(v),
                                Err(e) if e.is_closed() => break,
                                Err(_) => {}
                            },
                            _ => match c.try_send(v) {
                                Ok(()) => sent.push(v),
                                Err(TrySendError::Closed(_)) => break,
                                Err(TrySendError::Full(_)) => rungo_runtime::yield_now(),
                            },
                        }
                    }
                    sent
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|k| {
                let c = ch.clone();
                spawn_mixed(k + round + 1, move || {
                    let mut got = Vec::new();
                    let other = chan::<u64>(0);
                    loop {
                        let v = if k == 0 {
                            c.recv()
                        } else {
                            select! {
                                recv(c) -> v => v,
                                recv(other) -> v => v,
                            }
                        };
                        match v {
                            Some(v) => got.push(v),
                            None => break,
                        }
                    }
                    got
                })
            })
            .collect();
        rungo_runtime::sleep(Duration::from_micros(rng.below(3000)));
        ch.close();
        let mut sent: Vec<u64> = prods.into_iter().flat_map(|p| p.join()).collect();
        let mut got: Vec<u64> = consumers.into_iter().flat_map(|c| c.join()).collect();
        sent.sort_unstable();
        got.sort_unstable();
        assert_eq!(sent, got, "round {round} cap {cap}");
    }
}

#[test]
fn select_fan_in_stress() {
    // Producers on 3 channels, consumers selecting over all 3 plus send-acks on a 4th.
    const PER: u64 = 1500;
    let ins: Vec<_> = (0..3).map(chan::<u64>).collect();
    let acks = chan::<u64>(0);
    let prods: Vec<_> = ins
        .iter()
        .enumerate()
        .map(|(p, c)| {
            let c = c.clone();
            spawn_mixed(p, move || {
                for i in 0..PER {
                    c.send(p as u64 * PER + i);
                }
                c.close();
            })
        })
        .collect();
    let (a, b, c) = (ins[0].clone(), ins[1].clone(), ins[2].clone());
    let ack2 = acks.clone();
    let consumer = spawn_mixed(1, move || {
        let (mut a, mut b, mut c) = (a, b, c);
        let mut pending: Vec<u64> = Vec::new();
        let nil = rungo_channels::Chan::<u64>::nil();
        while !(a.is_nil() && b.is_nil() && c.is_nil() && pending.is_empty()) {
            // Go's idiom: enable the send case only when there is something to send.
            let out = if pending.is_empty() { &nil } else { &ack2 };
            let next = pending.last().copied().unwrap_or(0);
            select! {
                recv(a) -> v => match v { Some(v) => pending.push(v), None => a = rungo_channels::Chan::nil() },
                recv(b) -> v => match v { Some(v) => pending.push(v), None => b = rungo_channels::Chan::nil() },
                recv(c) -> v => match v { Some(v) => pending.push(v), None => c = rungo_channels::Chan::nil() },
                send(out, next) => { pending.pop(); },
            }
        }
        ack2.close();
    });
    let mut got: Vec<u64> = acks.iter().collect();
    for p in prods {
        p.join();
    }
    consumer.join();
    got.sort_unstable();
    assert_eq!(got, (0..3 * PER).collect::<Vec<_>>());
}

/// Timeouts race transfers: every blocked operation may give up at the very moment a peer
/// claims it (the owner's abort CAS against the peer's claim CAS, and the owner waking while
/// its claimer is still between its unpark and its completion). Senders and receivers use
/// tiny random deadlines, directly and through a select with a deadline. Every value is
/// received exactly once or handed back to its sender.
#[test]
fn timeouts_race_transfers() {
    let mut rng = Rng::new(11);
    let (mut delivered, mut handed_back) = (0, 0);
    for round in 0..30 {
        let cap = [0usize, 0, 2][round % 3];
        let ch = chan::<u64>(cap);
        let per = 400u64;
        let seeds: Vec<u64> = (0..6).map(|_| rng.next()).collect();
        let prods: Vec<_> = (0..3)
            .map(|p| {
                let c = ch.clone();
                let mut r = Rng::new(seeds[p]);
                spawn_mixed(p + round, move || {
                    let (mut sent, mut back) = (Vec::new(), Vec::new());
                    for i in 0..per {
                        let v = p as u64 * per + i;
                        let d = Duration::from_micros(r.below(40));
                        if r.below(2) == 0 {
                            match c.send_timeout(v, d) {
                                Ok(()) => sent.push(v),
                                Err(e) => back.push(e.into_inner()),
                            }
                        } else {
                            let mut sel = Select::new();
                            let i = sel.send(&c, v);
                            match sel.select_timeout(d) {
                                Some(j) if j == i => sent.push(v),
                                _ => back.push(sel.take_unsent::<u64>(i).expect("unsent value")),
                            }
                        }
                    }
                    (sent, back)
                })
            })
            .collect();
        let consumers: Vec<_> = (0..3)
            .map(|k| {
                let c = ch.clone();
                let mut r = Rng::new(seeds[3 + k]);
                spawn_mixed(k + round + 1, move || {
                    let mut got = Vec::new();
                    let never = chan::<u64>(0);
                    let mut idle = 0;
                    while idle < 200 {
                        let d = Duration::from_micros(r.below(40));
                        let v = if r.below(2) == 0 {
                            c.recv_timeout(d).ok()
                        } else {
                            let mut sel = Select::new();
                            let i = sel.recv(&c);
                            sel.recv(&never);
                            match sel.select_timeout(d) {
                                Some(j) if j == i => sel.recv_value::<u64>(i),
                                _ => None,
                            }
                        };
                        match v {
                            Some(v) => {
                                got.push(v);
                                idle = 0;
                            }
                            None => idle += 1,
                        }
                    }
                    got
                })
            })
            .collect();
        let (mut sent, mut back) = (Vec::new(), Vec::new());
        for p in prods {
            let (s, b) = p.join();
            sent.extend(s);
            back.extend(b);
        }
        let mut got: Vec<u64> = consumers.into_iter().flat_map(|c| c.join()).collect();
        // Whatever is still buffered was sent but not yet received.
        while let Ok(v) = ch.try_recv() {
            got.push(v);
        }
        sent.sort_unstable();
        got.sort_unstable();
        assert_eq!(sent, got, "round {round} cap {cap}");
        delivered += sent.len();
        handed_back += back.len();
        let mut all: Vec<u64> = sent.into_iter().chain(back).collect();
        all.sort_unstable();
        assert_eq!(all, (0..3 * per).collect::<Vec<_>>(), "round {round}");
    }
    // Both outcomes happened, so the races above were really run.
    assert!(
        delivered > 0 && handed_back > 0,
        "{delivered} delivered, {handed_back} back"
    );
    eprintln!("{delivered} delivered, {handed_back} handed back");
}

/// A close wakes its receivers in batches, after releasing the lock: with several batches'
/// worth of receivers parked (plain receives, receives with a deadline, and selects that also
/// wait on a second channel), racing late receivers, timeouts and a sender on the second
/// channel, every receiver returns exactly once, and nothing sent on the second channel is
/// lost or received twice.
#[test]
fn close_wakes_many_receivers_in_batches() {
    // In a child process with a time limit: a lost wake-up would hang the child, not the suite.
    in_child(
        "close_wakes_many_receivers_in_batches",
        &[],
        Duration::from_secs(60),
        || {
            let mut rng = Rng::new(11);
            for round in 0..6 {
                let ch = chan::<u64>(0);
                let other = chan::<u64>(0);
                let receivers: Vec<_> = (0..300)
                    .map(|k| {
                        let (c, o) = (ch.clone(), other.clone());
                        let timeout = Duration::from_micros(rng.below(4000));
                        rungo_runtime::spawn(move || match k % 3 {
                            0 => c.recv().map(|_| ()).ok_or(None),
                            1 => match c.recv_timeout(timeout) {
                                Ok(_) => Ok(()),
                                Err(_) => Err(None),
                            },
                            _ => select! {
                                recv(c) -> v => v.map(|_| ()).ok_or(None),
                                recv(o) -> v => Err(v),
                            },
                        })
                    })
                    .collect();
                let sender = {
                    let o = other.clone();
                    rungo_runtime::spawn(move || {
                        let mut sent = Vec::new();
                        for i in 0..20u64 {
                            if o.send_timeout(i, Duration::from_micros(200)).is_ok() {
                                sent.push(i);
                            }
                        }
                        sent
                    })
                };
                rungo_runtime::sleep(Duration::from_micros(rng.below(3000)));
                ch.close();
                let late: Vec<_> = (0..4)
                    .map(|_| {
                        let c = ch.clone();
                        rungo_runtime::spawn(move || c.recv())
                    })
                    .collect();
                let mut via_other = Vec::new();
                for r in receivers {
                    match r.join().expect("a receiver panicked") {
                        Ok(()) => {
                            panic!("round {round}: a value arrived on a channel nobody sent on")
                        }
                        Err(Some(v)) => via_other.push(v),
                        Err(None) => {} // closed, or timed out first
                    }
                }
                for l in late {
                    assert_eq!(l.join().expect("a late receiver panicked"), None);
                }
                let sent = sender.join().expect("the sender panicked");
                via_other.sort_unstable();
                assert_eq!(via_other, sent, "round {round}");
            }
        },
    );
}
