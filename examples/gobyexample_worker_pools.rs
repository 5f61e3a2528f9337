//! Go by Example: Worker Pools (twin: `go/gobyexample_worker_pools.go`).
use rungo::prelude::*;
use std::time::Duration;

fn worker(jobs: Receiver<usize>, results: Sender<usize>) {
    for j in &jobs {
        println!("started  job {j}");
        sleep(Duration::from_millis(10));
        println!("finished job {j}");
        results.send(j * 2);
    }
}

fn main() {
    run(|| {
        const NUM_JOBS: usize = 5;
        let jobs = chan::<usize>(NUM_JOBS);
        let results = chan::<usize>(NUM_JOBS);

        for _ in 0..3 {
            go!(worker, jobs.receiver(), results.sender());
        }

        for j in 1..=NUM_JOBS {
            jobs.send(j);
        }
        jobs.close();

        let mut sum = 0;
        for _ in 0..NUM_JOBS {
            sum += results.recv().unwrap();
        }
        println!("sum of results {sum}");
    })
}
