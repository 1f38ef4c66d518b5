//! `kdc-release-sign`: the signing half of updates from a teammate.
//!
//! ```text
//! kdc-release-sign keygen DIR                 # DIR/kdc-release.key (secret, 0600) and .pub
//! kdc-release-sign sign KEY ARCHIVE VERSION TARGET   # writes ARCHIVE.minisig
//! ```
//! The signature's trusted comment (signed with the archive) is `kdc-sync VERSION TARGET`, so
//! a device checks it is offered the release and platform the archive says it is. The secret
//! key is unencrypted: keep it off the repository and off the devices (scripts/dist reads it
//! from `KDC_RELEASE_KEY`). The public key goes into `daemon/src/update.rs`.

use std::io::Cursor;
use std::process::ExitCode;

use anyhow::{Context, bail};

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kdc-release-sign: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> anyhow::Result<()> {
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["keygen", dir] => {
            let pair = minisign::KeyPair::generate_unencrypted_keypair()?;
            let dir = std::path::Path::new(dir);
            std::fs::create_dir_all(dir)?;
            let secret = dir.join("kdc-release.key");
            if secret.exists() {
                bail!("{} exists: not overwritten", secret.display());
            }
            std::fs::write(&secret, pair.sk.to_box(Some("KDC Sync release key"))?.into_string())?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600))?;
            }
            std::fs::write(dir.join("kdc-release.pub"), pair.pk.to_box()?.into_string())?;
            println!("{}", pair.pk.to_base64());
            Ok(())
        }
        ["sign", key, archive, version, target] => {
            let text = std::fs::read_to_string(key).with_context(|| format!("secret key {key}"))?;
            let sk = minisign::SecretKeyBox::from_string(&text)?.into_unencrypted_secret_key()?;
            let bytes = std::fs::read(archive).with_context(|| format!("archive {archive}"))?;
            let trusted = format!("kdc-sync {version} {target}");
            let name = std::path::Path::new(archive).file_name().map(|n| n.to_string_lossy().into_owned());
            let sig = minisign::sign(None, &sk, Cursor::new(bytes), Some(&trusted), name.as_deref())?;
            std::fs::write(format!("{archive}.minisig"), sig.into_string())?;
            Ok(())
        }
        _ => bail!("usage: kdc-release-sign keygen DIR | sign KEY ARCHIVE VERSION TARGET"),
    }
}
