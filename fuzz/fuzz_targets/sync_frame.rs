//! `cargo fuzz run sync_frame`: see [`kdc_fuzz::sync_frame`] for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kdc_fuzz::sync_frame(data));
