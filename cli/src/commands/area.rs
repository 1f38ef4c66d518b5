//! `kdc area create`, `kdc area list`, `kdc area upgrade`.

use std::path::Path;

use crdt_model::area::AreaSummary;
use crdt_model::profile::Profile;
use kdc_api::types::CreateArea;
use kdc_api::types::RelayInfo;

use super::Ctx;
use crate::args::{AreaCmd, RelayCmd};
use crate::error::usage;
use crate::{i18n, output};

pub fn run(ctx: &Ctx, cmd: AreaCmd) -> anyhow::Result<()> {
    match cmd {
        AreaCmd::Create { area, name, ward, profile } => {
            let profile = profile.as_deref().map(|p| read_profile(ctx, p)).transpose()?;
            let client = ctx.client()?;
            let req = CreateArea { id: area, name, ward, profile };
            answer!(ctx, client.create_area(&req), |a: AreaSummary| i18n::area_created(
                ctx.lang, &a.id, &a.name, &a.ward
            ) + "\n")
        }
        AreaCmd::Upgrade { area } => {
            let client = ctx.client()?;
            answer!(ctx, client.upgrade_profile(&area), |u: serde_json::Value| {
                let (p, v) = (u["profile"].as_str().unwrap_or(""), u["version"].as_u64().unwrap_or(0));
                let upgraded = kdc_text::t!(
                    ctx.lang,
                    "cli-profile-upgraded",
                    area = area.as_str(),
                    profile = p,
                    version = v.to_string()
                );
                format!("{upgraded}\n")
            })
        }
        AreaCmd::Relay(cmd) => relay(ctx, cmd),
        AreaCmd::List => {
            let client = ctx.client()?;
            answer!(ctx, client.areas(), |areas: Vec<AreaSummary>| output::area_list(ctx.lang, &areas))
        }
    }
}

fn relay(ctx: &Ctx, cmd: RelayCmd) -> anyhow::Result<()> {
    let client = ctx.client()?;
    let changed = |area: &str, verb: &str, addr: &str, list: &[RelayInfo]| {
        i18n::relay_changed(ctx.lang, area, verb, addr) + "\n" + &output::relays(ctx.lang, list)
    };
    match cmd {
        RelayCmd::Add { area, multiaddr } => {
            let stops = left_behind_by_relays(&client, &area);
            answer!(ctx, client.add_relay(&area, &multiaddr), |l: Vec<RelayInfo>| changed(
                &area, "added", &multiaddr, &l
            ))?;
            if !stops.is_empty() {
                // On stderr: `--json` keeps its one document on stdout.
                eprintln!(
                    "{}",
                    i18n::relay_leaves_behind(ctx.lang, &crdt_model::compat::Feature::Relays.since(), &stops)
                );
            }
            Ok(())
        }
        RelayCmd::Remove { area, multiaddr } => {
            answer!(ctx, client.remove_relay(&area, &multiaddr), |l: Vec<RelayInfo>| changed(
                &area, "removed", &multiaddr, &l
            ))
        }
        RelayCmd::List { area } => {
            answer!(ctx, client.relays(&area), |l: Vec<RelayInfo>| output::relays(ctx.lang, &l))
        }
    }
}

/// Active members (name, release) who read the area now but not once it has a relay, when it
/// has none yet: the first relay stops what they receive until they update (the team page names
/// the same members, with the same rule: `Requirement::stopped_by`). Best effort: what cannot be
/// read is no reason not to add the relay.
fn left_behind_by_relays(client: &kdc_api::client::Client, area: &str) -> Vec<(String, String)> {
    let (Ok(areas), Ok(relays), Ok(members), Ok(peers)) = (
        client.areas::<Vec<AreaSummary>>(),
        client.relays::<Vec<RelayInfo>>(area),
        client.members::<Vec<crdt_model::area::Member>>(area),
        client.peers::<Vec<kdc_api::types::PeerInfo>>(),
    ) else {
        return Vec::new();
    };
    let Some(needs) = areas.iter().find(|a| a.id == area).and_then(|a| semver::Version::parse(&a.requires).ok()) else {
        return Vec::new();
    };
    if !relays.is_empty() {
        return Vec::new();
    }
    let releases: Vec<(String, semver::Version)> = members
        .into_iter()
        .filter(|m| !m.removed)
        .filter_map(|m| {
            let v = peers.iter().find(|p| p.peer_id == m.peer_id)?.version.as_deref()?;
            Some((m.name, semver::Version::parse(v).ok()?))
        })
        .collect();
    let now = crdt_model::compat::Requirement { release: needs, features: Vec::new() };
    now.stopped_by(crdt_model::compat::Feature::Relays, releases.iter().map(|(n, v)| (n.as_str(), v)))
}

/// Reads a profile file and checks it with the same rules the daemon applies, so a mistake is
/// reported with the file's name (exit 2) before anything is sent. The text is sent as read.
fn read_profile(ctx: &Ctx, path: &Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| usage(format!("{}: {e}", i18n::cannot_read(ctx.lang, path))))?;
    Profile::from_toml(&text).map_err(|e| usage(format!("{}: invalid criteria profile: {e}", path.display())))?;
    Ok(text)
}
