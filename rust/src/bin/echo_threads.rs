//! The tutorial's first echo server: one OS thread per client, blocking
//! reads and writes. Same line protocol as echo-tokio and
//! `go run ./cmd/echo -mode thread`.
//!
//! Usage: echo-threads PORT
//!
//! It listens on 127.0.0.1:PORT (0: a free port) and prints
//! "listening ADDR" once it does.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

fn main() -> io::Result<()> {
    let port = parse_port(std::env::args().skip(1));
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("listening {}", listener.local_addr()?);
    for stream in listener.incoming() {
        let stream = stream?;
        thread::spawn(move || {
            if let Err(e) = handle(stream) {
                eprintln!("echo-threads: {e}");
            }
        });
    }
    Ok(())
}

fn handle(stream: TcpStream) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(()); // the client closed its side
        }
        writer.write_all(&line)?;
    }
}

/// parse_port reads `PORT`; a bad command line exits 2.
fn parse_port(mut args: impl Iterator<Item = String>) -> u16 {
    let usage = |why: &str| -> ! {
        eprintln!("echo-threads: {why}\nusage: echo-threads PORT");
        std::process::exit(2)
    };
    let port = match args.next() {
        Some(a) if a == "-h" || a == "--help" => usage("the tutorial's echo server, a thread per client"),
        Some(a) => a
            .parse()
            .unwrap_or_else(|_| usage(&format!("port {a:?} is not a number from 0 to 65535"))),
        None => usage("no port given"),
    };
    if let Some(a) = args.next() {
        usage(&format!("unexpected argument {a:?}"));
    }
    port
}
