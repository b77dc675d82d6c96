use super::*;

fn header() -> JournalHeader {
    JournalHeader {
        job_id: 7,
        base_url: "http://127.0.0.1:5000/api/v1".into(),
    }
}

fn point(seq: u64, value: f64, step: Option<i64>, timestamp_ms: Option<f64>) -> LoggedPoint {
    LoggedPoint {
        seq,
        name: "loss".into(),
        value,
        step,
        timestamp_ms,
    }
}

/// A header then `points`, and each record's end offset.
fn journal(points: &[LoggedPoint]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut ctx = encode_header(&mut out, &header(), 0).unwrap();
    let mut ends = vec![out.len()];
    for p in points {
        encode_logged(&mut out, &mut ctx, p).unwrap();
        ends.push(out.len());
    }
    (out, ends)
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn crc8_matches_the_standard_check_value() {
    assert_eq!(crc8(b"123456789"), 0xF4);
}

#[test]
fn varints_and_zigzag_round_trip_at_the_edges() {
    for n in [0, 1, 127, 128, 16_383, 16_384, u64::MAX - 1, u64::MAX] {
        let mut out = Vec::new();
        put_varint(&mut out, n);
        assert_eq!(Reader { bytes: &out }.varint(), Ok(n));
    }
    for n in [0, -1, 1, i64::MIN, i64::MAX] {
        assert_eq!(unzigzag(zigzag(n)), n);
    }
    // 11 bytes, or a 10th byte above 1: too large.
    assert!(Reader { bytes: &[0xff; 11] }.varint().is_err());
    assert!(Reader {
        bytes: &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]
    }
    .varint()
    .is_err());
}

#[test]
fn records_round_trip_bit_for_bit() {
    let points = vec![
        point(1, f64::NAN, Some(0), Some(1_764_000_000_123.0)),
        point(2, -0.0, None, Some(1_764_000_000_124.0)),
        point(
            5,
            f64::from_bits(0x7ff0_0000_0000_0001),
            Some(-3),
            Some(-0.0),
        ),
        point(6, f64::NEG_INFINITY, Some(i64::MAX), Some(12.5)),
        point(9, 1.0, Some(i64::MIN), None),
        point(10, 2.0, Some(1), Some(f64::NAN)),
        point(11, 3.0, Some(2), Some(-1e300)),
    ];
    let (bytes, _) = journal(&points);
    let decoded = decode(&bytes);
    assert_eq!(decoded.tail, Tail::Clean);
    assert_eq!(decoded.valid_len, bytes.len());
    let got: Vec<&LoggedPoint> = decoded
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Logged(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(got.len(), points.len());
    for (g, p) in got.iter().zip(&points) {
        assert_eq!((g.seq, &g.name, g.step), (p.seq, &p.name, p.step));
        assert_eq!(g.value.to_bits(), p.value.to_bits());
        assert_eq!(
            g.timestamp_ms.map(f64::to_bits),
            p.timestamp_ms.map(f64::to_bits)
        );
    }
}

#[test]
fn a_typical_point_takes_26_bytes() {
    let mut out = Vec::new();
    let mut ctx = encode_header(&mut out, &header(), 0).unwrap();
    encode_logged(
        &mut out,
        &mut ctx,
        &point(1, 0.5, Some(0), Some(1_764_000_000_000.0)),
    )
    .unwrap();
    let before = out.len();
    let size = encode_logged(
        &mut out,
        &mut ctx,
        &point(2, 0.25, Some(1), Some(1_764_000_000_003.0)),
    )
    .unwrap();
    assert_eq!(size, out.len() - before);
    // 8 framing, tag, seq delta, flags, name length, "loss", value, step, timestamp delta.
    assert_eq!(size, 8 + 1 + 1 + 1 + 1 + 4 + 8 + 1 + 1);
}

#[test]
fn acked_ranges_are_merged_and_round_trip() {
    let mut out = Vec::new();
    encode_header(&mut out, &header(), 0).unwrap();
    assert_eq!(encode_acked(&mut out, &[]).unwrap(), 0);
    encode_acked(&mut out, &[9, 3, 4, 5, 5, 20, 10, u64::MAX]).unwrap();
    let decoded = decode(&out);
    assert_eq!(decoded.tail, Tail::Clean);
    assert_eq!(
        decoded.records.last(),
        Some(&Record::Acked(vec![
            (3, 5),
            (9, 10),
            (20, 20),
            (u64::MAX, u64::MAX)
        ]))
    );
}

#[test]
fn seqs_must_grow() {
    let mut out = Vec::new();
    let mut ctx = encode_header(&mut out, &header(), 4).unwrap();
    assert_eq!(
        encode_logged(&mut out, &mut ctx, &point(4, 1.0, None, None)),
        Err(EncodeError::SeqNotIncreasing { last: 4, seq: 4 })
    );
}

#[test]
fn every_cut_inside_the_last_record_is_a_torn_tail() {
    let (bytes, ends) = journal(&[point(1, 1.0, Some(1), None), point(2, 2.0, Some(2), None)]);
    let last_start = ends[1];
    for cut in last_start + 1..bytes.len() {
        let decoded = decode(&bytes[..cut]);
        assert_eq!(
            decoded.tail,
            Tail::Torn {
                offset: last_start,
                bytes: cut - last_start
            },
            "cut at {cut}"
        );
        assert_eq!(decoded.records.len(), 2);
    }
}

#[test]
fn zeros_after_the_last_record_are_a_torn_tail() {
    let (mut bytes, ends) = journal(&[point(1, 1.0, Some(1), None)]);
    bytes.extend_from_slice(&[0; 100]);
    assert_eq!(
        decode(&bytes).tail,
        Tail::Torn {
            offset: ends[1],
            bytes: 100
        }
    );
}

#[test]
fn a_bad_last_record_is_torn_but_a_bad_middle_record_is_corrupt() {
    let (bytes, ends) = journal(&[point(1, 1.0, Some(1), None), point(2, 2.0, Some(2), None)]);
    let mut last = bytes.clone();
    *last.last_mut().unwrap() ^= 0x10;
    assert!(matches!(decode(&last).tail, Tail::Torn { offset, .. } if offset == ends[1]));
    let mut middle = bytes.clone();
    middle[ends[1] - 1] ^= 0x10;
    assert!(matches!(decode(&middle).tail, Tail::Corrupt { offset, .. } if offset == ends[0]));
}

#[test]
fn every_single_bit_flip_before_the_last_record_is_corruption() {
    let (bytes, ends) = journal(&[
        point(1, 1.0, Some(1), Some(5.0)),
        point(2, 2.0, Some(2), None),
        point(3, 3.0, None, None),
    ]);
    for at in 0..ends[2] {
        for bit in 0..8 {
            let mut flipped = bytes.clone();
            flipped[at] ^= 1 << bit;
            let decoded = decode(&flipped);
            assert!(
                matches!(decoded.tail, Tail::Corrupt { .. }),
                "bit {bit} of byte {at}: {:?}",
                decoded.tail
            );
        }
    }
}

#[test]
fn garbage_is_corrupt_and_never_panics() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(matches!(
        decode(&garbage).tail,
        Tail::Corrupt { offset: 0, .. }
    ));
    let text = b"{\"name\":\"loss\",\"value\":1}\n".repeat(20);
    assert!(matches!(
        decode(&text).tail,
        Tail::Corrupt { offset: 0, .. }
    ));
}

