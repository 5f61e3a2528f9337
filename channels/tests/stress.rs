//! Stress: many producers and consumers (coroutines and threads mixed) over unbuffered and
//! buffered channels, with close racing sends and receives. Every value is received exactly
//! once or handed back to its sender (a send that panicked on close counts as handed back
//! only if it never arrived). No deadlock: every join has to return.
mod common;
use common::*;
use rungo_channels::{TrySendError, chan, select};
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
