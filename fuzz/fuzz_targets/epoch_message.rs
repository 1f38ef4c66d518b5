//! `cargo fuzz run epoch_message`: see [`kdc_fuzz::epoch_message`] for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kdc_fuzz::epoch_message(data));
