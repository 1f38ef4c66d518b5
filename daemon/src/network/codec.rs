//! The wire formats of KDC Sync's two libp2p protocols.
//!
//! **`/kdc/sync-stream/1`** carries sync: each device keeps one long-lived outbound stream to each
//! connected peer (see [`super::link`]) and writes frames on it; the peer reads them from its
//! inbound stream. **`/kdc/join/1`** is request-response for redeeming an invite, once per device.
//!
//! ```text
//! frame    = length:u32be payload             (length <= MAX_FRAME)
//!
//! stream payload (/kdc/sync-stream/1)
//!          = 0x01 area:str8 message:rest      Automerge sync message for an area
//!          | 0x03 area:str8 reason:rest       your last message for this area was refused (UTF-8)
//! request  (/kdc/join/1)
//!          = 0x02 area:str8 secret:str8 name:str8   redeem an invite
//! response (/kdc/join/1)
//!          = 0x02                             joined
//!          | 0x03 reason:rest (UTF-8)         refused
//! str8     = len:u8 bytes (UTF-8)
//! ```
//! Decoding never trusts a length: a frame over the limit is refused before it is read, with an
//! error that says so, and a payload that does not parse is an `InvalidData` error. On a stream,
//! either ends the stream and both devices start their sessions with that peer over; on a join,
//! request-response reports a failure. Nothing reaches a document either way.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

/// The sync stream protocol; a new wire format gets a new version.
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/kdc/sync-stream/1");
/// The invite redemption protocol (request-response).
pub const JOIN_PROTOCOL: StreamProtocol = StreamProtocol::new("/kdc/join/1");

/// Largest frame either side sends or accepts. A first sync of a large area is one Automerge
/// message holding every change; 64 MiB holds hundreds of thousands of households.
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

/// What a sync stream carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The next Automerge sync message for `area`.
    Sync { area: String, message: Vec<u8> },
    /// The receiver did not take the sender's last message for `area` (and reset its session);
    /// the sender resets its own.
    Refused { area: String, reason: String },
}

/// An invite redemption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Join { area: String, secret: String, name: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Joined,
    Refused(String),
}

#[derive(Debug, Clone, Default)]
pub struct Codec;

impl libp2p::request_response::Codec for Codec {
    type Protocol = StreamProtocol;
    type Request = Request;
    type Response = Response;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Request> {
        decode_request(&read_frame(io).await?)
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Response> {
        decode_response(&read_frame(io).await?)
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Request,
    ) -> io::Result<()> {
        write_frame(io, &encode_request(&req)).await
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Response,
    ) -> io::Result<()> {
        write_frame(io, &encode_response(&res)).await
    }
}

/// Reads one frame. A length over [`MAX_FRAME`] is refused before anything more is read.
pub async fn read_frame<T: AsyncRead + Unpin>(io: &mut T) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(invalid(format!("frame of {len} bytes exceeds the limit of {MAX_FRAME} bytes")));
    }
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    Ok(buf)
}