#[test]
fn a_record_that_is_not_a_header_cannot_start_a_file() {
    let mut out = Vec::new();
    let mut ctx = Context::default();
    encode_logged(&mut out, &mut ctx, &point(1, 1.0, None, None)).unwrap();
    encode_logged(&mut out, &mut ctx, &point(2, 1.0, None, None)).unwrap();
    let decoded = decode(&out);
    assert!(decoded.records.is_empty());
    assert!(
        matches!(decoded.tail, Tail::Corrupt { offset: 0, ref reason } if reason.contains("header"))
    );
}

#[test]
fn a_second_header_is_corrupt() {
    let (mut bytes, ends) = journal(&[point(1, 1.0, None, None)]);
    encode_header(&mut bytes, &header(), 0).unwrap();
    encode_header(&mut bytes, &header(), 0).unwrap();
    assert!(matches!(decode(&bytes).tail, Tail::Corrupt { offset, .. } if offset == ends[1]));
}

#[test]
fn another_format_version_is_reported_as_such() {
    let mut out = Vec::new();
    frame(&mut out, |p| {
        p.push(TAG_HEADER);
        p.extend_from_slice(MAGIC);
        p.push(FORMAT_VERSION + 1);
        p.extend_from_slice(b"whatever comes next");
    })
    .unwrap();
    let decoded = decode(&out);
    assert!(
        matches!(decoded.records.first(), Some(Record::Header { version, .. }) if *version == FORMAT_VERSION + 1)
    );
}

#[test]
fn oversized_records_are_refused_and_leave_nothing_behind() {
    let mut out = vec![1, 2, 3];
    let mut ctx = Context::default();
    let mut big = point(1, 1.0, None, None);
    big.name = "a".repeat(MAX_PAYLOAD);
    assert!(matches!(
        encode_logged(&mut out, &mut ctx, &big),
        Err(EncodeError::TooLarge(_))
    ));
    assert_eq!(out, vec![1, 2, 3]);
    assert_eq!(ctx, Context::default());
}
