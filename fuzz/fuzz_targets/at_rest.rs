//! `cargo fuzz run at_rest`: see [`kdc_fuzz::at_rest`] for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kdc_fuzz::at_rest(data));
