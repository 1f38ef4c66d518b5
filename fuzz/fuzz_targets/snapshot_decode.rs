//! `cargo fuzz run snapshot_decode`: see [`kdc_fuzz::snapshot_decode`] for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kdc_fuzz::snapshot_decode(data));
