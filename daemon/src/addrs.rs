//! What the daemon accepts as a peer's or a relay's address: rules the node (storing a relay
//! in an area) and the network (dialling) share.

use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;

/// Whether an address goes through a relay (`/p2p-circuit`).
pub fn is_relayed(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| matches!(p, Protocol::P2pCircuit))
}

/// Parses a relay's address as a head types it: a multiaddr reached directly (IP or DNS, then
/// TCP), ending in `/p2p/PEER_ID`.
pub fn relay_address(text: &str) -> Result<Multiaddr, String> {
    let text = text.trim();
    let addr: Multiaddr =
        text.parse().map_err(|e| format!("{text:?} is not a multiaddr ({e}); allowed: /ip4/…/tcp/PORT/p2p/PEER_ID"))?;
    if is_relayed(&addr) {
        return Err(format!("{text:?} goes through a relay itself; allowed: the relay's own address"));
    }
    if !matches!(addr.iter().last(), Some(Protocol::P2p(_))) {
        return Err(format!(
            "{text:?} does not end in /p2p/PEER_ID; allowed: the relay's full address, as its kdcd prints it"
        ));
    }
    let host = addr.iter().any(|p| {
        matches!(p, Protocol::Ip4(_) | Protocol::Ip6(_) | Protocol::Dns(_) | Protocol::Dns4(_) | Protocol::Dns6(_))
    });
    let tcp = addr.iter().any(|p| matches!(p, Protocol::Tcp(_)));
    if !host || !tcp {
        return Err(format!("{text:?} has no IP or DNS name and TCP port; allowed: /ip4/…/tcp/PORT/p2p/PEER_ID"));
    }
    Ok(addr)
}
