use super::*;
use crate::core::journal::format::FRAME_BYTES;

fn header(job_id: u64) -> JournalHeader {
    JournalHeader {
        job_id,
        base_url: "http://127.0.0.1:5000/api/v1".into(),
    }
}

/// (name, step, value) of the held points, in order.
fn held(journal: &Journal) -> Vec<(String, Option<i64>, f64)> {
    journal
        .points()
        .map(|p| (p.name, p.step, p.value))
        .collect()
}

#[test]
fn last_write_wins_per_name_and_step_and_keeps_the_order_of_the_last_write() {
    let (mut j, mut file) = Journal::create(header(7)).unwrap();
    for (name, step, value) in [
        ("a", Some(0), 1.0),
        ("b", None, 2.0),
        ("a", None, 3.0),
        ("c", Some(1), 4.0),
    ] {
        j.log(name, value, step, None, &mut file).unwrap();
    }
    // `a` without a step is `a` at step 0: it replaced the first point and moved behind `b`.
    let expected = vec![
        ("b".to_owned(), None, 2.0),
        ("a".to_owned(), None, 3.0),
        ("c".to_owned(), Some(1), 4.0),
    ];
    assert_eq!(held(&j), expected);
    let opened = Journal::open(&file, &header(7)).unwrap();
    assert_eq!(held(&opened.journal), expected);
    assert_eq!(opened.torn, None);
    assert_eq!(opened.journal.next_seq(), j.next_seq());
}

#[test]
fn an_ack_of_an_overwritten_value_settles_nothing() {
    let (mut j, mut file) = Journal::create(header(7)).unwrap();
    let first = j.log("loss", 1.0, Some(3), None, &mut file).unwrap();
    let second = j.log("loss", 2.0, Some(3), None, &mut file).unwrap();
    assert_eq!(j.seq_if_same("loss", Some(3), 1.0, None), None);
    assert_eq!(j.seq_if_same("loss", Some(3), 2.0, None), Some(second));
    assert_eq!(j.ack(&[first], &mut file).unwrap(), 0);
    assert_eq!(
        held(&Journal::open(&file, &header(7)).unwrap().journal),
        vec![("loss".to_owned(), Some(3), 2.0)]
    );
    assert_eq!(j.ack(&[second, second], &mut file).unwrap(), 1);
    assert!(j.is_empty());
    assert!(Journal::open(&file, &header(7)).unwrap().journal.is_empty());
}

#[test]
fn seq_if_same_compares_values_and_timestamps_bit_for_bit() {
    let (mut j, mut file) = Journal::create(header(7)).unwrap();
    let seq = j.log("x", f64::NAN, None, Some(5.0), &mut file).unwrap();
    assert_eq!(j.seq_if_same("x", Some(0), f64::NAN, Some(5.0)), Some(seq));
    assert_eq!(j.seq_if_same("x", None, f64::NAN, None), None);
    assert_eq!(j.seq_if_same("x", None, f64::NAN, Some(6.0)), None);
    j.log("z", 0.0, None, None, &mut file).unwrap();
    assert_eq!(j.seq_if_same("z", None, -0.0, None), None);
}

#[test]
fn another_job_or_address_is_refused_and_says_which() {
    let (mut j, mut file) = Journal::create(header(7)).unwrap();
    j.log("loss", 1.0, None, None, &mut file).unwrap();
    let err = Journal::open(&file, &header(8)).unwrap_err();
    assert!(matches!(err, OpenError::OtherJob { ref found, .. } if found.job_id == 7));
    let message = err.to_string();
    assert!(
        message.contains("job 7") && message.contains("job 8"),
        "{message}"
    );
    let other_address = JournalHeader {
        job_id: 7,
        base_url: "http://other/api/v1".into(),
    };
    assert!(matches!(
        Journal::open(&file, &other_address),
        Err(OpenError::OtherJob { .. })
    ));
    // `replay` takes any job.
    assert_eq!(Journal::replay(&file).unwrap().journal.header(), &header(7));
}

#[test]
fn empty_bytes_open_as_a_new_journal_and_replay_as_nothing() {
    let opened = Journal::open(&[], &header(7)).unwrap();
    assert!(opened.journal.is_empty());
    assert_eq!(
        Journal::replay(&opened.rewrite).unwrap().journal.header(),
        &header(7)
    );
    assert_eq!(Journal::replay(&[]).unwrap_err(), OpenError::Empty);
}

