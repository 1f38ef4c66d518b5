//! `kdc id`, `kdc status`, `kdc member add|list|remove`, `kdc conflicts`: answers of the daemon.

use crdt_model::area::{Conflict, Member, Status};
use kdc_api::types::NewMember;

use super::{Ctx, emit};
use crate::args::{MemberCmd, WardCmd};
use crate::{i18n, output};

pub fn id(ctx: &Ctx) -> anyhow::Result<()> {
    let client = ctx.client()?;
    let info = client.id()?;
    if ctx.json {
        emit(&output::json(&info)?)
    } else {
        emit(&output::id(ctx.lang, &info.peer_id, &info.name, &info.listen))
    }
}

pub fn status(ctx: &Ctx, area: &str) -> anyhow::Result<()> {
    let client = ctx.client()?;
    answer!(ctx, client.status(area), |s: Status| output::status(ctx.lang, &s))
}

/// `kdc ward keygen -o FILE`.
pub fn ward(ctx: &Ctx, cmd: WardCmd) -> anyhow::Result<()> {
    match cmd {
        WardCmd::Keygen { output } => {
            let r = kdc_ward::seal::generate_identity_file(
                &output,
                "KDC Sync: a ward office's key for encrypted snapshot files; keep it secret",
            )
            .map_err(|e| crate::error::usage(e.to_string()))?;
            if ctx.json {
                let v = serde_json::json!({"recipient": r.to_string(), "file": output.display().to_string()});
                emit(&output::json(&v)?)
            } else {
                emit(&i18n::ward_key_made(ctx.lang, &output, &r.to_string()))
            }
        }
    }
}

pub fn member(ctx: &Ctx, cmd: MemberCmd) -> anyhow::Result<()> {
    match cmd {
        MemberCmd::List { area } => {
            let client = ctx.client()?;
            answer!(ctx, client.members(&area), |m: Vec<Member>| output::members(ctx.lang, &m))
        }
        MemberCmd::Add { area, peer_id, name, role, recipient } => {
            let client = ctx.client()?;
            let req = NewMember { peer_id, name, role: role.as_str().to_string(), recipient };
            answer!(ctx, client.add_member(&area, &req), |m: Member| i18n::member_added(
                ctx.lang, &area, &m.name, &m.peer_id, &m.role
            ) + "\n")
        }
        MemberCmd::Remove { area, peer_id } => {
            let client = ctx.client()?;
            answer!(ctx, client.remove_member(&area, &peer_id), |m: Member| i18n::member_removed(
                ctx.lang, &area, &m.name, &m.peer_id
            ) + "\n")
        }
    }
}

pub fn conflicts(ctx: &Ctx, area: &str) -> anyhow::Result<()> {
    let client = ctx.client()?;
    answer!(ctx, client.conflicts(area), |c: Vec<Conflict>| output::conflicts(ctx.lang, &c))
}
