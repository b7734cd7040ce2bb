//! tokio::sync shaped exactly like csp's benchmarks (csp/bench_test.go,
//! csp/family_bench_test.go): the same number of tasks as the Go side has
//! goroutines, the same operation per op, every one of them inside a task
//! of the runtime.

use crate::harness::{Iters, Run};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc, watch, Barrier, Mutex, Notify, OnceCell, RwLock, Semaphore};

/// in_parallel! runs body from $tasks tasks that share the run's N
/// operations in batches, as Go's b.RunParallel does with
/// SetParallelism(16 / GOMAXPROCS); $i is the task's own count of the
/// operations it has done, $s its clone of $shared. It returns the time
/// from the first spawn to the last join.
macro_rules! in_parallel {
    ($run:expr, $tasks:expr, $shared:expr, |$s:ident, $i:ident| $body:expr) => {{
        let iters = Arc::new(Iters::new($run));
        let shared = $shared;
        let start = Instant::now();
        let mut handles = Vec::with_capacity($tasks);
        for _ in 0..$tasks {
            let iters = iters.clone();
            let $s = shared.clone();
            handles.push(tokio::spawn(async move {
                let mut $i: u64 = 0;
                loop {
                    let k = iters.take();
                    if k == 0 {
                        break;
                    }
                    for _ in 0..k {
                        $body;
                        $i += 1;
                    }
                }
                let _ = $i;
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        start.elapsed()
    }};
}

/// The Go side's contended benchmarks run 16 goroutines.
const CONTENDERS: usize = 16;

pub async fn mutex_uncontended(r: Run) -> Duration {
    let m = Mutex::new(0u64);
    let start = Instant::now();
    for _ in 0..r.n {
        *m.lock().await += 1;
    }
    start.elapsed()
}

pub async fn mutex_contended(r: Run) -> Duration {
    in_parallel!(r, CONTENDERS, Arc::new(Mutex::new(0u64)), |m, _i| {
        *m.lock().await += 1
    })
}

pub async fn semaphore_contended(r: Run) -> Duration {
    in_parallel!(r, CONTENDERS, Arc::new(Semaphore::new(4)), |s, _i| {
        drop(s.acquire().await.unwrap())
    })
}

/// barrier: parties tasks each pass the barrier N times; one op is one
/// generation.
async fn barrier(r: Run, parties: usize) -> Duration {
    let b = Arc::new(Barrier::new(parties));
    let start = Instant::now();
    let mut handles = Vec::with_capacity(parties);
    for _ in 0..parties {
        let b = b.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..r.n {
                b.wait().await;
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    start.elapsed()
}

pub async fn barrier_3(r: Run) -> Duration {
    barrier(r, 3).await
}

pub async fn barrier_16(r: Run) -> Duration {
    barrier(r, 16).await
}

/// rwlock: 16 tasks, each op a read or, one time in ten or one in two, a
/// write.
async fn rwlock(r: Run, reads: u64) -> Duration {
    in_parallel!(r, CONTENDERS, Arc::new(RwLock::new(0u64)), |m, i| {
        if i % 10 < reads / 10 {
            black_box(*m.read().await);
        } else {
            *m.write().await += 1;
        }
    })
}

pub async fn rwlock_90(r: Run) -> Duration {
    rwlock(r, 90).await
}

pub async fn rwlock_50(r: Run) -> Duration {
    rwlock(r, 50).await
}

/// notify_pingpong: two tasks take turns, each waking the other; one op is
/// a round trip, two notifications and two wake-ups.
pub async fn notify_pingpong(r: Run) -> Duration {
    let (ping, pong) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let start = Instant::now();
    let other = {
        let (ping, pong) = (ping.clone(), pong.clone());
        tokio::spawn(async move {
            for _ in 0..r.n {
                ping.notified().await;
                pong.notify_one();
            }
        })
    };
    for _ in 0..r.n {
        ping.notify_one();
        pong.notified().await;
    }
    other.await.unwrap();
    start.elapsed()
}

/// oncecell_get: 16 tasks read a cell that is already set.
pub async fn oncecell_get(r: Run) -> Duration {
    let cell = Arc::new(OnceCell::new());
    cell.set(1u64).unwrap();
    in_parallel!(r, CONTENDERS, cell, |c, _i| {
        black_box(c.get());
    })
}

/// The lockstep benchmarks' followers: 8 receivers.
const FOLLOWERS: usize = 8;

/// broadcast_lockstep: one sender, 8 subscribers of a channel of 64; the
/// sender waits until every subscriber has acknowledged the value before
/// it sends the next, so an op is a send and 8 deliveries.
pub async fn broadcast_lockstep(r: Run) -> Duration {
    let (tx, _) = broadcast::channel::<u64>(64);
    let (ack_tx, mut acks) = mpsc::channel::<()>(FOLLOWERS);
    let mut handles = Vec::with_capacity(FOLLOWERS);
    for _ in 0..FOLLOWERS {
        let mut rx = tx.subscribe();
        let ack = ack_tx.clone();
        handles.push(tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(v) => {
                        black_box(v);
                        ack.send(()).await.unwrap();
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => panic!("lagged by {n} in lockstep"),
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        }));
    }
    let start = Instant::now();
    for i in 0..r.n {
        tx.send(i).unwrap();
        for _ in 0..FOLLOWERS {
            acks.recv().await.unwrap();
        }
    }
    drop(tx);
    for h in handles {
        h.await.unwrap();
    }
    start.elapsed()
}

/// watch_lockstep: one sender and 8 watchers that follow with changed and
/// borrow; the sender waits until every watcher has seen the value before
/// it sends the next, so an op is a send and 8 wake-ups.
pub async fn watch_lockstep(r: Run) -> Duration {
    let (tx, rx) = watch::channel(0u64);
    let (ack_tx, mut acks) = mpsc::channel::<()>(FOLLOWERS);
    let mut handles = Vec::with_capacity(FOLLOWERS);
    for _ in 0..FOLLOWERS {
        let mut rx = rx.clone();
        let ack = ack_tx.clone();
        handles.push(tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                black_box(*rx.borrow());
                ack.send(()).await.unwrap();
            }
        }));
    }
    drop(rx);
    let start = Instant::now();
    for i in 1..=r.n {
        tx.send(i).unwrap();
        for _ in 0..FOLLOWERS {
            acks.recv().await.unwrap();
        }
    }
    drop(tx);
    for h in handles {
        h.await.unwrap();
    }
    start.elapsed()
}
