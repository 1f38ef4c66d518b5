//! `kdc-synth`: writes a seeded synthetic area (tests/src/synth.rs) as a snapshot file, for
//! browser tests and benchmarks that need a realistic area in a real daemon
//! (`kdc snapshot import FILE`).
//!
//! ```text
//! kdc-synth --seed 7 --households 300 --id seeded-area [--peer PEER_ID] -o FILE
//! ```
//! With `--peer`, that device (e.g. the importing daemon, from `kdc --json id`) creates the
//! area and is its head, so it may write to it and invite others.

use std::process::ExitCode;

use kdc_tests::synth;
use rand::SeedableRng;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seed = 7u64;
    let mut households = 300usize;
    let mut id = "khu-000".to_string();
    let mut peer = "peer-a".to_string();
    let mut out = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().unwrap_or_default();
        match flag.as_str() {
            "--seed" => seed = value().parse().unwrap_or(seed),
            "--households" => households = value().parse().unwrap_or(households),
            "--id" => id = value(),
            "--peer" => peer = value(),
            "-o" | "--output" => out = Some(value()),
            other => {
                eprintln!(
                    "kdc-synth: unknown argument {other:?}; usage: kdc-synth --seed N --households N --id AREA [--peer PEER_ID] -o FILE"
                );
                return ExitCode::from(2);
            }
        }
    }
    let Some(out) = out else {
        eprintln!("kdc-synth: -o FILE is required");
        return ExitCode::from(2);
    };
    if let Err(e) = crdt_model::ids::validate_area_id(&id) {
        eprintln!("kdc-synth: --id: {e}");
        return ExitCode::from(2);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let shape = synth::Shape::random(&mut rng).with_households(households);
    let area = synth::area_with_id(seed, 0, &shape, [&peer, "peer-b"], &id);
    if let Err(e) = std::fs::write(&out, crdt_model::snapshot::encode(&[&area])) {
        eprintln!("kdc-synth: cannot write {out}: {e}");
        return ExitCode::FAILURE;
    }
    println!("{id}");
    ExitCode::SUCCESS
}
