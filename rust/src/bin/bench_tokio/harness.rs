//! A small benchmark harness in the manner of `go test -bench`: each
//! benchmark runs with a growing N until one run lasts the bench time, and
//! the last run is printed as a Go benchmark line, so that benchstat reads
//! it beside the Go side's.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// One timed run of a benchmark: n operations, and the batch of them that
/// a parallel task takes at a time (Go's RunParallel grain).
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub n: u64,
    pub grain: u64,
}

/// A benchmark's body: it does r.n operations inside a task of the runtime
/// and returns the time they took.
pub type Body = fn(Run) -> Pin<Box<dyn Future<Output = Duration> + Send>>;

pub struct Benchmark {
    /// The name without "Benchmark" and the worker count, as Go prints it:
    /// "Mutex/contended/impl=tokio".
    pub name: &'static str,
    pub body: Body,
    /// A further figure of elapsed / (N * per), printed in unit, as a Go
    /// benchmark's b.ReportMetric (SpawnMany's ns/task).
    pub per: Option<(u64, &'static str)>,
}

/// How long each benchmark runs: a time, as Go's -benchtime 1s, or a fixed
/// count of operations, as -benchtime 100x.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BenchTime {
    Time(Duration),
    Count(u64),
}

impl std::str::FromStr for BenchTime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("bench time {s:?}: want a duration (1s, 500ms, 2.5s) or a count (100x)");
        if let Some(n) = s.strip_suffix('x') {
            return match n.parse() {
                Ok(n) if n > 0 => Ok(BenchTime::Count(n)),
                _ => Err(bad()),
            };
        }
        let (num, scale) = if let Some(v) = s.strip_suffix("ms") {
            (v, 1e-3)
        } else if let Some(v) = s.strip_suffix("us") {
            (v, 1e-6)
        } else if let Some(v) = s.strip_suffix('s') {
            (v, 1.0)
        } else {
            return Err(bad());
        };
        match num.parse::<f64>() {
            Ok(v) if v > 0.0 && v.is_finite() => Ok(BenchTime::Time(Duration::from_secs_f64(v * scale))),
            _ => Err(bad()),
        }
    }
}

/// predict_n is Go's testing.predictN: the N that should last goal, given
/// that prev operations took prev_ns, grown by a fifth, at most 100 times
/// the last N and at least one more, and at most 1e9.
pub fn predict_n(goal_ns: u64, prev: u64, prev_ns: u64, last: u64) -> u64 {
    let prev_ns = prev_ns.max(1);
    let mut n = (goal_ns as u128 * prev as u128 / prev_ns as u128) as u64;
    n += n / 5;
    n = n.min(100 * last);
    n = n.max(last + 1);
    n.min(1_000_000_000)
}

/// grain is Go's RunParallel batch: the operations of about 100µs at the
/// previous run's speed, from 1 to 10,000.
pub fn grain(prev: u64, prev_ns: u64) -> u64 {
    if prev == 0 || prev_ns == 0 {
        return 1;
    }
    (100_000u128 * prev as u128 / prev_ns as u128).clamp(1, 10_000) as u64
}

/// measure runs b on runtime until a run lasts bench time (or runs the
/// count it sets) and returns that run's N and time.
pub fn measure(b: &Benchmark, runtime: &tokio::runtime::Runtime, time: BenchTime) -> (u64, Duration) {
    let run = |r: Run| -> Duration {
        let body = b.body;
        runtime.block_on(async move { tokio::spawn(body(r)).await.expect("the benchmark's task panicked") })
    };
    let goal = match time {
        BenchTime::Count(n) => return (n, run(Run { n, grain: 1 })),
        BenchTime::Time(d) => d,
    };
    let (mut n, mut took) = (1, run(Run { n: 1, grain: 1 }));
    while took < goal && n < 1_000_000_000 {
        let last = n;
        let g = grain(last, took.as_nanos() as u64);
        n = predict_n(goal.as_nanos() as u64, last, took.as_nanos() as u64, last);
        took = run(Run { n, grain: g });
    }
    (n, took)
}

