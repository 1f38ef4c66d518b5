//! `cargo fuzz run sealed_snapshot`: see [`kdc_fuzz::sealed_snapshot`] for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kdc_fuzz::sealed_snapshot(data));
