//! The tutorial's water factory on Tokio: two semaphores and a barrier.
//! It spawns all 2n hydrogen and n oxygen atoms at once, as tasks in a
//! shuffled order, joins them with `join_all`, and prints the time per
//! molecule in the form of `go run ./cmd/h2o -quiet`:
//!
//!     100000 molecules in 512ms: 195312 molecules/s, 5120 ns/molecule
//!
//! Usage: h2o-tokio [-n 10] [--workers 2] [--seed S] [--check]
//!
//! --check also records the order of the bonds and checks that every
//! three in a row are two hydrogens and one oxygen: the permits come back
//! only after bonding, so molecules cannot overlap (exit 1 if one is wrong).

use futures::future::join_all;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Barrier, Semaphore};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Element {
    H,
    O,
}

struct Factory {
    hydrogen: Semaphore,
    oxygen: Semaphore,
    barrier: Barrier,
}

impl Factory {
    fn new() -> Self {
        Factory {
            hydrogen: Semaphore::new(2),
            oxygen: Semaphore::new(1),
            barrier: Barrier::new(3),
        }
    }

    async fn hydrogen(&self, bond: impl FnOnce()) {
        let _permit = self.hydrogen.acquire().await.unwrap();
        self.barrier.wait().await;
        bond();
    } // _permit dropped: the permit goes back only after bonding

    async fn oxygen(&self, bond: impl FnOnce()) {
        let _permit = self.oxygen.acquire().await.unwrap();
        self.barrier.wait().await;
        bond();
    }
}

/// react spawns one task per atom, in the order given, and joins them all;
/// the clock runs from the first spawn to the last join. log, if any,
/// records each bond's element.
async fn react(atoms: &[Element], log: Option<Arc<Mutex<Vec<Element>>>>) -> Duration {
    let factory = Arc::new(Factory::new());
    let start = Instant::now();
    let mut handles = Vec::with_capacity(atoms.len());
    for &atom in atoms {
        let factory = factory.clone();
        let log = log.clone();
        let bond = move || {
            if let Some(log) = log {
                log.lock().unwrap().push(atom);
            }
        };
        handles.push(tokio::spawn(async move {
            match atom {
                Element::H => factory.hydrogen(bond).await,
                Element::O => factory.oxygen(bond).await,
            }
        }));
    }
    for joined in join_all(handles).await {
        joined.expect("an atom's task panicked");
    }
    start.elapsed()
}

/// check returns the first molecule (from 1) that is not two hydrogens and
/// one oxygen, in a log of bonds in the order they happened.
fn check(log: &[Element]) -> Option<usize> {
    log.chunks(3)
        .position(|m| m.len() != 3 || m.iter().filter(|&&e| e == Element::O).count() != 1)
        .map(|i| i + 1)
}

/// shuffled returns 2n hydrogens and n oxygens in an order shuffled with
/// seed (Fisher-Yates over a splitmix64 stream).
fn shuffled(n: usize, seed: u64) -> Vec<Element> {
    let mut atoms: Vec<Element> = (0..n).flat_map(|_| [Element::H, Element::H, Element::O]).collect();
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    };
    for i in (1..atoms.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        atoms.swap(i, j);
    }
    atoms
}

struct Args {
    n: usize,
    workers: usize,
    seed: u64,
    check: bool,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        n: 10,
        workers: 2,
        seed: 0,
        check: false,
    };
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let v = args.next().unwrap_or_default();
            v.parse().map_err(|_| format!("{name} {v:?}: want a number"))
        };
        match flag.trim_start_matches('-') {
            "n" => a.n = value("-n")? as usize,
            "workers" => a.workers = value("--workers")? as usize,
            "seed" => a.seed = value("--seed")?,
            "check" => a.check = true,
            "h" | "help" => return Err("the tutorial's water factory on Tokio".into()),
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    if a.n < 1 || a.workers < 1 {
        return Err("-n and --workers must be at least 1".into());
    }
    if a.seed == 0 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        a.seed = now.map_or(1, |d| d.as_nanos() as u64) ^ u64::from(std::process::id());
    }
    Ok(a)
}

fn main() {
    let args = parse_args(std::env::args().skip(1)).unwrap_or_else(|why| {
        eprintln!("h2o-tokio: {why}\nusage: h2o-tokio [-n 10] [--workers 2] [--seed S] [--check]");
        std::process::exit(2)
    });
    let atoms = shuffled(args.n, args.seed);
    let log = args
        .check
        .then(|| Arc::new(Mutex::new(Vec::with_capacity(atoms.len()))));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.workers)
        .build()
        .expect("building the runtime");
    let elapsed = runtime.block_on(react(&atoms, log.clone()));
    let n = args.n;
    println!(
        "{n} molecules in {:?}: {:.0} molecules/s, {:.0} ns/molecule",
        Duration::from_millis(elapsed.as_millis() as u64),
        n as f64 / elapsed.as_secs_f64(),
        elapsed.as_nanos() as f64 / n as f64
    );
    if let Some(log) = log {
        let log = log.lock().unwrap();
        match check(&log) {
            None => println!("check: ok: {n} molecules, each H-H-O, none overlapping the next"),
            Some(m) => {
                println!("check: FAILED: molecule {m} is not two hydrogens and one oxygen");
                std::process::exit(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Element::{H, O};

    #[test]
    fn shuffled_keeps_two_hydrogens_per_oxygen() {
        let atoms = shuffled(1000, 7);
        assert_eq!(atoms.len(), 3000);
        assert_eq!(atoms.iter().filter(|&&e| e == O).count(), 1000);
        assert_ne!(atoms, shuffled(1000, 8), "two seeds gave one order");
        assert_eq!(atoms, shuffled(1000, 7), "one seed gave two orders");
    }

    #[test]
    fn check_catches_a_wrong_molecule() {
        assert_eq!(check(&[H, O, H, O, H, H]), None);
        assert_eq!(check(&[H, O, H, H, H, H]), Some(2));
        assert_eq!(check(&[O, O, H, H, H, H]), Some(1));
        assert_eq!(check(&[H, O, H, H]), Some(2));
    }

    #[test]
    fn the_factory_makes_only_water() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        for seed in 1..=20 {
            let log = Arc::new(Mutex::new(Vec::new()));
            let atoms = shuffled(300, seed);
            let run = async { tokio::time::timeout(Duration::from_secs(30), react(&atoms, Some(log.clone()))).await };
            runtime.block_on(run).expect("the atoms deadlocked");
            let log = log.lock().unwrap();
            assert_eq!(log.len(), 900);
            assert_eq!(check(&log), None, "seed {seed}");
        }
    }
}
