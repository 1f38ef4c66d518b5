//! `kdc-impair`: a user-space impairing link for the Wi-Fi tests. This kernel has no netem, so
//! delay comes from here: packets that an iptables rule sends to NFQUEUE queue `--queue` are
//! held for `--delay-ms` ± `--jitter-ms` (uniform, per packet, so packets also overtake each
//! other) and then accepted. Drops stay with iptables' `statistic` match.
//!
//! ```text
//! ip netns exec NS iptables -A INPUT ! -i lo -j NFQUEUE --queue-num 0 --queue-bypass
//! ip netns exec NS kdc-impair --queue 0 --delay-ms 150 --jitter-ms 80 [--seed N]
//! ```
//! Runs until killed; `--queue-bypass` lets packets through if it is not running. Linux only.
//!
//! `kdc-impair --probe HOST:PORT` prints how long a TCP connection to HOST:PORT takes to open,
//! in milliseconds (one round trip): the tests check with it that the link is as slow as asked.

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    use std::process::ExitCode;

    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, target] = args.as_slice()
        && flag == "--probe"
    {
        let started = std::time::Instant::now();
        return match std::net::TcpStream::connect(target.as_str()) {
            Ok(_) => {
                println!("{:.1}", started.elapsed().as_secs_f64() * 1000.0);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("kdc-impair: cannot connect to {target}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let (mut queue, mut delay, mut jitter, mut seed) = (0u16, 150u64, 80u64, 1u64);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().and_then(|v| v.parse::<u64>().ok());
        match (flag.as_str(), value) {
            ("--queue", Some(v)) if v <= u64::from(u16::MAX) => queue = v as u16,
            ("--delay-ms", Some(v)) => delay = v,
            ("--jitter-ms", Some(v)) if v <= delay => jitter = v,
            ("--seed", Some(v)) => seed = v,
            _ => {
                eprintln!(
                    "kdc-impair: bad argument {flag:?}; usage: kdc-impair --queue N (0-65535) --delay-ms MS --jitter-ms MS (≤ delay) [--seed N]"
                );
                return ExitCode::from(2);
            }
        }
    }
    match linux::run(queue, delay, jitter, seed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kdc-impair: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, HashMap};
    use std::time::{Duration, Instant};

    use nfq::{Queue, Verdict};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    pub fn run(num: u16, delay: u64, jitter: u64, seed: u64) -> std::io::Result<()> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut queue = Queue::open()?;
        queue.bind(num)?;
        // Only the verdict matters: copy no payload to user space.
        queue.set_copy_range(num, 0)?;
        queue.set_queue_max_len(num, 16_384)?;
        queue.set_fail_open(num, true)?;
        queue.set_nonblocking(true);
        eprintln!("kdc-impair: queue {num}, {delay} ± {jitter} ms");
        let mut due: BinaryHeap<Reverse<(Instant, u64)>> = BinaryHeap::new();
        let mut held: HashMap<u64, nfq::Message> = HashMap::new();
        let mut serial = 0u64;
        loop {
            loop {
                match queue.recv() {
                    Ok(mut msg) => {
                        msg.set_verdict(Verdict::Accept);
                        let ms = rng.random_range(delay - jitter..=delay + jitter);
                        serial += 1;
                        due.push(Reverse((Instant::now() + Duration::from_millis(ms), serial)));
                        held.insert(serial, msg);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
            let now = Instant::now();
            while let Some(Reverse((at, id))) = due.peek().copied() {
                if at > now {
                    break;
                }
                due.pop();
                if let Some(msg) = held.remove(&id) {
                    queue.verdict(msg)?;
                }
            }
            let next = due.peek().map(|Reverse((at, _))| at.saturating_duration_since(now));
            std::thread::sleep(next.unwrap_or(Duration::from_millis(1)).min(Duration::from_millis(1)));
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    eprintln!("kdc-impair needs Linux (NFQUEUE)");
    std::process::ExitCode::FAILURE
}
