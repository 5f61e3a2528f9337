//! `select!` with only a `default` arm: Go's `select { default: ... }`, which never blocks and
//! always runs the default body. (It used to fail to compile: E0283, the empty case list had
//! no type.)
use rungo_channels::select;

#[test]
fn default_only_runs_the_default_arm() {
    let mut ran = 0;
    select! {
        default => ran += 1,
    }
    select! {
        default => { ran += 1; }
    }
    select! { default => ran += 1 }
    assert_eq!(ran, 3);
}

#[test]
fn default_only_yields_its_value() {
    let v: &str = select! { default => "default" };
    assert_eq!(v, "default");
    let n = select! {
        default => {
            let x = 40;
            x + 2
        }
    };
    assert_eq!(n, 42);
}

#[test]
fn default_only_body_can_break_out_of_a_loop() {
    let mut rounds = 0;
    loop {
        rounds += 1;
        select! {
            default => if rounds == 3 { break },
        }
    }
    assert_eq!(rounds, 3);
}
