//! `/kdc/update/1`: a device asks a peer which release archives it offers, and fetches one in
//! chunks. Request-response, one message per stream; nothing is ever pushed: a peer can only
//! answer what was asked, and only a device's person starts a fetch (`kdc update`).
//!
//! ```text
//! request  = 0x10                             which archives do you offer?
//!          | 0x11 offset:u64be name:rest      up to update::CHUNK bytes of an archive from offset
//!          | 0x12 name:rest                   an archive's signature (.minisig text)
//! response = 0x10 json:rest                   [update::Archive]
//!          | 0x11 bytes:rest                  the chunk (empty: past the end)
//!          | 0x12 text:rest                   the signature
//!          | 0x13 reason:rest                 refused (UTF-8)
//! ```
//! Frames are [`super::codec`]'s; an answer larger than a chunk and its header is refused before
//! it is read.

use std::io;

use futures::{AsyncRead, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

use crate::update::{Archive, CHUNK};

pub const UPDATE_PROTOCOL: StreamProtocol = StreamProtocol::new("/kdc/update/1");

/// Largest answer read: a chunk and a little.
const MAX_ANSWER: usize = CHUNK as usize + 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateRequest {
    Offers,
    Chunk { name: String, offset: u64 },
    Signature { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateResponse {
    Offers(Vec<Archive>),
    Chunk(Vec<u8>),
    Signature(String),
    Refused(String),
}

#[derive(Debug, Clone, Default)]
pub struct UpdateCodec;

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

async fn write_one<T: AsyncWrite + Unpin>(io: &mut T, payload: &[u8]) -> io::Result<()> {
    let mut buf = Vec::new();
    super::codec::push_frame(&mut buf, payload)?;
    io.write_all(&buf).await?;
    io.close().await
}

impl libp2p::request_response::Codec for UpdateCodec {
    type Protocol = StreamProtocol;
    type Request = UpdateRequest;
    type Response = UpdateResponse;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<UpdateRequest> {
        let payload = super::codec::read_frame(io).await?;
        if payload.len() > 4096 {
            return Err(invalid("an update request is never this long"));
        }
        decode_request(&payload)
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<UpdateResponse> {
        let payload = super::codec::read_frame(io).await?;
        if payload.len() > MAX_ANSWER {
            return Err(invalid("an update answer over the chunk size"));
        }
        decode_response(&payload)
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: UpdateRequest,
    ) -> io::Result<()> {
        write_one(io, &encode_request(&req)).await
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: UpdateResponse,
    ) -> io::Result<()> {
        write_one(io, &encode_response(&res)).await
    }
}

pub fn encode_request(req: &UpdateRequest) -> Vec<u8> {
    match req {
        UpdateRequest::Offers => vec![0x10],
        UpdateRequest::Chunk { name, offset } => [&[0x11][..], &offset.to_be_bytes(), name.as_bytes()].concat(),
        UpdateRequest::Signature { name } => [&[0x12][..], name.as_bytes()].concat(),
    }
}

pub fn decode_request(payload: &[u8]) -> io::Result<UpdateRequest> {
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| invalid("an archive name is not UTF-8"));
    match payload.split_first() {
        Some((0x10, [])) => Ok(UpdateRequest::Offers),
        Some((0x11, rest)) if rest.len() >= 8 => {
            let offset = u64::from_be_bytes(rest[..8].try_into().expect("8 bytes"));
            Ok(UpdateRequest::Chunk { name: text(&rest[8..])?, offset })
        }
        Some((0x12, rest)) => Ok(UpdateRequest::Signature { name: text(rest)? }),
        _ => Err(invalid("not an update request")),
    }
}

pub fn encode_response(res: &UpdateResponse) -> Vec<u8> {
    match res {
        UpdateResponse::Offers(list) => [&[0x10][..], &serde_json::to_vec(list).unwrap_or_default()].concat(),
        UpdateResponse::Chunk(bytes) => [&[0x11][..], bytes].concat(),
        UpdateResponse::Signature(text) => [&[0x12][..], text.as_bytes()].concat(),
        UpdateResponse::Refused(reason) => [&[0x13][..], reason.as_bytes()].concat(),
    }
}

pub fn decode_response(payload: &[u8]) -> io::Result<UpdateResponse> {
    match payload.split_first() {
        Some((0x10, rest)) => {
            serde_json::from_slice(rest).map(UpdateResponse::Offers).map_err(|_| invalid("offers do not read"))
        }
        Some((0x11, rest)) => Ok(UpdateResponse::Chunk(rest.to_vec())),
        Some((0x12, rest)) => {
            String::from_utf8(rest.to_vec()).map(UpdateResponse::Signature).map_err(|_| invalid("signature not UTF-8"))
        }
        Some((0x13, rest)) => Ok(UpdateResponse::Refused(String::from_utf8_lossy(rest).into_owned())),
        _ => Err(invalid("not an update answer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_garbage() {
        for req in [
            UpdateRequest::Offers,
            UpdateRequest::Chunk { name: "kdc-sync-0.3.0-x.tar.gz".into(), offset: 262_144 },
            UpdateRequest::Signature { name: "kdc-sync-0.3.0-x.tar.gz".into() },
        ] {
            assert_eq!(decode_request(&encode_request(&req)).unwrap(), req);
        }
        let offer = Archive { name: "n".into(), version: "0.3.0".into(), target: "t".into(), size: 9 };
        for res in [
            UpdateResponse::Offers(vec![offer]),
            UpdateResponse::Chunk(vec![1, 2, 3]),
            UpdateResponse::Signature("sig".into()),
            UpdateResponse::Refused("no".into()),
        ] {
            assert_eq!(decode_response(&encode_response(&res)).unwrap(), res);
        }
        for bad in [&b""[..], b"\x10x", b"\x11\x00\x01", b"\x12\xff", b"\x99"] {
            assert!(decode_request(bad).is_err(), "{bad:?}");
        }
        for bad in [&b""[..], b"\x10not json", b"\x12\xff\xfe", b"\x42"] {
            assert!(decode_response(bad).is_err(), "{bad:?}");
        }
    }
}
