//! One listener, accepted from by coroutines on two workers at once (GOMAXPROCS=2): every
//! connection is accepted exactly once and served, whichever worker's epoll saw the event.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rungo_net::{TcpListener, TcpStream};
use rungo_runtime::{Unparker, go, gomaxprocs, park, run, sleep};
use rungo_testkit::child::in_child;

const CLIENTS: u32 = 300;

#[test]
fn acceptors_on_two_workers_share_one_listener() {
    in_child(
        "acceptors_on_two_workers_share_one_listener",
        &[("GOMAXPROCS", "2")],
        Duration::from_secs(60),
        || {
            assert_eq!(gomaxprocs(), 2);
            run(|| {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                let threads = Arc::new(Mutex::new(HashSet::new()));
                let served = Arc::new(Mutex::new(Vec::new()));
                // Start acceptors in bursts until they run on both workers (the idle worker steals
                // from a burst).
                let mut acceptors = Vec::new();
                let start = Instant::now();
                while threads.lock().unwrap().len() < 2 {
                    assert!(
                        start.elapsed() < Duration::from_secs(20),
                        "acceptors stayed on one worker"
                    );
                    for _ in 0..8 {
                        let (listener, threads, served) =
                            (listener.clone(), threads.clone(), served.clone());
                        acceptors.push(go!(move || {
                            threads.lock().unwrap().insert(std::thread::current().id());
                            let mut mine = 0u32;
                            loop {
                                match listener.accept() {
                                    Ok((mut conn, _)) => {
                                        let mut id = [0u8; 4];
                                        conn.read_exact(&mut id).unwrap();
                                        served.lock().unwrap().push(u32::from_le_bytes(id));
                                        conn.write_all(&id).unwrap();
                                        mine += 1;
                                    }
                                    Err(e) => {
                                        assert_eq!(
                                            e.to_string(),
                                            "use of closed network connection"
                                        );
                                        return mine;
                                    }
                                }
                            }
                        }));
                    }
                    sleep(Duration::from_millis(5));
                }
                // Clients on plain threads, so they take no worker. The main coroutine waits for
                // them by parking (a std `join` here would block its worker, and with it the epoll
                // that holds the listener).
                let done = Arc::new(AtomicUsize::new(0));
                let main = Unparker::current();
                for t in 0..4u32 {
                    let (done, main) = (done.clone(), main.clone());
                    std::thread::spawn(move || {
                        for i in (t..CLIENTS).step_by(4) {
                            let mut conn = TcpStream::connect(addr).unwrap();
                            conn.write_all(&i.to_le_bytes()).unwrap();
                            let mut back = [0u8; 4];
                            conn.read_exact(&mut back).unwrap();
                            assert_eq!(u32::from_le_bytes(back), i);
                        }
                        done.fetch_add(1, Ordering::Release);
                        main.unpark();
                    });
                }
                while done.load(Ordering::Acquire) < 4 {
                    park();
                }
                listener.close();
                let total: u32 = acceptors.into_iter().map(|h| h.join().unwrap()).sum();
                assert_eq!(total, CLIENTS);
                let mut ids = served.lock().unwrap().clone();
                ids.sort_unstable();
                assert_eq!(
                    ids,
                    (0..CLIENTS).collect::<Vec<_>>(),
                    "each accepted exactly once"
                );
            });
        },
    );
}