#[test]
fn a_torn_tail_is_reported_and_dropped_by_the_rewrite() {
    let (mut j, mut file) = Journal::create(header(7)).unwrap();
    j.log("a", 1.0, None, None, &mut file).unwrap();
    let whole = file.len();
    j.log("b", 2.0, None, None, &mut file).unwrap();
    let opened = Journal::open(&file[..file.len() - 3], &header(7)).unwrap();
    assert_eq!(opened.torn, Some((whole, file.len() - 3 - whole)));
    assert_eq!(held(&opened.journal), vec![("a".to_owned(), None, 1.0)]);
    let again = Journal::open(&opened.rewrite, &header(7)).unwrap();
    assert_eq!(
        (again.torn, held(&again.journal)),
        (None, held(&opened.journal))
    );
}

#[test]
fn corruption_is_refused_with_its_offset_and_the_count_before_it() {
    let (mut j, mut file) = Journal::create(header(7)).unwrap();
    j.log("a", 1.0, None, None, &mut file).unwrap();
    let damaged_at = file.len();
    j.log("b", 2.0, None, None, &mut file).unwrap();
    j.log("c", 3.0, None, None, &mut file).unwrap();
    file[damaged_at + FRAME_BYTES + 2] ^= 0xff;
    match Journal::open(&file, &header(7)) {
        Err(OpenError::Corrupt {
            offset,
            unsent_before,
            ..
        }) => {
            assert_eq!((offset, unsent_before), (damaged_at, 1));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Journal::open(b"not a journal at all", &header(7)),
        Err(OpenError::Corrupt { offset: 0, .. })
    ));
    assert!(matches!(
        Journal::open(&[0; 64], &header(7)),
        Err(OpenError::Corrupt { offset: 0, .. })
    ));
}

#[test]
fn compaction_waits_for_32_kib_and_half_the_file_and_keeps_the_live_points() {
    let (mut j, mut file) = Journal::create(header(7)).unwrap();
    let mut max_size = 0;
    let mut compactions = 0;
    for i in 0..100_000i64 {
        let seq = j
            .log(
                "loss",
                i as f64,
                Some(i),
                Some(1.764e12 + i as f64),
                &mut file,
            )
            .unwrap();
        j.ack(&[seq], &mut file).unwrap();
        assert_eq!(j.file_bytes(), file.len() as u64);
        if j.should_compact() {
            file = j.compact().unwrap();
            compactions += 1;
        }
        max_size = max_size.max(file.len());
    }
    assert!(max_size < 64 * 1024, "{max_size}");
    assert!(compactions > 50, "{compactions}");
    // With unacknowledged points, the file stays under twice their size + 32 KiB.
    let (mut j, mut file) = Journal::create(header(7)).unwrap();
    for i in 0..20_000i64 {
        j.log("acc", 0.5, Some(i % 1000), None, &mut file).unwrap();
        if j.should_compact() {
            file = j.compact().unwrap();
        }
    }
    let live_size = j.clone_compacted_len();
    assert!((file.len() as u64) < 2 * live_size + COMPACT_MIN_DEAD_BYTES + 64);
    assert_eq!(
        Journal::open(&file, &header(7)).unwrap().journal.len(),
        1000
    );
}

impl Journal {
    fn clone_compacted_len(&self) -> u64 {
        let mut copy = Journal::replay(&{
            let mut out = Vec::new();
            let mut ctx = super::super::format::encode_header(&mut out, &self.header, 0).unwrap();
            for p in self.points() {
                super::super::format::encode_logged(&mut out, &mut ctx, &p).unwrap();
            }
            out
        })
        .unwrap();
        copy.journal.compact().unwrap().len() as u64
    }
}

#[test]
fn a_journal_of_another_format_version_is_refused_not_moved_aside() {
    let (_, mut file) = Journal::create(header(7)).unwrap();
    // The header's payload: tag, "DMJ", version (then job, URL, base seq); fix up its checksum.
    file[FRAME_BYTES + 4] = 9;
    let crc = crate::core::journal::bytes::crc32(&file[FRAME_BYTES..]).to_le_bytes();
    file[4..8].copy_from_slice(&crc);
    let err = Journal::open(&file, &header(7)).unwrap_err();
    assert_eq!(err, OpenError::Version(9));
    assert!(err.to_string().contains("version 9"), "{err}");
}
