//! Four threads add to one counter through `AtomicU64` and hand results back over a channel.
//!
//! Built for `wasm32-wasip1-threads`, the module imports a shared `env.memory`, imports `wasi`/`thread-spawn`,
//! exports `wasi_thread_start` and contains atomic instructions: what `verify --require threads` proves.
//! Built for plain `wasm32-wasip1`, `std::thread::spawn` fails at run time and the module has no shared memory:
//! the W-005 mistake verify exists to catch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

const THREADS: u64 = 4;
const ADDS: u64 = 10_000;

fn main() {
    let counter = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mpsc::channel();
    let handles: Vec<_> = (0..THREADS)
        .map(|id| {
            let counter = Arc::clone(&counter);
            let tx = tx.clone();
            thread::spawn(move || {
                for _ in 0..ADDS {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                tx.send(id).expect("main thread is listening");
            })
        })
        .collect();
    drop(tx);
    for h in handles {
        h.join().expect("worker thread panicked");
    }
    let finished = rx.iter().count() as u64;
    let total = counter.load(Ordering::SeqCst);
    println!("threads={finished} total={total} expected={}", THREADS * ADDS);
    if total != THREADS * ADDS {
        std::process::exit(1);
    }
}
