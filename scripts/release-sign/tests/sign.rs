//! `kdc-release-sign` as `scripts/dist` runs it: a key pair, then a signature that the format's
//! own verifier (what `kdcd` uses) accepts, with the release and target in its signed comment.
//! (Being an integration test also makes `cargo test --workspace` build the binary, which the
//! browser tests sign their archive with.)

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_kdc-release-sign");

#[test]
fn signs_what_kdcd_verifies_and_never_overwrites_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let out = Command::new(BIN).arg("keygen").arg(&keys).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let public = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let again = Command::new(BIN).arg("keygen").arg(&keys).output().unwrap();
    assert_eq!(again.status.code(), Some(2), "a second keygen must not replace the key: {again:?}");

    let archive = dir.path().join("kdc-sync-0.3.0-x86_64-unknown-linux-musl.tar.gz");
    std::fs::write(&archive, b"an archive").unwrap();
    let key = keys.join("kdc-release.key");
    let signed = Command::new(BIN)
        .arg("sign")
        .arg(&key)
        .arg(&archive)
        .args(["0.3.0", "x86_64-unknown-linux-musl"])
        .output()
        .unwrap();
    assert!(signed.status.success(), "{signed:?}");
    let text = std::fs::read_to_string(format!("{}.minisig", archive.display())).unwrap();
    let sig = minisign_verify::Signature::decode(&text).unwrap();
    assert_eq!(sig.trusted_comment(), "kdc-sync 0.3.0 x86_64-unknown-linux-musl");
    let pk = minisign_verify::PublicKey::from_base64(&public).unwrap();
    pk.verify(b"an archive", &sig, false).unwrap();
    assert!(pk.verify(b"another archive", &sig, false).is_err());
}
