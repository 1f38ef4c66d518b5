//! `kdcd`, the KDC Sync daemon, as a library: `main.rs` is a thin shell around [`run`], and
//! tests start the same code on port 0.
//!
//! - [`config`]: command-line configuration; the data directory (lock, identity, token,
//!   `api.addr`).
//! - [`store`]: area documents in sled: full saves plus flushed incremental chunks.
//! - [`node`]: the in-memory registry of areas; every write persisted before it is answered.
//! - [`api`]: the control API server (axum), bearer-token auth, JSON errors.
//! - [`client`]: a typed blocking client of that API (used by `kdc`).
//! - [`invite`]: invite tokens (`kdc invite`, `kdc join`).
//! - [`web`]: the web app served at the API's root (and on `--ui-listen`).
//!
//! Invariant: sled and Automerge never run on tokio reactor threads. Startup loads on a
//! blocking thread and [`node::Node`] wraps every operation in `spawn_blocking`.

pub mod addrs;
pub mod api;
pub mod app;
pub mod config;
pub mod durable;
pub mod invite;
pub mod memory;
pub mod network;
pub mod node;
pub mod session;
pub mod state;
pub mod store;
pub mod update;
pub mod web;

// The ward office's work on files lives in its own crate (`kdc-ward`), shared with `kdc`.
pub use kdc_ward::{report, seal, ward};

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Config, DataDir};

