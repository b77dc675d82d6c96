//! The journal's byte-level pieces: CRC-32 and CRC-8, LEB128 varints, zigzag, and a reader
//! over a payload whose checksum matched.

// ---------------------------------------------------------------------------------------------
// Checksums
// ---------------------------------------------------------------------------------------------

const CRC32_TABLE: [u32; 256] = crc32_table();

// Evaluated at compile time only: an index out of range would fail the build, not trap.
#[allow(clippy::indexing_slicing)]
const fn crc32_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// CRC-32 (IEEE 802.3, as zlib and PNG use) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |c, &b| {
        let slot = CRC32_TABLE
            .get(usize::from((c as u8) ^ b))
            .copied()
            .unwrap_or(0);
        slot ^ (c >> 8)
    })
}

/// CRC-8 (polynomial 0x07) of `bytes`: the length's check byte. It finds every error of an
/// odd number of bits and every burst of up to 8 bits in the length.
pub(super) fn crc8(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |mut c, &b| {
        c ^= b;
        for _ in 0..8 {
            c = if c & 0x80 != 0 {
                (c << 1) ^ 0x07
            } else {
                c << 1
            };
        }
        c
    })
}

pub(super) fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

pub(super) fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

pub(super) fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// Reads a payload whose checksum matched.
pub(super) struct Reader<'a> {
    /// What is left to read.
    pub(super) bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn byte(&mut self) -> Result<u8, String> {
        let (&b, rest) = self
            .bytes
            .split_first()
            .ok_or_else(|| "a record ends early".to_owned())?;
        self.bytes = rest;
        Ok(b)
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.bytes.len() {
            return Err("a record ends early".into());
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub(super) fn varint(&mut self) -> Result<u64, String> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                if shift == 63 && b > 1 {
                    break;
                }
                return Ok(n);
            }
        }
        Err("a number in a record is too large".into())
    }

    pub(super) fn f64(&mut self) -> Result<f64, String> {
        let raw = self.take(8)?;
        let mut bits = [0u8; 8];
        bits.copy_from_slice(raw);
        Ok(f64::from_bits(u64::from_le_bytes(bits)))
    }

    pub(super) fn text(&mut self) -> Result<String, String> {
        let len = usize::try_from(self.varint()?).map_err(|_| "a text is too long".to_owned())?;
        let raw = self.take(len)?;
        String::from_utf8(raw.to_vec()).map_err(|_| "a text is not UTF-8".to_owned())
    }
}
