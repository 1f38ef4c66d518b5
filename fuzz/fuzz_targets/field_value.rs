//! `cargo fuzz run field_value`: see [`kdc_fuzz::field_value`] for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kdc_fuzz::field_value(data));
