//! The dynamic `Select` (Go's `reflect.Select`): fan-in over N channels, timeouts, default,
//! send cases whose values come back, and re-running.
mod common;
use common::*;
use rungo_channels::{Select, chan};
use std::time::Duration;

#[test]
fn fan_in_over_n_channels_until_all_closed() {
    const N: usize = 6;
    let chans: Vec<_> = (0..N).map(|_| chan::<usize>(0)).collect();
    let tasks: Vec<_> = chans
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let c = c.clone();
            spawn_mixed(k, move || {
                for i in 0..300 {
                    c.send(k * 1000 + i);
                }
                c.close();
            })
        })
        .collect();
    let mut live: Vec<_> = chans.clone();
    let mut got = Vec::new();
    while !live.is_empty() {
        let mut sel = Select::new();
        for c in &live {
            sel.recv(c);
        }
        let i = sel.select();
        match sel.recv_value::<usize>(i) {
            Some(v) => got.push(v),
            None => {
                drop(sel);
                live.remove(i);
            }
        }
    }
    for t in tasks {
        t.join();
    }
    got.sort_unstable();
    let want: Vec<usize> = (0..N)
        .flat_map(|k| (0..300).map(move |i| k * 1000 + i))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn timeout_and_default() {
    let a = chan::<u8>(0);
    let mut sel = Select::new();
    sel.recv(&a);
    assert_eq!(sel.try_select(), None);
    assert_eq!(sel.select_timeout(Duration::from_millis(10)), None);
    // Nothing was consumed by the aborted select.
    let a2 = a.clone();
    let t = spawn_mixed(0, move || a2.send(3));
    assert_eq!(sel.select_timeout(SOON), Some(0));
    assert_eq!(sel.recv_value::<u8>(0), Some(3));
    t.join();
}

#[test]
fn rerun_with_send_values() {
    let out = chan::<String>(2);
    let mut sel = Select::new();
    let s = sel.send(&out, "one".to_string());
    assert_eq!(sel.select(), s);
    // The value was sent: the case is disabled until given a new one.
    assert_eq!(sel.try_select(), None);
    assert_eq!(sel.set_send_value(s, "two".to_string()), None);
    assert_eq!(sel.select(), s);
    assert_eq!(sel.set_send_value(s, "three".to_string()), None);
    assert_eq!(sel.try_select(), None); // full
    assert_eq!(sel.take_unsent::<String>(s).as_deref(), Some("three"));
    assert_eq!(out.recv().as_deref(), Some("one"));
    assert_eq!(out.recv().as_deref(), Some("two"));
}

#[test]
#[should_panic(expected = "not a receive case of this element type")]
fn wrong_type_is_reported() {
    let a = chan::<u8>(1);
    a.send(1);
    let mut sel = Select::new();
    sel.recv(&a);
    let i = sel.select();
    let _ = sel.recv_value::<u16>(i);
}
