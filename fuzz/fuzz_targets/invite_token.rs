//! `cargo fuzz run invite_token`: see [`kdc_fuzz::invite_token`] for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kdc_fuzz::invite_token(data));
