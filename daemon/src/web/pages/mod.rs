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
/// said in the page's language. The model speaks English to scripts; a volunteer reads this.
pub fn field_message(l: crate::web::i18n::L, field: &str, message: &str) -> String {
    if l.0 == crdt_model::Lang::En {
        return message.to_string();
    }
    let text = |what: &str| format!("{what} không hợp lệ: tối đa 200 ký tự, không xuống dòng hay ký tự điều khiển.");
    match field {
        "id" | "household" => {
            "Mã nhà không hợp lệ: dùng chữ A–Z, số, dấu chấm, gạch dưới hoặc gạch ngang, từ 1 đến 64 ký tự \
                               (ví dụ T3-045)."
                .into()
        }
        "consent" => "Chưa ghi nhận đồng ý: chọn “Đồng ý” (bằng lời hoặc ký phiếu) trước khi ghi câu trả lời, \
                      hoặc chọn “Từ chối” để chỉ giữ mã nhà."
            .into(),
        "method" => "Chọn cách hộ đồng ý: bằng lời hoặc ký phiếu.".into(),
        "group" => text("Tên tổ"),
        "address" => text("Địa chỉ"),
        "ref" => text("Số phiếu đồng ý"),
        "notice_version" => text("Phiên bản thông báo"),
        "fields" => "Chưa có gì để lưu: ghi ít nhất một câu trả lời.".into(),
        _ => format!("Giá trị không được nhận ({message})."),
    }
}

/// `/a/{area}` plus a rest, for links.
pub fn area_url(area: &str, rest: &str) -> String {
    format!("/a/{area}{rest}")
}
