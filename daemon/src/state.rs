//! What every handler of the control API and the web app reaches: the node, the network
//! handle, the token, the browser sessions, and where the app is served. The web app's own
//! caches are in its state ([`crate::web::WebState`]), the operations on this state in
//! [`crate::api`]; the router that puts both behind one listener in [`crate::app`].

use std::net::SocketAddr;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::network::NetHandle;
use crate::node::Node;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub node: Node,
    pub token: Arc<str>,
    /// Multiaddrs to report when there is no network layer (`net` is `None`).
    pub listen: Arc<Vec<String>>,
    /// The network layer; `None` when the daemon runs without one (some tests). Then `id`
    /// and invites report `listen`, `peers` is empty, and `join` and `peer add` fail (500).
    pub net: Option<NetHandle>,
    /// Browser sessions and one-time login codes of the web app.
    pub sessions: Arc<crate::session::Sessions>,
    /// Where the web app is reachable: the control API's address and the `--ui-listen` one.
    pub ui: Arc<Ui>,
    /// Cancelled at shutdown: ends the event streams, which would otherwise hold the server.
    pub shutdown: CancellationToken,
}

/// Where the web app is served.
pub struct Ui {
    /// The control API's address (the app is at its root).
    pub api: SocketAddr,
    /// The `--ui-listen` address, when LAN mode is on.
    pub lan: Option<SocketAddr>,
    /// The data directory, where the ward's letterhead settings are kept (`None` in tests
    /// that have none).
    pub data_dir: Option<std::path::PathBuf>,
}

impl Ui {
    pub fn new(api: SocketAddr, lan: Option<SocketAddr>, data_dir: Option<std::path::PathBuf>) -> Ui {
        Ui { api, lan, data_dir }
    }
}
