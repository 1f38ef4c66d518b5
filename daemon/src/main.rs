//! `kdcd`: parses flags, sets up logging and signals, and hands over to [`kdc_daemon::run_in`].

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;
use kdc_daemon::store::{KeyError, Passphrase, Protection, keys};
use kdc_daemon::{Config, DaemonError, DataDir, config};
use libp2p::Multiaddr;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the platform's allocator: a daemon that has just started (a phone's
/// first sync of its area) otherwise pays a page fault for nearly every page Automerge's load
/// writes — glibc gives each thread's arena fresh mappings, and musl, which the release
/// archives use, maps and unmaps every large buffer — and on Windows it is the same allocator
/// as on Linux. docs/PERFORMANCE.md, "kdcd's allocator".
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The KDC Sync daemon: keeps this device's areas and serves the local control API.
#[derive(Debug, Parser)]
#[command(name = "kdcd", version, about)]
struct Args {
    /// Data directory (identity, database, api.addr, api.token) [default: the platform's data
    /// directory, e.g. ~/.local/share/kdc]
    #[arg(long, env = "KDC_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Control API address; port 0 picks a free port (written to DATA_DIR/api.addr)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7420")]
    api: String,

    /// libp2p listen address; repeatable [default: /ip4/0.0.0.0/tcp/0]
    #[arg(long = "listen", value_name = "MULTIADDR", value_parser = parse_multiaddr)]
    listen: Vec<Multiaddr>,

    /// A peer to dial at start and keep redialling; repeatable
    #[arg(long = "peer", value_name = "MULTIADDR", value_parser = parse_multiaddr)]
    peers: Vec<Multiaddr>,

    /// Also serve as a relay (libp2p circuit relay v2) for devices behind NAT or on mobile data.
    /// A relay holds no area; it forwards only end-to-end encrypted bytes
    #[arg(long)]
    relay: bool,

    /// With --relay: serve only this device (its peer id), e.g. the phones and PCs of one ward's
    /// teams; repeatable [default: any device, within the relay's limits]
    #[arg(long = "relay-allow", value_name = "PEER_ID", requires = "relay", value_parser = parse_peer_id)]
    relay_allow: Vec<libp2p::PeerId>,

    /// An address others reach this device at (public or port-forwarded), announced to peers
    /// and handed out in relay reservations; repeatable
    #[arg(long = "external-address", value_name = "MULTIADDR", value_parser = parse_multiaddr)]
    external: Vec<Multiaddr>,

    /// Do not discover peers on the local network with mDNS
    #[arg(long)]
    no_mdns: bool,

    /// This device's name, shown to the other members of an area (stored; later starts keep it)
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    /// Allow an --api address that is not loopback. The control API then listens on the
    /// network; only the token in DATA_DIR/api.token protects it, over plain HTTP.
    #[arg(long)]
    unsafe_remote_api: bool,

    /// Also serve the web app on this address for browsers on the local network (e.g.
    /// 0.0.0.0:7421); each browser logs in with a code from `kdc ui --lan`. Off by default.
    #[arg(long, value_name = "ADDR")]
    ui_listen: Option<String>,

    /// Read the passphrase that protects this device's data key (encryption at rest) from file
    /// descriptor N: its first line. Given to a device whose key has no passphrase yet, it
    /// sets one; from then on every start needs it
    #[arg(long, value_name = "N", conflicts_with = "ask_passphrase")]
    passphrase_fd: Option<i32>,

    /// Ask for that passphrase on the terminal (twice when setting it). kdcd also asks by
    /// itself when the key needs one and it was started in a terminal
    #[arg(long)]
    ask_passphrase: bool,
}

/// clap names the flag in its error and exits with 2.
fn parse_peer_id(s: &str) -> Result<libp2p::PeerId, String> {
    s.trim().parse().map_err(|e| format!("not a peer id ({e}); example: 12D3KooW… as `kdc id` prints it"))
}

