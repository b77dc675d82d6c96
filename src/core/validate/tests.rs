//! Unit tests of `core::validate`.

use super::*;

fn field_of(result: Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::Validation { field, .. }) => field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn metric_names_follow_the_server_rule() {
    for good in [
        "a",
        "Z",
        "ab",
        "_a",
        "__",
        "a_1",
        "loss",
        "val_acc_top5",
        "_0",
    ] {
        assert!(is_metric_name(good), "{good}");
    }
    for bad in [
        "", "_", "1", "1a", "a-b", "a b", "é", "a.b", "a/b", "ab\n", "0_",
    ] {
        assert!(!is_metric_name(bad), "{bad}");
    }
}

#[test]
fn bad_names_are_named_with_the_rule() {
    let err = metric_name(&Input::Text("1bad".into())).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("\"1bad\""), "{message}");
    assert!(message.contains(METRIC_NAME_RULE), "{message}");
    assert_eq!(field_of(metric_name(&Input::Number(1.0))), "metricName");
}

#[test]
fn ids_are_positive_safe_integers_or_digit_strings() {
    assert_eq!(resource_id(&Input::Number(17.0), "jobId").unwrap(), 17);
    assert_eq!(resource_id(&Input::Text("17".into()), "jobId").unwrap(), 17);
    assert_eq!(resource_id(&Input::Text("007".into()), "jobId").unwrap(), 7);
    assert_eq!(
        resource_id(&Input::Number(MAX_SAFE_INTEGER), "jobId").unwrap(),
        9_007_199_254_740_991
    );
    for bad in [
        Input::Number(0.0),
        Input::Number(-1.0),
        Input::Number(1.5),
        Input::Number(f64::NAN),
        Input::Number(f64::INFINITY),
        Input::Number(MAX_SAFE_INTEGER + 1.0),
        Input::Text("".into()),
        Input::Text("0".into()),
        Input::Text("1/../users".into()),
        Input::Text("17 ".into()),
        Input::Text("+17".into()),
        Input::Text("1e3".into()),
        Input::Text("9007199254740992".into()),
        Input::Text("99999999999999999999".into()),
        Input::Other("null"),
        Input::Missing,
    ] {
        assert_eq!(field_of(resource_id(&bad, "jobId")), "jobId", "{bad:?}");
    }
}

#[test]
fn steps_are_safe_integers() {
    assert_eq!(step(&Input::Missing).unwrap(), None);
    assert_eq!(step(&Input::Number(3.0)).unwrap(), Some(3));
    assert_eq!(step(&Input::Number(-2.0)).unwrap(), Some(-2));
    assert_eq!(step(&Input::Number(-0.0)).unwrap(), Some(0));
    let err = step(&Input::Number(1.5)).unwrap_err().to_string();
    assert!(err.contains("1.5") && err.contains("truncate"), "{err}");
    for bad in [
        Input::Number(f64::NAN),
        Input::Number(1e300),
        Input::Text("3".into()),
        Input::Other("null"),
    ] {
        assert_eq!(field_of(step(&bad)), "step");
    }
}

#[test]
fn paging_options_have_defaults_and_bounds() {
    assert_eq!(page_index(&Input::Missing, "index", 0).unwrap(), 0);
    assert_eq!(page_length(&Input::Missing, 10, 1000).unwrap(), 10);
    assert_eq!(page_length(&Input::Number(1000.0), 10, 1000).unwrap(), 1000);
    assert_eq!(
        field_of(page_length(&Input::Number(1001.0), 10, 1000)),
        "pageLength"
    );
    assert_eq!(
        field_of(page_length(&Input::Number(0.0), 10, 1000)),
        "pageLength"
    );
    assert_eq!(
        field_of(page_index(&Input::Number(-1.0), "index", 0)),
        "index"
    );
    assert_eq!(
        field_of(page_index(&Input::Number(0.5), "index", 0)),
        "index"
    );
    assert_eq!(
        field_of(page_index(&Input::Text("1".into()), "index", 0)),
        "index"
    );
}

#[test]
fn options_check_their_types() {
    assert_eq!(
        optional_bool(&Input::Bool(true), "descending").unwrap(),
        Some(true)
    );
    assert_eq!(
        field_of(optional_bool(&Input::Text("true".into()), "descending")),
        "descending"
    );
    assert_eq!(
        field_of(optional_text(&Input::Number(1.0), "search")),
        "search"
    );
    assert_eq!(timeout_ms(&Input::Number(1500.0)).unwrap(), Some(1500.0));
    assert_eq!(field_of(timeout_ms(&Input::Number(0.0))), "timeoutMs");
    assert_eq!(
        field_of(timeout_ms(&Input::Number(f64::INFINITY))),
        "timeoutMs"
    );
    assert_eq!(
        credentials(&Input::Missing).unwrap(),
        Credentials::SameOrigin
    );
    assert_eq!(
        field_of(credentials(&Input::Text("all".into()))),
        "credentials"
    );
}

#[test]
fn bounded_options_check_range_and_integrality() {
    assert_eq!(
        bounded_number(&Input::Missing, "x", 0.0, 5.0, 2.5).unwrap(),
        2.5
    );
    assert_eq!(
        bounded_number(&Input::Number(0.5), "x", 0.0, 5.0, 1.0).unwrap(),
        0.5
    );
    assert_eq!(
        field_of(bounded_number(&Input::Number(6.0), "x", 0.0, 5.0, 1.0)),
        "x"
    );
    assert_eq!(
        field_of(bounded_number(&Input::Number(f64::NAN), "x", 0.0, 5.0, 1.0)),
        "x"
    );
    assert_eq!(
        field_of(bounded_integer(&Input::Number(1.5), "n", 0.0, 5.0, 1.0)),
        "n"
    );
    assert_eq!(
        bounded_integer(&Input::Number(3.0), "n", 0.0, 5.0, 1.0).unwrap(),
        3.0
    );
    assert_eq!(
        field_of(bounded_integer(
            &Input::Text("3".into()),
            "n",
            0.0,
            5.0,
            1.0
        )),
        "n"
    );
}

#[test]
fn callbacks_and_logger_steps() {
    assert!(!callback(&Input::Missing, "onError").unwrap());
    assert!(callback(&Input::Other("a function"), "onError").unwrap());
    assert_eq!(
        field_of(callback(&Input::Text("log".into()), "onError")),
        "onError"
    );
    assert!(logger_step(&Input::Text("auto".into())).unwrap());
    assert!(!logger_step(&Input::Missing).unwrap());
    assert_eq!(field_of(logger_step(&Input::Number(0.0))), "step");
}

#[test]
fn header_names_and_values_are_checked() {
    assert!(is_allowed_header_name("X-Trace-Id"));
    assert!(!is_allowed_header_name("Cookie"));
    assert!(!is_allowed_header_name("bad header"));
    assert!(is_header_value("abc def"));
    assert!(!is_header_value("a\r\nb"));
}
