//! When several cases are ready, select chooses uniformly at random (checked statistically
//! with a chi-square bound far from the critical value, so the test is not flaky).
use rungo_channels::{Select, chan, select};

fn chi_square(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let expected = total as f64 / counts.len() as f64;
    counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

#[test]
fn two_ready_receive_cases() {
    let a = chan::<u8>(1);
    let b = chan::<u8>(1);
    let mut counts = [0u64; 2];
    for _ in 0..20_000 {
        let _ = a.try_send(0);
        let _ = b.try_send(1);
        let i = select! {
            recv(a) => 0,
            recv(b) => 1,
        };
        counts[i] += 1;
    }
    // df = 1: p = 1e-6 at about 23.9.
    assert!(chi_square(&counts) < 30.0, "unfair: {counts:?}");
}

#[test]
fn four_ready_mixed_cases() {
    let r1 = chan::<u8>(1);
    let r2 = chan::<u8>(1);
    let s1 = chan::<u8>(1);
    let s2 = chan::<u8>(1);
    let mut counts = [0u64; 4];
    for _ in 0..40_000 {
        let _ = r1.try_send(0);
        let _ = r2.try_send(0);
        let _ = s1.try_recv();
        let _ = s2.try_recv();
        let i = select! {
            recv(r1) => 0,
            recv(r2) => 1,
            send(s1, 1) => 2,
            send(s2, 1) => 3,
        };
        counts[i] += 1;
    }
    // df = 3: p = 1e-6 at about 30.7.
    assert!(chi_square(&counts) < 40.0, "unfair: {counts:?}");
}

#[test]
fn dynamic_select_over_eight() {
    let chans: Vec<_> = (0..8).map(|_| chan::<usize>(1)).collect();
    let mut counts = [0u64; 8];
    for _ in 0..40_000 {
        for (i, c) in chans.iter().enumerate() {
            let _ = c.try_send(i);
        }
        let mut sel = Select::new();
        for c in &chans {
            sel.recv(c);
        }
        let i = sel.select();
        assert_eq!(sel.recv_value::<usize>(i), Some(i));
        counts[i] += 1;
    }
    // df = 7: p = 1e-6 at about 40.5.
    assert!(chi_square(&counts) < 50.0, "unfair: {counts:?}");
}

#[test]
fn one_ready_among_many_is_always_found() {
    let chans: Vec<_> = (0..5).map(|_| chan::<u8>(1)).collect();
    for k in 0..5 {
        chans[k].send(1);
        let i = select! {
            recv(chans[0]) => 0,
            recv(chans[1]) => 1,
            recv(chans[2]) => 2,
            recv(chans[3]) => 3,
            recv(chans[4]) => 4,
            default => 99,
        };
        assert_eq!(i, k);
    }
}
