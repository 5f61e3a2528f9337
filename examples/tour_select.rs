//! A Tour of Go: Select (twin: `go/tour_select.go`).
use rungo::prelude::*;

fn fibonacci(c: Chan<u64>, quit: Chan<i32>) {
    let (mut x, mut y) = (0, 1);
    loop {
        select! {
            send(c, x) => (x, y) = (y, x + y),
            recv(quit) => {
                println!("quit");
                return;
            }
        }
    }
}

fn main() {
    run(|| {
        let c = chan::<u64>(0);
        let quit = chan::<i32>(0);
        go!([c, quit] move || {
            for _ in 0..10 {
                println!("{}", c.recv().unwrap());
            }
            quit.send(0);
        });
        fibonacci(c, quit);
    })
}
