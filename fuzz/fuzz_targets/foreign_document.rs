//! `cargo fuzz run foreign_document`: see [`kdc_fuzz::foreign_document`] for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kdc_fuzz::foreign_document(data));
