//! Kill the daemon with SIGKILL while writes stream in; every write it acknowledged must be there
//! after a restart. Prints how many acknowledged writes survived how many kills.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kdc_tests::{Daemon, kdc};

const AREA: &str = "crash";
const KILLS: usize = 6;

#[test]
fn acknowledged_writes_survive_sigkill() {
    let mut d = Daemon::start();
    d.kdc(&["area", "create", AREA, "--name", "Crash", "--ward", "W"]).ok();
    let dir = d.data_dir.clone();
    let mut acked_total = 0usize;
    let mut maybe_total = 0usize;
    for round in 0..KILLS {
        let acked = Arc::new(Mutex::new(Vec::<String>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (acked, stop, dir) = (acked.clone(), stop.clone(), dir.clone());
            std::thread::spawn(move || {
                let mut in_flight = None;
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let hh = format!("R{round}-{i:04}");
                    let out =
                        kdc(&dir, &["household", "add", "--consent", "verbal", AREA, &hh, "members=3", "internet=yes"]);
                    if out.code == 0 {
                        acked.lock().unwrap().push(hh);
                    } else {
                        in_flight = Some(hh); // Killed mid-write: it may or may not be stored.
                        break;
                    }
                }
                in_flight
            })
        };
        // Kill after a varying number of acknowledged writes, so kills land at different points
        // (mid-write, mid-flush, mid-compaction).
        let target = 5 + round * 7;
        let deadline = Instant::now() + Duration::from_secs(60);
        while acked.lock().unwrap().len() < target {
            assert!(Instant::now() < deadline, "writes stalled");
            std::thread::sleep(Duration::from_millis(5));
        }
        d.kill();
        let in_flight = writer.join().unwrap();
        stop.store(true, Ordering::Relaxed);

        d.restart();
        let list = d.json(&["household", "list", AREA]);
        let stored: std::collections::BTreeSet<String> =
            list.as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect();
        let acked = acked.lock().unwrap().clone();
        for hh in &acked {
            assert!(stored.contains(hh), "acknowledged write {hh} lost after SIGKILL in round {round}");
        }
        // The document must still evaluate and accept writes after the crash.
        let status = d.json(&["status", AREA]);
        assert_eq!(status["households"].as_u64().unwrap() as usize, stored.len());
        acked_total += acked.len();
        maybe_total += usize::from(in_flight.is_some_and(|hh| stored.contains(&hh)));
    }
    eprintln!(
        "crash test: {acked_total} acknowledged writes, all present after {KILLS} SIGKILLs \
         ({maybe_total} unacknowledged in-flight writes were stored too)"
    );
}
