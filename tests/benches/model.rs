//! In-process figures of the model on seeded synthetic areas (`cargo bench -p kdc-tests`):
//! what a ward report, a `kdc status` and a history query spend their time on. The bare
//! Automerge load of the same bytes is measured beside them as the baseline.
//! The whole-system figures are in `kdc-bench` (docs/PERFORMANCE.md).

use std::hint::black_box;

use chrono::NaiveDate;
use crdt_model::{Area, history, snapshot};
use criterion::{Criterion, criterion_group, criterion_main};
use kdc_tests::synth::{self, Shape};
use rand::SeedableRng;
use rand::rngs::StdRng;

const SEED: u64 = 20_260_815;

fn area_of(households: usize) -> Area {
    let mut rng = StdRng::seed_from_u64(SEED);
    synth::area(SEED, 0, &Shape::random(&mut rng).with_households(households))
}

fn utc_day(secs: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().date_naive()
}

fn one_area(c: &mut Criterion) {
    for n in [300, 3000] {
        let area = area_of(n);
        let save = area.save();
        let mut g = c.benchmark_group(format!("area_{n}"));
        g.sample_size(20);
        g.bench_function("automerge_load (baseline)", |b| {
            b.iter(|| automerge::Automerge::load(black_box(&save)).unwrap())
        });
        g.bench_function("area_load", |b| b.iter(|| Area::load(black_box(&save), "bench").unwrap()));
        g.bench_function("status", |b| b.iter(|| black_box(&area).status()));
        g.bench_function("households_read", |b| b.iter(|| black_box(&area).households()));
        g.bench_function("save", |b| b.iter(|| black_box(&area).save()));
        let hh = area.households()[n / 2].id.clone();
        g.bench_function("household_history", |b| {
            b.iter(|| history::household_history(black_box(&area), &hh).unwrap())
        });
        g.bench_function("history_daily", |b| {
            b.iter(|| history::daily(black_box(&area), utc_day, None, None).unwrap())
        });
        g.bench_function("as_of_end", |b| b.iter(|| black_box(&area).as_of(i64::MAX).unwrap()));
        g.finish();
    }
}

fn ward(c: &mut Criterion) {
    let areas = synth::areas_with_total(SEED, 30, 3000);
    let files: Vec<(String, Vec<u8>)> = areas.iter().map(|a| (a.id(), snapshot::encode(&[a]))).collect();
    let docs: Vec<Vec<u8>> = areas.iter().map(Area::save).collect();
    let mut g = c.benchmark_group("ward_30_files_3000_households");
    g.sample_size(20);
    g.bench_function("automerge_load_all (baseline)", |b| {
        b.iter(|| docs.iter().map(|d| automerge::Automerge::load(d).unwrap()).count())
    });
    g.bench_function("merge_files", |b| b.iter(|| snapshot::merge_files(black_box(files.clone())).unwrap()));
    g.bench_function("merge_files_and_status", |b| {
        b.iter(|| snapshot::merge_files(files.clone()).unwrap().iter().map(Area::status).count())
    });
    g.finish();
}

criterion_group!(benches, one_area, ward);
criterion_main!(benches);
