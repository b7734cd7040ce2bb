//! The tutorial's echo server: one Tokio task per client. Each client's
//! '\n'-terminated lines are echoed back as they arrive, the same line
//! protocol as `go run ./cmd/echo`.
//!
//! Usage: echo-tokio [--workers N] PORT
//!
//! It listens on 127.0.0.1:PORT (0: a free port) and prints
//! "listening ADDR" once it does. --workers sets the runtime's worker
//! threads, 2 by default, as many as the cores the Go side is measured on.

use std::io;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

async fn serve(port: u16) -> io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = handle(stream).await {
                eprintln!("echo-tokio: {e}");
            }
        });
    }
}

async fn handle(mut stream: TcpStream) -> io::Result<()> {
    let (reader, mut writer) = stream.split();
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(()); // the client closed its side
        }
        writer.write_all(&line).await?;
    }
}

fn main() -> io::Result<()> {
    let (port, workers) = parse_args(std::env::args().skip(1));
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?
        .block_on(serve(port))
}

/// parse_args reads `[--workers N] PORT`; a bad command line exits 2.
fn parse_args(args: impl Iterator<Item = String>) -> (u16, usize) {
    let usage = |why: &str| -> ! {
        eprintln!("echo-tokio: {why}\nusage: echo-tokio [--workers N] PORT");
        std::process::exit(2)
    };
    let (mut port, mut workers) = (None, 2);
    let mut args = args.peekable();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--workers" | "-workers" => {
                let n = args.next().unwrap_or_default();
                workers = match n.parse() {
                    Ok(w) if w > 0 => w,
                    _ => usage(&format!("--workers {n:?}: want a positive number")),
                };
            }
            "-h" | "--help" => usage("the tutorial's echo server, a task per client"),
            _ if port.is_none() => match a.parse() {
                Ok(p) => port = Some(p),
                Err(_) => usage(&format!("port {a:?} is not a number from 0 to 65535")),
            },
            _ => usage(&format!("unexpected argument {a:?}")),
        }
    }
    (port.unwrap_or_else(|| usage("no port given")), workers)
}
