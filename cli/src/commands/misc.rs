//! `kdc id`, `kdc status`, `kdc member list`, `kdc conflicts`, and the commands of the
//! contract this version does not provide yet.

use anyhow::anyhow;
use crdt_model::area::{Conflict, Member, Status};

use super::{Ctx, emit};
use crate::args::MemberCmd;
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

pub fn member(ctx: &Ctx, cmd: MemberCmd) -> anyhow::Result<()> {
    match cmd {
        MemberCmd::List { area } => {
            let client = ctx.client()?;
            answer!(ctx, client.members(&area), |m: Vec<Member>| output::members(ctx.lang, &m))
        }
        MemberCmd::Add { .. } => not_available(ctx, "member add"),
        MemberCmd::Remove { .. } => not_available(ctx, "member remove"),
    }
}

pub fn conflicts(ctx: &Ctx, area: &str) -> anyhow::Result<()> {
    let client = ctx.client()?;
    answer!(ctx, client.conflicts(area), |c: Vec<Conflict>| output::conflicts(ctx.lang, &c))
}

/// A command of the contract that this version does not provide: exit 1, nothing faked.
pub fn not_available(ctx: &Ctx, command: &str) -> anyhow::Result<()> {
    Err(anyhow!(i18n::not_available(ctx.lang, command)))
}
