//! Every socket operation is a cooperative preemption point: on one worker, a coroutine whose
//! reads always find data (a plain thread keeps the socket full) still lets another coroutine
//! of that worker run, within sysmon's ~10 ms request (bounded generously here).

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rungo_net::{TcpListener, TcpStream};
use rungo_runtime::{go, gomaxprocs, run};
use rungo_testkit::child::in_child;

#[test]
fn a_reader_that_never_blocks_still_lets_others_run() {
    in_child(
        "a_reader_that_never_blocks_still_lets_others_run",
        &[("GOMAXPROCS", "1")],
        Duration::from_secs(60),
        || {
            assert_eq!(gomaxprocs(), 1);
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let conn = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (peer, _) = listener.accept().unwrap();
            let stop = Arc::new(AtomicBool::new(false));
            // A plain thread keeps the socket full, so the reader never waits.
            let writer = {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let chunk = vec![7u8; 64 << 10];
                    while !stop.load(Ordering::Relaxed) {
                        if (&peer).write_all(&chunk).is_err() {
                            return;
                        }
                    }
                })
            };
            std::thread::sleep(Duration::from_millis(100)); // let the buffers fill
            let (read, waited) = run(move || {
                let other_ran = Arc::new(AtomicBool::new(false));
                let flag = other_ran.clone();
                // Queued behind the running main coroutine on the only worker.
                let other = go!(move || flag.store(true, Ordering::Release));
                let start = Instant::now();
                let mut read = 0u64;
                let mut byte = [0u8; 1];
                while !other_ran.load(Ordering::Acquire) {
                    assert!(
                        start.elapsed() < Duration::from_secs(10),
                        "the other coroutine never ran: reads never yielded ({read} bytes read)"
                    );
                    assert_eq!((&conn).read(&mut byte).unwrap(), 1);
                    read += 1;
                }
                other.join().unwrap();
                conn.close();
                (read, start.elapsed())
            });
            stop.store(true, Ordering::Relaxed);
            writer.join().unwrap();
            eprintln!("the other coroutine ran after {read} one-byte reads, {waited:?}");
            assert!(waited < Duration::from_secs(5), "{waited:?}");
        },
    );
}
