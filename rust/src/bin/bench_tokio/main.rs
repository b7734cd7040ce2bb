//! tokio::sync and tokio::spawn benchmarks shaped exactly like csp's and
//! csp/async's Go benchmarks, printed as Go benchmark lines
//! (`BenchmarkMutex/contended/impl=tokio-2  N  123 ns/op`), so that
//! benchstat reads them beside `go test -bench` output.
//!
//! Usage: bench-tokio [-bench NAME[,NAME]] [-count 1] [-benchtime 1s] [-workers 2] [-list]
//!        bench-tokio -version
//!
//! -bench picks the benchmarks whose name (as printed, without "Benchmark"
//! and the worker count) starts with one of the given names: `-bench
//! Mutex/,Barrier`. Every benchmark's work runs inside tasks of a
//! multi-threaded runtime of -workers worker threads, a fresh runtime for
//! each of the -count runs. -version prints the version of the compiler
//! that built it.

mod harness;
mod spawn;
mod sync;

use harness::{BenchTime, Benchmark};

fn benchmarks() -> Vec<Benchmark> {
    macro_rules! bench {
        ($name:expr, $f:path) => {
            bench!($name, $f, None)
        };
        ($name:expr, $f:path, $per:expr) => {
            Benchmark {
                name: $name,
                body: |r| Box::pin($f(r)),
                per: $per,
            }
        };
    }
    vec![
        bench!("Mutex/uncontended/impl=tokio", sync::mutex_uncontended),
        bench!("Mutex/contended/impl=tokio", sync::mutex_contended),
        bench!("Semaphore/contended/impl=tokio", sync::semaphore_contended),
        bench!("Barrier/parties=3/impl=tokio", sync::barrier_3),
        bench!("Barrier/parties=16/impl=tokio", sync::barrier_16),
        bench!("RWMutex/reads=90/impl=tokio", sync::rwlock_90),
        bench!("RWMutex/reads=50/impl=tokio", sync::rwlock_50),
        bench!("Notify/pingpong/impl=tokio", sync::notify_pingpong),
        bench!("OnceCell/get/impl=tokio", sync::oncecell_get),
        bench!("Broadcast/lockstep/impl=tokio", sync::broadcast_lockstep),
        bench!("Watch/lockstep/impl=tokio", sync::watch_lockstep),
        bench!("SpawnJoin/impl=tokio", spawn::spawn_join),
        bench!(
            "SpawnMany/impl=tokio",
            spawn::spawn_many,
            Some((spawn::MANY, "ns/task"))
        ),
    ]
}

struct Args {
    names: Vec<String>,
    count: usize,
    time: BenchTime,
    workers: usize,
    list: bool,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        names: Vec::new(),
        count: 1,
        time: BenchTime::Time(std::time::Duration::from_secs(1)),
        workers: 2,
        list: false,
    };
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.trim_start_matches('-') {
            "bench" => {
                a.names = value()?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }
            "count" => {
                a.count = value()?
                    .parse()
                    .ok()
                    .filter(|&c| c > 0)
                    .ok_or("-count: want a positive number")?
            }
            "benchtime" => a.time = value()?.parse()?,
            "workers" => {
                a.workers = value()?
                    .parse()
                    .ok()
                    .filter(|&w| w > 0)
                    .ok_or("-workers: want a positive number")?
            }
            "list" => a.list = true,
            "version" => {
                println!("{}", env!("RUSTC_VERSION"));
                std::process::exit(0)
            }
            "h" | "help" => return Err("tokio::sync benchmarks shaped like csp's".into()),
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(a)
}

fn main() {
    let args = parse_args(std::env::args().skip(1)).unwrap_or_else(|why| {
        eprintln!("bench-tokio: {why}\nusage: bench-tokio [-bench NAME[,NAME]] [-count 1] [-benchtime 1s] [-workers 2] [-list]");
        std::process::exit(2)
    });
    let chosen: Vec<Benchmark> = benchmarks()
        .into_iter()
        .filter(|b| args.names.is_empty() || args.names.iter().any(|n| b.name.starts_with(n.as_str())))
        .collect();
    if chosen.is_empty() {
        eprintln!("bench-tokio: no benchmark matches -bench {}", args.names.join(","));
        std::process::exit(2)
    }
    if args.list {
        for b in &chosen {
            println!("Benchmark{}", b.name);
        }
        return;
    }
    println!(
        "goos: {}\ngoarch: {}\npkg: chansync/rust\ncpu: {}",
        std::env::consts::OS,
        go_arch(),
        cpu_model()
    );
    for b in &chosen {
        for _ in 0..args.count {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(args.workers)
                .build()
                .expect("building the runtime");
            let (n, took) = harness::measure(b, &runtime, args.time);
            println!("{}", harness::line(b, args.workers, n, took));
        }
    }
    println!("ok");
}

/// go_arch names the architecture as Go does.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

/// cpu_model is the "model name" of /proc/cpuinfo, as Go's benchmarks
/// print it on their cpu: line.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.trim() == "model name")
                    .map(|(_, v)| v.trim().to_string())
            })
        })
        .unwrap_or_else(|| "unknown".into())
}
