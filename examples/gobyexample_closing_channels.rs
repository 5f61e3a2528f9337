//! Go by Example: Closing Channels (twin: `go/gobyexample_closing_channels.go`).
use rungo::prelude::*;

fn main() {
    run(|| {
        let jobs = chan::<i32>(5);
        let done = chan::<bool>(0);

        go!([jobs, done] move || {
            loop {
                if let Some(j) = jobs.recv() {
                    println!("received job {j}");
                } else {
                    println!("received all jobs");
                    done.send(true);
                    return;
                }
            }
        });

        for j in 1..=3 {
            jobs.send(j);
            println!("sent job {j}");
        }
        jobs.close();
        println!("sent all jobs");

        done.recv();

        let ok = jobs.recv().is_some();
        println!("received more jobs: {ok}");
    })
}