/// clap names the flag in its error and exits with 2.
fn parse_multiaddr(s: &str) -> Result<Multiaddr, String> {
    s.parse::<Multiaddr>().map_err(|e| format!("not a multiaddr ({e}); example: /ip4/192.168.1.20/tcp/4001"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        // Colours only for a person watching; log files and journald get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    // Usage errors clap cannot see: exit 2 like clap's own.
    let api = match resolve_api(&args.api) {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("kdcd: error: invalid value {:?} for '--api <ADDR>': {e:#}", args.api);
            return ExitCode::from(2);
        }
    };
    if !api.ip().is_loopback() {
        if !args.unsafe_remote_api {
            eprintln!(
                "kdcd: error: invalid value {:?} for '--api <ADDR>': {} is not a loopback address; the control API \
                 would listen on the network, protected only by its token over plain HTTP. Use 127.0.0.1 (the \
                 default), --ui-listen ADDR to serve the web app on the LAN, or add --unsafe-remote-api if you mean it",
                args.api,
                api.ip()
            );
            return ExitCode::from(2);
        }
        tracing::warn!(%api, "the control API listens on a non-loopback address (--unsafe-remote-api): anyone on the network who learns the token controls this device");
    }
    let ui_listen = match args.ui_listen.as_deref().map(resolve_api).transpose() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!(
                "kdcd: error: invalid value {:?} for '--ui-listen <ADDR>': {e:#}",
                args.ui_listen.unwrap_or_default()
            );
            return ExitCode::from(2);
        }
    };
    if let Some(name) = &args.name
        && let Err(e) = config::validate_device_name(name)
    {
        eprintln!("kdcd: error: invalid value {name:?} for '--name <NAME>': {e}");
        return ExitCode::from(2);
    }

    match start(args, api, ui_listen).await {
        Ok(()) => match kdc_daemon::update::restart_requested() {
            Some(exe) => restart(&exe),
            None => ExitCode::SUCCESS,
        },
        Err(e) => {
            eprintln!("kdcd: error: {e:#}");
            // A missing, wrong or malformed passphrase is the user's input: exit 2.
            let passphrase = matches!(e.downcast_ref::<DaemonError>(), Some(DaemonError::Key(k)) if !matches!(k, KeyError::Io { .. } | KeyError::Malformed { .. }))
                || matches!(e.downcast_ref::<KeyError>(), Some(KeyError::BadPassphrase(_)));
            if passphrase { ExitCode::from(2) } else { ExitCode::FAILURE }
        }
    }
}

/// After an update or a rollback, once everything has stopped: the binary now in place, with
/// the same arguments (on Unix in this process; on Windows as a new one). Where that fails, kdcd
/// says how to start it and exits 1, and whatever supervises it (Termux:Boot, systemd, the
/// Windows launcher's loop) starts the new binary.
fn restart(exe: &Path) -> ExitCode {
    let mut cmd = std::process::Command::new(exe);
    cmd.args(std::env::args_os().skip(1)).env_remove(kdc_daemon::update::TEST_VERSION_VAR);
    #[cfg(unix)]
    let err = {
        use std::os::unix::process::CommandExt;
        cmd.exec()
    };
    #[cfg(not(unix))]
    let err = match cmd.spawn() {
        Ok(_) => return ExitCode::SUCCESS,
        Err(e) => e,
    };
    eprintln!("kdcd: the new release is installed but could not be started ({err}); start {} again", exe.display());
    ExitCode::FAILURE
}

/// The passphrase of the device key: from `--passphrase-fd`, or asked on the terminal with
/// `--ask-passphrase` or because the key needs one and a person is at the terminal. `None`
/// otherwise (then a key that needs one is refused with a message saying how to give it).
fn passphrase(args: &Args, data_dir: &Path) -> Result<Option<Passphrase>, KeyError> {
    if let Some(fd) = args.passphrase_fd {
        return read_fd(fd).map(Some);
    }
    let protection = keys::protection(data_dir)?;
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdin());
    if !(args.ask_passphrase || protection == Protection::Passphrase && terminal) {
        return Ok(None);
    }
    if !terminal {
        return Err(KeyError::BadPassphrase(
            "--ask-passphrase needs a terminal; give it with --passphrase-fd N instead".into(),
        ));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt).map_err(|e| KeyError::BadPassphrase(format!("cannot be read: {e}")))
    };
    let both = |(vi, en): (String, String)| format!("{vi} / {en}: ");
    let first = zeroize::Zeroizing::new(ask(&both(kdc_text::both!("kdcd-passphrase")))?);
    if protection != Protection::Passphrase {
        let again = zeroize::Zeroizing::new(ask(&both(kdc_text::both!("kdcd-passphrase-again")))?);
        if *first != *again {
            return Err(KeyError::BadPassphrase("the two passphrases typed differ".into()));
        }
    }
    Passphrase::new(&first).map(Some)
}