/// Why the daemon could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("cannot open the database: {0}")]
    Store(#[from] store::StoreError),
    /// The device key (encryption at rest) cannot be had: a passphrase is needed or wrong.
    #[error(transparent)]
    Key(#[from] store::KeyError),
    #[error("cannot load areas: {0}")]
    Node(#[from] node::NodeError),
    /// Every acknowledged write was flushed when it was acknowledged; this is the final one.
    /// (Not a `#[source]`: the text already holds the cause, once.)
    #[error("cannot flush the database at shutdown: {0}")]
    Flush(node::NodeError),
    #[error("control API failed: {0}")]
    Api(#[source] std::io::Error),
    #[error("network: {0}")]
    Network(#[source] network::NetError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Runs the daemon until `shutdown` is cancelled: opens and locks `config.data_dir`, loads the
/// areas, serves the control API on `api_listener`, then shuts down gracefully (stops
/// accepting, finishes in-flight requests, flushes the database, removes `api.addr`).
///
/// Once the API is ready to answer, `DATA_DIR/api.addr` holds the listener's address; clients
/// may connect earlier (the listener is already bound) and are answered once loading is done.
pub async fn run(config: Config, api_listener: TcpListener, shutdown: CancellationToken) -> Result<(), DaemonError> {
    run_with_ready(config, api_listener, shutdown, None).await
}

/// [`run`], with a data directory opened (and locked) by the caller. `main` opens it before
/// binding the API port so that a second daemon fails on the lock, with a clear message,
/// rather than on the port.
pub async fn run_in(
    data_dir: DataDir,
    config: Config,
    api_listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), DaemonError> {
    serve(data_dir, config, api_listener, shutdown, None).await
}

async fn run_with_ready(
    config: Config,
    api_listener: TcpListener,
    shutdown: CancellationToken,
    ready: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> Result<(), DaemonError> {
    let dir = config.data_dir.clone();
    let data_dir = blocking(move || Ok(DataDir::open(&dir)?)).await?;
    serve(data_dir, config, api_listener, shutdown, ready).await
}

async fn serve(
    data_dir: DataDir,
    config: Config,
    api_listener: TcpListener,
    shutdown: CancellationToken,
    ready: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> Result<(), DaemonError> {
    let data_dir = Arc::new(data_dir);
    let peer_id = data_dir.peer_id().to_string();
    tracing::info!(data_dir = %data_dir.path().display(), %peer_id, "starting");

    let node = {
        let dd = Arc::clone(&data_dir);
        let (name, threshold) = (config.name.clone(), config.compact_threshold);
        let passphrase = config.passphrase.clone();
        blocking(move || {
            // Argon2id (with a passphrase) takes about a second: not on the reactor.
            let device = store::DeviceKey::open(dd.path(), passphrase.as_ref())?;
            let store = store::Store::open(&dd.db_path(), device).map_err(|e| match e {
                store::StoreError::Storage(fault) => DaemonError::Config(config::ConfigError::Storage(fault)),
                other => DaemonError::Store(other),
            })?;
            let name = node::resolve_device_name(&store, name.as_deref())?;
            Ok(node::Node::open_blocking(store, peer_id, name, threshold)?)
        })
        .await?
    };

    // The network task: one owner of the Swarm, reached through `net`.
    let net_config = network::NetConfig {
        keypair: data_dir.keypair().clone(),
        listen: config.listen.clone(),
        peers: config.peers.clone(),
        mdns: config.mdns,
        relay: config.relay,
        relay_allow: config.relay_allow.clone(),
        external: config.external.clone(),
        name: node.name().to_string(),
        data_dir: data_dir.path().to_path_buf(),
    };
    let (net, net_task) =
        network::spawn(net_config, node.clone(), shutdown.child_token()).map_err(DaemonError::Network)?;
    tracing::info!(listen = ?config.listen, peers = ?config.peers, mdns = config.mdns, relay = config.relay, "network started");

    let addr = api_listener.local_addr().map_err(DaemonError::Api)?;
    // Bound before anything is announced, so a taken --ui-listen port fails the start.
    let lan_listener = match config.ui_listen {
        Some(ui) => Some(TcpListener::bind(ui).await.map_err(DaemonError::Api)?),
        None => None,
    };
    let lan_addr = match &lan_listener {
        Some(l) => Some(l.local_addr().map_err(DaemonError::Api)?),
        None => None,
    };
    let sessions = {
        let dd = Arc::clone(&data_dir);
        blocking(move || Ok(session::Sessions::open(dd.path()))).await?
    };
    let state = state::AppState {
        node: node.clone(),
        token: Arc::from(data_dir.token()),
        // Reported only when there is no network layer; the swarm's own addresses win.
        listen: Arc::new(Vec::new()),
        net: Some(net.clone()),
        sessions: Arc::new(sessions),
        ui: Arc::new(state::Ui::new(addr, lan_addr, Some(data_dir.path().to_path_buf()))),
        shutdown: shutdown.clone(),
    };
    {
        let dd = Arc::clone(&data_dir);
        blocking(move || Ok(dd.write_api_addr(addr)?)).await?;
    }
    tracing::info!(%addr, name = node.name(), "control API ready");
    // One memory for the web app on both listeners (a chart drawn once, one ward result).
    let pages = Arc::new(web::Pages::default());
    let lan_task = lan_listener.map(|listener| {
        tracing::info!(addr = ?lan_addr, "web app served on the LAN (--ui-listen)");
        tokio::spawn(web::serve_lan(listener, state.clone(), Arc::clone(&pages), shutdown.clone()))
    });
    if config.print_login_url {
        let (code, _) = state.sessions.new_code(node::now_ms());
        let url = format!("{}/login?code={code}", api::ui::loopback_base(addr));
        // stdout, for the person who started kdcd; the code is good once, for ten minutes.
        // kdcd has no language of its own: both, Vietnamese first.
        let (vi, en) = kdc_text::both!("kdcd-open-in-browser");
        println!("KDC Sync — {vi} / {en}:\n  {url}");
    } else {
        // No terminal (a service, Termux:Boot, a log file): the link is not printed, since
        // whoever reads the log could use it; say where to get one.
        let data_dir = config.data_dir.display();
        let (vi, en) = kdc_text::both!("kdcd-how-to-log-in", dir = data_dir.to_string());
        tracing::info!(web = %api::ui::loopback_base(addr), "KDC Sync: {vi} / {en}");
    }
    if let Some(ready) = ready {
        let _ = ready.send(addr);
    }

    let served = app::serve(api_listener, state, pages, shutdown.clone()).await;
    if let Some(task) = lan_task {
        shutdown.cancel();
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "LAN web app failed"),
            Err(e) => tracing::warn!(error = %e, "LAN web app task failed"),
        }
    }
    tracing::info!("shutting down");
    // The API has stopped; stop the swarm too (it holds a Node handle) before closing sled.
    shutdown.cancel();
    drop(net);
    if let Err(e) = net_task.await {
        tracing::warn!(error = %e, "network task ended abnormally");
    }

    // Every write was flushed when it was answered; this is for anything sled still buffers.
    let flushed = node.flush().await;
    // The last handle closes sled, which flushes and joins its threads: not on the reactor.
    let closed = blocking(move || {
        drop(node);
        Ok(())
    })
    .await;
    let removed = {
        let dd = Arc::clone(&data_dir);
        blocking(move || Ok(dd.remove_api_addr()?)).await
    };
    served.map_err(DaemonError::Api)?;
    flushed.map_err(DaemonError::Flush)?;
    closed?;
    removed?;
    tracing::info!("stopped");
    Ok(())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DaemonError> + Send + 'static,
) -> Result<T, DaemonError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| DaemonError::Internal(format!("worker thread failed: {e}")))?
}

/// A daemon running on its own thread and runtime, for tests (the blocking [`client::Client`]
/// must not run on a runtime thread, and tests should not need one).
#[derive(Debug)]
pub struct RunningDaemon {
    /// The control API address (also in `DATA_DIR/api.addr`).
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    thread: Option<std::thread::JoinHandle<Result<(), DaemonError>>>,
}

impl RunningDaemon {
    /// Starts a daemon on `127.0.0.1:0` and returns once its API answers. Blocking: call it
    /// from a plain thread (a `#[test]`), not from inside a tokio runtime.
    pub fn start(config: Config) -> Result<RunningDaemon, DaemonError> {
        let shutdown = CancellationToken::new();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let token = shutdown.clone();
        let thread = std::thread::Builder::new()
            .name("kdcd".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .map_err(|e| DaemonError::Internal(format!("cannot start a runtime: {e}")))?;
                runtime.block_on(async move {
                    let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(DaemonError::Api)?;
                    run_with_ready(config, listener, token, Some(ready_tx)).await
                })
            })
            .map_err(|e| DaemonError::Internal(format!("cannot spawn the daemon thread: {e}")))?;
        match ready_rx.blocking_recv() {
            Ok(addr) => Ok(RunningDaemon { addr, shutdown, thread: Some(thread) }),
            // The daemon ended before it was ready: report why.
            Err(_) => Err(match thread.join() {
                Ok(Err(e)) => e,
                Ok(Ok(())) => DaemonError::Internal("the daemon stopped before it was ready".into()),
                Err(_) => DaemonError::Internal("the daemon thread panicked".into()),
            }),
        }
    }

    /// Asks the daemon to stop and waits for it.
    pub fn stop(mut self) -> Result<(), DaemonError> {
        self.shutdown.cancel();
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(DaemonError::Internal("the daemon thread panicked".into())),
            None => Ok(()),
        }
    }
}

impl Drop for RunningDaemon {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
