//! Replays the fuzz corpus (`fuzz/corpus/TARGET/*`) through the fuzz targets' own bodies, so
//! `cargo test --workspace` guards against regressions of every input the fuzzers ever kept
//! (crashes included) without cargo-fuzz or a nightly feature.
//!
//! The target bodies are `fuzz/src/lib.rs`, compiled here as a module: one source for both.
//! A missing or empty corpus directory fails the test: nothing is skipped silently.
//!
//! To (re)write the seed files after changing an encoder:
//! `cargo test -p kdc-daemon --test fuzz_corpus -- --ignored write_seeds`.

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod kdc_fuzz;

use std::path::{Path, PathBuf};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target)
}

fn corpus_files(target: &str) -> Vec<PathBuf> {
    let dir = corpus_dir(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus directory {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries.map(|e| e.expect("directory entry").path()).filter(|p| p.is_file()).collect();
    files.sort();
    assert!(!files.is_empty(), "corpus directory {} is empty", dir.display());
    files
}

fn replay(target: &str) {
    let files = corpus_files(target);
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let result = std::panic::catch_unwind(|| kdc_fuzz::run(target, &data));
        if result.is_err() {
            panic!("fuzz target {target} fails on corpus file {}", file.display());
        }
    }
    eprintln!("{target}: replayed {} corpus files", files.len());
}

#[test]
fn snapshot_decode_corpus() {
    replay("snapshot_decode");
}

#[test]
fn sync_frame_corpus() {
    replay("sync_frame");
}

#[test]
fn invite_token_corpus() {
    replay("invite_token");
}

#[test]
fn field_value_corpus() {
    replay("field_value");
}

#[test]
fn every_target_has_a_corpus_and_a_test() {
    for target in kdc_fuzz::TARGETS {
        corpus_files(target);
    }
    assert_eq!(kdc_fuzz::TARGETS, ["snapshot_decode", "sync_frame", "invite_token", "field_value"]);
}

/// The seeds pass their own targets (so a seed never hides a bug as "expected").
#[test]
fn seeds_pass() {
    for (target, name, data) in kdc_fuzz::seeds() {
        if std::panic::catch_unwind(|| kdc_fuzz::run(target, &data)).is_err() {
            panic!("seed {target}/{name} fails its target");
        }
    }
}

#[test]
#[ignore = "writes fuzz/corpus/*/seed-*; run on purpose"]
fn write_seeds() {
    for (target, name, data) in kdc_fuzz::seeds() {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).expect("create corpus directory");
        std::fs::write(dir.join(format!("seed-{name}")), data).expect("write seed");
    }
}