#[cfg(unix)]
fn read_fd(fd: i32) -> Result<Passphrase, KeyError> {
    let path = format!("/dev/fd/{fd}");
    let file = std::fs::File::open(&path)
        .map_err(|e| KeyError::BadPassphrase(format!("--passphrase-fd {fd}: cannot open {path}: {e}")))?;
    Passphrase::read_from(file)
}

#[cfg(not(unix))]
fn read_fd(fd: i32) -> Result<Passphrase, KeyError> {
    if fd == 0 {
        return Passphrase::read_from(std::io::stdin());
    }
    Err(KeyError::BadPassphrase(format!(
        "--passphrase-fd {fd}: only 0 (standard input) is available on this system; or use --ask-passphrase"
    )))
}

fn resolve_api(text: &str) -> anyhow::Result<SocketAddr> {
    let mut addrs = text.to_socket_addrs().context("expected HOST:PORT, e.g. 127.0.0.1:7420")?;
    match addrs.next() {
        Some(addr) => Ok(addr),
        None => bail!("{text} resolves to no address"),
    }
}

async fn start(args: Args, api: SocketAddr, ui_listen: Option<SocketAddr>) -> anyhow::Result<()> {
    let data_dir = match args.data_dir.clone() {
        Some(dir) => dir,
        None => {
            config::default_data_dir().context("no platform data directory; give --data-dir DIR or set KDC_DATA_DIR")?
        }
    };
    let mut config = Config::new(&data_dir);
    config.passphrase = passphrase(&args, &data_dir)?;
    config.name = args.name;
    if !args.listen.is_empty() {
        config.listen = args.listen;
    }
    config.peers = args.peers;
    config.mdns = !args.no_mdns;
    config.relay = args.relay;
    config.relay_allow = args.relay_allow;
    config.external = args.external;
    config.ui_listen = ui_listen;
    // A person at a terminal gets the web app's login link; services and tests do not.
    config.print_login_url = std::io::IsTerminal::is_terminal(&std::io::stdout());

    // Lock the data directory before binding, so a second kdcd reports the real problem.
    let dir = data_dir.clone();
    let opened: DataDir = tokio::task::spawn_blocking(move || DataDir::open(&dir)).await??;
    let listener = tokio::net::TcpListener::bind(api).await.with_context(|| format!("cannot listen on --api {api}"))?;

    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    kdc_daemon::run_in(opened, config, listener, shutdown).await?;
    Ok(())
}

/// Cancels `shutdown` on SIGINT or SIGTERM; on Windows on Ctrl-C, Ctrl-Break or the console's
/// close, logoff and shutdown events.
async fn wait_for_signal(shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM; only SIGINT stops kdcd");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(windows)]
    {
        // Ctrl-C, Ctrl-Break, closing the console window, logging off and shutting Windows
        // down. For the last three Windows waits for the handler (tokio parks its thread) for
        // about 5 s (20 s at shutdown) before it ends the process, which is time enough to
        // flush and close the store.
        use tokio::signal::windows;
        match (
            windows::ctrl_c(),
            windows::ctrl_break(),
            windows::ctrl_close(),
            windows::ctrl_shutdown(),
            windows::ctrl_logoff(),
        ) {
            (Ok(mut c), Ok(mut b), Ok(mut close), Ok(mut down), Ok(mut logoff)) => {
                tokio::select! {
                    _ = c.recv() => tracing::info!("Ctrl-C received"),
                    _ = b.recv() => tracing::info!("Ctrl-Break received"),
                    _ = close.recv() => tracing::info!("console closed"),
                    _ = down.recv() => tracing::info!("Windows is shutting down"),
                    _ = logoff.recv() => tracing::info!("user logging off"),
                }
            }
            _ => {
                tracing::warn!("cannot watch the console's close events; only Ctrl-C stops kdcd");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    shutdown.cancel();
}

#[cfg(test)]
mod tests {
    unsafe extern "C" {
        /// mimalloc's own: whether `p` lies in memory mimalloc manages.
        fn mi_is_in_heap_region(p: *const std::ffi::c_void) -> bool;
    }

    #[test]
    fn kdcd_allocates_with_mimalloc() {
        let block = vec![7u8; 256];
        let large = vec![7u8; 4 << 20];
        // SAFETY: a query on an address; nothing is read or written through it.
        unsafe {
            assert!(mi_is_in_heap_region(block.as_ptr().cast()), "a small block is not mimalloc's");
            assert!(mi_is_in_heap_region(large.as_ptr().cast()), "a large buffer is not mimalloc's");
        }
    }
}
