//! Decoding a journal's bytes: whole files ([`decode`], which tells a torn tail from a
//! corrupt file) and pieces of one read back in order ([`decode_more`]).

use super::{
    crc32, crc8, unzigzag, Context, JournalHeader, LoggedPoint, Reader, Record, FORMAT_VERSION,
    FRAME_BYTES, HAS_STEP, HAS_TIMESTAMP, MAGIC, TAG_ACKED, TAG_HEADER, TAG_LOGGED,
    TIMESTAMP_DELTA,
};

/// How a journal's bytes end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// On a record boundary.
    Clean,
    /// With an incomplete last record (the writer died mid-write, or power was lost before
    /// the disk had it): `bytes` bytes from `offset` on are skipped.
    Torn {
        /// Where the incomplete record starts.
        offset: usize,
        /// How many bytes are skipped.
        bytes: usize,
    },
    /// With bytes that are no journal record although more follow: the file is damaged (or
    /// not a journal), and nothing from `offset` on can be trusted.
    Corrupt {
        /// Where the first bad record starts.
        offset: usize,
        /// What is wrong there.
        reason: String,
    },
}

/// What [`decode`] found: the records before the first problem, and how the bytes end.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The complete, checked records, in file order (seqs made absolute).
    pub records: Vec<Record>,
    /// The bytes those records take (where a writer would continue).
    pub valid_len: usize,
    /// How the rest ends.
    pub tail: Tail,
}

/// Decodes `bytes`; never fails: problems are described by [`Decoded::tail`].
///
/// The first problem ends decoding. It is a torn tail when it can be the last write cut short:
/// a frame header or payload that runs past the end of the bytes, a bad checksum on the very
/// last record, or only zero bytes from there on (a file extended but not written before a
/// power loss). Anything else is corruption: a bad length check byte, a zero length, a bad
/// checksum with more bytes after it, or a checked payload that does not parse.
pub fn decode(bytes: &[u8]) -> Decoded {
    let mut records = Vec::new();
    let mut ctx = Context::default();
    let mut offset = 0;
    let tail = loop {
        let rest = bytes.get(offset..).unwrap_or_default();
        if rest.is_empty() {
            break Tail::Clean;
        }
        let torn = Tail::Torn {
            offset,
            bytes: rest.len(),
        };
        if rest.iter().all(|&b| b == 0) {
            break torn;
        }
        let (payload, size) = match frame_at(rest) {
            Frame::Whole(payload, size) => (payload, size),
            Frame::Short | Frame::BadLastChecksum => break torn,
            Frame::Bad(reason) => break Tail::Corrupt { offset, reason },
        };
        match parse(payload, &mut ctx, records.is_empty()) {
            Ok(record) => records.push(record),
            Err(reason) => break Tail::Corrupt { offset, reason },
        }
        offset += size;
    };
    let valid_len = match &tail {
        Tail::Clean => bytes.len(),
        Tail::Torn { offset, .. } | Tail::Corrupt { offset, .. } => *offset,
    };
    Decoded {
        records,
        valid_len,
        tail,
    }
}

/// Decodes more records of a journal from `bytes`, a piece of it that starts on a record
/// boundary after the header (`ctx`: the context there, advanced here), stopping after
/// `max_logged` Logged records. Returns the records with their sizes and the bytes they take;
/// a record cut off by the end of `bytes` is left for a call with more bytes. Err: a damaged
/// record.
pub fn decode_more(
    bytes: &[u8],
    ctx: &mut Context,
    max_logged: usize,
) -> Result<(Vec<(Record, usize)>, usize), String> {
    let mut records = Vec::new();
    let mut offset = 0;
    let mut logged = 0;
    while logged < max_logged {
        let rest = bytes.get(offset..).unwrap_or_default();
        let (payload, size) = match frame_at(rest) {
            Frame::Whole(payload, size) => (payload, size),
            Frame::Short => break,
            Frame::BadLastChecksum => return Err("a record's checksum does not match".into()),
            Frame::Bad(reason) => return Err(reason),
        };
        let mut next = *ctx;
        let record = parse(payload, &mut next, false)?;
        *ctx = next;
        logged += usize::from(matches!(record, Record::Logged(_)));
        records.push((record, size));
        offset += size;
    }
    Ok((records, offset))
}

/// The frame at the start of some bytes.
enum Frame<'a> {
    /// A checked payload, and the frame's whole size.
    Whole(&'a [u8], usize),
    /// The bytes end before the frame does (or are empty).
    Short,
    /// A whole frame whose checksum does not match, and nothing after it.
    BadLastChecksum,
    /// A damaged frame.
    Bad(String),
}

