//! One module per screen (CONTRACT.md, "Web app"). Each handler reads what it shows from the
//! node in one blocking call, renders it with maud, and for forms hands the write to the node
//! and redirects after it is durable.

pub mod board;
pub mod conflicts;
pub mod doctor;
pub mod find;
pub mod home;
pub mod household;
pub mod join;
pub mod live;
pub mod login;
pub mod new_household;
pub mod print;
pub mod team;
pub mod ward;
pub mod worklist;

use axum::response::Response;

use super::{Ctx, error_page};
use crate::api::ApiError;
use crate::node::NodeError;

/// A node failure as an error page.
pub fn failed(ctx: &Ctx, e: NodeError) -> Response {
    error_page(ctx.l, ApiError::from(e))
}

/// A model refusal of a form, as the field it names and the message to show next to it.
pub fn field_refusal(e: ApiError, default_field: &str) -> Result<(String, String), ApiError> {
    match e.kind {
        "invalid_input" | "conflict" => Ok((e.field.clone().unwrap_or_else(|| default_field.to_string()), e.message)),
        _ => Err(e),
    }
}

/// A refusal of a field that is not a profile question (house code, group, address, consent),
/// said in the page's language ([`kdc_text::refusal::other`]).
pub fn field_message(l: crate::web::i18n::L, field: &str, message: &str) -> String {
    kdc_text::refusal::other(l.0, field, message)
}

/// `/a/{area}` plus a rest, for links.
pub fn area_url(area: &str, rest: &str) -> String {
    format!("/a/{area}{rest}")
}