/// line is the Go benchmark line of a run: name with the worker count, N,
/// ns/op and the benchmark's further figure.
pub fn line(b: &Benchmark, workers: usize, n: u64, took: Duration) -> String {
    let ns = took.as_nanos() as f64;
    let mut s = format!(
        "Benchmark{}-{workers}\t{n:>10}\t{:>12} ns/op",
        b.name,
        format_value(ns / n as f64)
    );
    if let Some((per, unit)) = b.per {
        s += &format!("\t{:>12} {unit}", format_value(ns / (n * per) as f64));
    }
    s
}

/// format_value prints a figure with as many decimals as Go's testing
/// does: fewer for larger figures.
fn format_value(v: f64) -> String {
    let decimals = [999.95, 99.995, 9.9995, 0.99995, 0.099995, 0.0099995, 0.00099995]
        .iter()
        .position(|&at| v >= at)
        .unwrap_or(7);
    if v == 0.0 {
        return "0".into();
    }
    format!("{v:.decimals$}")
}

/// Iters hands out a run's N operations to parallel tasks in batches of
/// grain, as Go's testing.PB does: a task that runs faster takes more.
pub struct Iters {
    taken: AtomicU64,
    n: u64,
    grain: u64,
}

impl Iters {
    pub fn new(r: Run) -> Self {
        Iters {
            taken: AtomicU64::new(0),
            n: r.n,
            grain: r.grain.max(1),
        }
    }

    /// take returns how many operations the caller is to do next; 0 once
    /// all are handed out.
    pub fn take(&self) -> u64 {
        let after = self.taken.fetch_add(self.grain, Ordering::Relaxed) + self.grain;
        if after <= self.n {
            self.grain
        } else {
            (self.n + self.grain).saturating_sub(after).min(self.grain)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predict_n_grows_as_go_does() {
        // 1 op took 1µs: 1e6 for 1s, plus a fifth, but at most 100x the last.
        assert_eq!(predict_n(1_000_000_000, 1, 1_000, 1), 100);
        // 100 ops took 100µs: 1e6 * 1.2 for 1s, but at most 100x the last.
        assert_eq!(predict_n(1_000_000_000, 100, 100_000, 100), 10_000);
        // 1e5 ops took 100ms: 1e6 * 1.2.
        assert_eq!(predict_n(1_000_000_000, 100_000, 100_000_000, 100_000), 1_200_000);
        // already slower than the goal: one more than the last.
        assert_eq!(predict_n(1_000, 10, 1_000_000, 10), 11);
        assert_eq!(
            predict_n(1_000_000_000_000, 1_000_000_000, 1, 500_000_000),
            1_000_000_000
        );
    }

    #[test]
    fn iters_hands_out_exactly_n() {
        for (n, grain) in [(0, 1), (1, 1), (10, 3), (10, 10), (10, 100), (1000, 7)] {
            let it = Iters::new(Run { n, grain });
            let mut total = 0;
            loop {
                let k = it.take();
                if k == 0 {
                    break;
                }
                assert!(k <= grain);
                total += k;
            }
            assert_eq!(total, n, "n {n} grain {grain}");
            assert_eq!(it.take(), 0);
        }
    }

    #[test]
    fn bench_time_parses_go_forms() {
        assert_eq!("1s".parse(), Ok(BenchTime::Time(Duration::from_secs(1))));
        assert_eq!("500ms".parse(), Ok(BenchTime::Time(Duration::from_millis(500))));
        assert_eq!("100x".parse(), Ok(BenchTime::Count(100)));
        for bad in ["", "1", "0x", "-1s", "xs", "1h"] {
            assert!(bad.parse::<BenchTime>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn line_reads_as_go_benchmark_output() {
        fn nop(_: Run) -> Pin<Box<dyn Future<Output = Duration> + Send>> {
            Box::pin(async { Duration::ZERO })
        }
        let b = Benchmark {
            name: "SpawnMany/impl=tokio",
            body: nop,
            per: Some((1000, "ns/task")),
        };
        assert_eq!(
            line(&b, 2, 1000, Duration::from_millis(300)),
            "BenchmarkSpawnMany/impl=tokio-2\t      1000\t      300000 ns/op\t       300.0 ns/task"
        );
        let b = Benchmark {
            name: "OnceCell/get/impl=tokio",
            body: nop,
            per: None,
        };
        assert_eq!(
            line(&b, 2, 1_000_000, Duration::from_micros(1234)),
            "BenchmarkOnceCell/get/impl=tokio-2\t   1000000\t       1.234 ns/op"
        );
    }
}
