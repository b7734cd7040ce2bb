//! tokio::spawn shaped like csp/async's executor benchmarks
//! (csp/async/bench_test.go), from inside a task of the runtime.

use crate::harness::Run;
use futures::future::join_all;
use std::time::{Duration, Instant};

/// spawn_join: spawn a task that is ready at its first poll, and join it.
pub async fn spawn_join(r: Run) -> Duration {
    let start = Instant::now();
    for _ in 0..r.n {
        let v = tokio::spawn(async { 1 }).await.unwrap();
        assert_eq!(v, 1);
    }
    start.elapsed()
}

/// The tasks SpawnMany spawns at once.
pub const MANY: u64 = 1000;

/// spawn_many: spawn 1,000 tasks at once and join them all with join_all
/// (the shape of the tutorial's H2O program), per op.
pub async fn spawn_many(r: Run) -> Duration {
    let mut handles = Vec::with_capacity(MANY as usize);
    let start = Instant::now();
    for _ in 0..r.n {
        for _ in 0..MANY {
            handles.push(tokio::spawn(async { 1 }));
        }
        for v in join_all(handles.drain(..)).await {
            assert_eq!(v.unwrap(), 1);
        }
    }
    start.elapsed()
}