/// Appends `payload` as one frame to `out`.
pub fn push_frame(out: &mut Vec<u8>, payload: &[u8]) -> io::Result<()> {
    if payload.len() > MAX_FRAME {
        return Err(invalid(format!("message of {} bytes exceeds the limit of {MAX_FRAME} bytes", payload.len())));
    }
    out.reserve(4 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// Writes one frame in a single write (one Yamux frame, one Noise frame on the wire), then
/// closes the writing side: request-response sends one message per stream.
async fn write_frame<T: AsyncWrite + Unpin>(io: &mut T, payload: &[u8]) -> io::Result<()> {
    let mut buf = Vec::new();
    push_frame(&mut buf, payload)?;
    io.write_all(&buf).await?;
    io.close().await
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn put_str8(out: &mut Vec<u8>, s: &str) {
    let bytes = &s.as_bytes()[..s.len().min(255)];
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

/// A cursor over a payload that refuses to read past its end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> io::Result<u8> {
        let (&b, rest) = self.0.split_first().ok_or_else(|| invalid("payload cut short".into()))?;
        self.0 = rest;
        Ok(b)
    }

    fn str8(&mut self) -> io::Result<String> {
        let len = self.byte()? as usize;
        if self.0.len() < len {
            return Err(invalid("payload cut short".into()));
        }
        let (s, rest) = self.0.split_at(len);
        self.0 = rest;
        String::from_utf8(s.to_vec()).map_err(|_| invalid("text is not UTF-8".into()))
    }

    fn rest(self) -> &'a [u8] {
        self.0
    }
}

pub fn encode_frame(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::new();
    match frame {
        Frame::Sync { area, message } => {
            out.push(1);
            put_str8(&mut out, area);
            out.extend_from_slice(message);
        }
        Frame::Refused { area, reason } => {
            out.push(3);
            put_str8(&mut out, area);
            out.extend_from_slice(reason.as_bytes());
        }
    }
    out
}

pub fn decode_frame(payload: &[u8]) -> io::Result<Frame> {
    let mut r = Reader(payload);
    match r.byte()? {
        1 => {
            let area = r.str8()?;
            Ok(Frame::Sync { area, message: r.rest().to_vec() })
        }
        3 => {
            let area = r.str8()?;
            let reason = std::str::from_utf8(r.rest()).map_err(|_| invalid("refusal reason is not UTF-8".into()))?;
            Ok(Frame::Refused { area, reason: reason.to_string() })
        }
        tag => Err(invalid(format!("unknown stream frame type {tag}"))),
    }
}

pub fn encode_request(req: &Request) -> Vec<u8> {
    let mut out = Vec::new();
    match req {
        Request::Join { area, secret, name } => {
            out.push(2);
            put_str8(&mut out, area);
            put_str8(&mut out, secret);
            put_str8(&mut out, name);
        }
    }
    out
}

pub fn decode_request(payload: &[u8]) -> io::Result<Request> {
    let mut r = Reader(payload);
    match r.byte()? {
        2 => {
            let (area, secret, name) = (r.str8()?, r.str8()?, r.str8()?);
            if !r.rest().is_empty() {
                return Err(invalid("trailing bytes after a join request".into()));
            }
            Ok(Request::Join { area, secret, name })
        }
        tag => Err(invalid(format!("unknown request type {tag}"))),
    }
}

pub fn encode_response(res: &Response) -> Vec<u8> {
    match res {
        Response::Joined => vec![2],
        Response::Refused(reason) => {
            let mut out = vec![3];
            out.extend_from_slice(reason.as_bytes());
            out
        }
    }
}

pub fn decode_response(payload: &[u8]) -> io::Result<Response> {
    let mut r = Reader(payload);
    match r.byte()? {
        2 if r.0.is_empty() => Ok(Response::Joined),
        2 => Err(invalid("trailing bytes after a join answer".into())),
        3 => Ok(Response::Refused(String::from_utf8_lossy(r.rest()).into_owned())),
        tag => Err(invalid(format!("unknown response type {tag}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for frame in [
            Frame::Sync { area: "tam-giac-3".into(), message: vec![0x42, 1, 2, 3] },
            Frame::Sync { area: "a".into(), message: vec![] },
            Frame::Refused { area: "a".into(), reason: "không phải thành viên".into() },
        ] {
            assert_eq!(decode_frame(&encode_frame(&frame)).unwrap(), frame);
        }
        let req = Request::Join { area: "a".into(), secret: "ff00".into(), name: "Lan".into() };
        assert_eq!(decode_request(&encode_request(&req)).unwrap(), req);
        for res in [Response::Joined, Response::Refused("no".into())] {
            assert_eq!(decode_response(&encode_response(&res)).unwrap(), res);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [&b""[..], b"\x09", b"\x01\x01a", b"\x02\x01a\x01", b"\x02\x01a\x00\x00extra"] {
            assert!(decode_request(bad).is_err(), "{bad:?}");
        }
        for bad in [&b""[..], b"\x02", b"\x01", b"\x01\x05ab", b"\x01\x02\xff\xfe", b"\x03\x01a\xff"] {
            assert!(decode_frame(bad).is_err(), "{bad:?}");
        }
        assert!(decode_response(b"").is_err());
        assert!(decode_response(b"\x07").is_err());
        assert!(decode_response(b"\x02extra").is_err());
    }

    #[test]
    fn oversized_frames_are_refused_before_reading() {
        let mut frame = ((MAX_FRAME + 1) as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(b"not read");
        let err = futures::executor::block_on(read_frame(&mut &frame[..])).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("exceeds the limit"), "{err}");
    }
}

#[cfg(test)]
mod frame_tests {
    use super::*;

    #[test]
    fn frames_written_together_read_back_one_by_one() {
        let mut wire = Vec::new();
        for m in [&b"one"[..], b"", b"three"] {
            push_frame(&mut wire, m).unwrap();
        }
        let mut r = &wire[..];
        for m in [&b"one"[..], b"", b"three"] {
            assert_eq!(futures::executor::block_on(read_frame(&mut r)).unwrap(), m);
        }
        let end = futures::executor::block_on(read_frame(&mut r)).unwrap_err();
        assert_eq!(end.kind(), io::ErrorKind::UnexpectedEof);
    }
}