fn frame_at(rest: &[u8]) -> Frame<'_> {
    let (Some(head), Some(crc)) = (rest.get(..4), rest.get(4..8)) else {
        return Frame::Short;
    };
    let len_bytes = head.get(..3).unwrap_or_default();
    if head.get(3).copied() != Some(crc8(len_bytes)) {
        return Frame::Bad("the record length's check byte does not match".into());
    }
    let len = len_bytes
        .iter()
        .rev()
        .fold(0usize, |n, &b| (n << 8) | usize::from(b));
    if len == 0 {
        return Frame::Bad("a record of length 0".into());
    }
    let Some(payload) = rest.get(FRAME_BYTES..FRAME_BYTES + len) else {
        return Frame::Short;
    };
    let expected = crc.iter().rev().fold(0u32, |n, &b| (n << 8) | u32::from(b));
    if crc32(payload) != expected {
        if rest.len() == FRAME_BYTES + len {
            return Frame::BadLastChecksum;
        }
        return Frame::Bad("a record's checksum does not match".into());
    }
    Frame::Whole(payload, FRAME_BYTES + len)
}

/// One record from its checked payload; the first record of a file must be its header and only
/// the first.
fn parse(payload: &[u8], ctx: &mut Context, first: bool) -> Result<Record, String> {
    let mut r = Reader { bytes: payload };
    let tag = r.byte()?;
    if first != (tag == TAG_HEADER) {
        return Err(if first {
            "the file does not start with a journal header".into()
        } else {
            "a second journal header".into()
        });
    }
    let record = match tag {
        TAG_HEADER => {
            if r.take(3)? != MAGIC {
                return Err("the file does not start with a journal header".into());
            }
            let version = r.byte()?;
            if version != FORMAT_VERSION {
                // Nothing after the version can be read; the caller refuses the file.
                return Ok(Record::Header {
                    version,
                    header: JournalHeader {
                        job_id: 0,
                        base_url: String::new(),
                    },
                    base_seq: 0,
                });
            }
            let header = JournalHeader {
                job_id: r.varint()?,
                base_url: r.text()?,
            };
            let base_seq = r.varint()?;
            *ctx = Context::after_header(base_seq);
            Record::Header {
                version,
                header,
                base_seq,
            }
        }
        TAG_LOGGED => Record::Logged(parse_logged(&mut r, ctx)?),
        TAG_ACKED => {
            let count = r.varint()?;
            let mut ranges = Vec::new();
            let mut previous_end = 0u64;
            for _ in 0..count {
                let start = previous_end
                    .checked_add(r.varint()?)
                    .ok_or("an acknowledged range overflows")?;
                let end = start
                    .checked_add(r.varint()?)
                    .ok_or("an acknowledged range overflows")?;
                if !ranges.is_empty() && start <= previous_end {
                    return Err("acknowledged ranges overlap".into());
                }
                ranges.push((start, end));
                previous_end = end;
            }
            Record::Acked(ranges)
        }
        other => return Err(format!("unknown record kind {other}")),
    };
    if !r.bytes.is_empty() {
        return Err("a record has bytes after its end".into());
    }
    Ok(record)
}

fn parse_logged(r: &mut Reader<'_>, ctx: &mut Context) -> Result<LoggedPoint, String> {
    let delta = r.varint()?;
    if delta == 0 {
        return Err("a sequence number does not grow".into());
    }
    let seq = ctx
        .last_seq
        .checked_add(delta)
        .ok_or("a sequence number overflows")?;
    let flags = r.byte()?;
    if flags & !(HAS_STEP | HAS_TIMESTAMP | TIMESTAMP_DELTA) != 0
        || (flags & TIMESTAMP_DELTA != 0 && flags & HAS_TIMESTAMP == 0)
    {
        return Err(format!("unknown point flags {flags:#x}"));
    }
    let name = r.text()?;
    let value = r.f64()?;
    let step = if flags & HAS_STEP != 0 {
        Some(unzigzag(r.varint()?))
    } else {
        None
    };
    let timestamp_ms = if flags & TIMESTAMP_DELTA != 0 {
        let ms = ctx.last_ms.wrapping_add(unzigzag(r.varint()?));
        ctx.last_ms = ms;
        Some(ms as f64)
    } else if flags & HAS_TIMESTAMP != 0 {
        Some(r.f64()?)
    } else {
        None
    };
    ctx.last_seq = seq;
    Ok(LoggedPoint {
        seq,
        name,
        value,
        step,
        timestamp_ms,
    })
}
