//! Unit tests of `core::decode`.

use super::*;

fn page(json: &str) -> Result<Page<Snapshot>, serde_json::Error> {
    serde_json::from_str(json)
}

const GOOD_PAGE: &str = r#"{"index":0,"isComplete":false,"totalNumResults":25,
    "first":"/api/v1/jobs/1/metrics/acc/snapshots?index=0&pageLength=2",
    "next":"/api/v1/jobs/1/metrics/acc/snapshots?index=2&pageLength=2",
    "data":[{"name":"acc","value":"nan","step":0,"timestamp":"2026-11-27T05:41:08.123456"},
            {"name":"acc","value":0.5,"step":1,"timestamp":"2026-11-27T05:41:09+00:00","extra":1}]}"#;

#[test]
fn reads_a_history_page() {
    let page = page(GOOD_PAGE).unwrap();
    assert_eq!(page.total_num_results, 25);
    assert!(!page.is_complete);
    assert_eq!(page.prev, None);
    assert_eq!(page.data.len(), 2);
    assert!(page.data[0].value.0.is_nan());
    assert_eq!(page.data[1].step, 1);
    assert!((page.data[0].timestamp.0 % 1000.0 - 123.456).abs() < 1e-3);
}

#[test]
fn refuses_pages_of_the_wrong_shape() {
    let cases = [
        GOOD_PAGE.replace(r#""value":0.5"#, r#""value":{}"#),
        GOOD_PAGE.replace(r#""name":"acc","value":0.5"#, r#""value":0.5"#),
        GOOD_PAGE.replace(r#""step":1"#, r#""step":"1""#),
        GOOD_PAGE.replace(r#""step":1"#, r#""step":1.5"#),
        GOOD_PAGE.replace("2026-11-27T05:41:09+00:00", "not a time"),
        GOOD_PAGE.replace(r#""totalNumResults":25,"#, ""),
        r#"{"index":0,"isComplete":true,"totalNumResults":0,"first":"","data":{}}"#.to_owned(),
        "[]".to_owned(),
    ];
    for case in cases {
        assert!(page(&case).is_err(), "{case}");
    }
}

#[test]
fn reads_experiment_pages() {
    let json = r#"{"index":0,"isComplete":true,"totalNumResults":1,"first":"f",
        "data":[{"id":3,"metrics":[{"name":"a","value":"-inf"},{"name":"b","value":2}]}]}"#;
    let page: Page<JobMetrics> = serde_json::from_str(json).unwrap();
    assert_eq!(page.data[0].id, 3);
    assert_eq!(page.data[0].metrics[0].value, WireValue(f64::NEG_INFINITY));
    assert_eq!(page.data[0].metrics[1].value, WireValue(2.0));
}

#[test]
fn maps_the_servers_errors() {
    let body: ErrorBody = serde_json::from_str(
        r#"{"error":"EntityDoesNotExistError","message":"Not Found - Failed to locate Job","detail":{}}"#,
    )
    .unwrap();
    match api_error(
        404,
        "NOT FOUND",
        Some(body),
        "GET",
        "/api/v1/jobs/9/metrics",
    ) {
        Error::Api(e) => {
            assert_eq!(e.status, 404);
            assert_eq!(e.error_type.as_deref(), Some("EntityDoesNotExistError"));
            assert_eq!(e.message, "Not Found - Failed to locate Job");
            assert_eq!(e.path, "/api/v1/jobs/9/metrics");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn field_errors_become_the_message_when_there_is_no_other() {
    let body: ErrorBody = serde_json::from_str(
        r#"{"errors":{"name":["'1bad' is not a compatible name"],"nested":{"a":["x","y"]}},"message":"Input payload validation failed"}"#,
    )
    .unwrap();
    let Error::Api(e) = api_error(400, "BAD REQUEST", Some(body), "POST", "/p") else {
        panic!()
    };
    let fields = e.field_errors.unwrap();
    assert_eq!(fields["name"], vec!["'1bad' is not a compatible name"]);
    assert_eq!(fields["nested.a"], vec!["x", "y"]);
    assert_eq!(e.message, "Input payload validation failed");

    let body: ErrorBody =
        serde_json::from_str(r#"{"errors":{"pageLength":["Must be <= 500"]}}"#).unwrap();
    let Error::Api(e) = api_error(400, "BAD REQUEST", Some(body), "GET", "/p") else {
        panic!()
    };
    assert_eq!(e.message, "pageLength: Must be <= 500");
}

#[test]
fn empty_field_messages_never_make_an_empty_message() {
    // Found by tests/properties.rs.
    for json in [
        r#"{"errors":""}"#,
        r#"{"errors":{"":""}}"#,
        r#"{"errors":["",""]}"#,
    ] {
        let body: ErrorBody = serde_json::from_str(json).unwrap();
        let Error::Api(e) = api_error(400, "BAD REQUEST", Some(body), "GET", "/p") else {
            panic!()
        };
        assert!(e.message.contains("400"), "{json}: {:?}", e.message);
    }
}

#[test]
fn deeply_nested_error_bodies_are_read_to_a_bounded_depth() {
    let deep = format!("{}\"x\"{}", "[".repeat(100), "]".repeat(100));
    let json = format!(r#"{{"message":{deep},"errors":{{"a":{deep}}},"error":"E"}}"#);
    // 100 levels: within serde_json's own limit; JSON.parse has none, so the bound is ours.
    let body: ErrorBody = serde_json::from_str(&json).unwrap();
    let Error::Api(e) = api_error(400, "", Some(body), "GET", "/p") else {
        panic!()
    };
    assert_eq!(e.error_type.as_deref(), Some("E"));
    assert!(
        e.field_errors.is_none(),
        "messages below the depth limit are skipped"
    );
}

#[test]
fn error_bodies_of_any_shape_still_give_an_error() {
    for json in [
        r#"{"message":5,"error":[1]}"#,
        r#"[1,2]"#,
        r#""text""#,
        r#"{"errors":7}"#,
    ] {
        let body: Option<ErrorBody> = serde_json::from_str(json).ok();
        let Error::Api(e) = api_error(502, "Bad Gateway", body, "GET", "/p") else {
            panic!()
        };
        assert_eq!(e.status, 502);
        assert!(e.message.contains("502"), "{}", e.message);
    }
}
