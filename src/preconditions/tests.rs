use super::*;

const V: Validators<'static> = Validators {
    etag: "\"abc\"",
    modified: 1_700_000_000,
};
// 1_700_000_000 = Tue, 14 Nov 2023 22:13:20 GMT
const AT: &str = "Tue, 14 Nov 2023 22:13:20 GMT";
const BEFORE: &str = "Tue, 14 Nov 2023 22:13:19 GMT";

fn c<'a>() -> Conditions<'a> {
    Conditions::default()
}

#[test]
fn if_none_match_with_current_tag_is_not_modified() {
    assert_eq!(
        evaluate(
            &Conditions {
                if_none_match: Some("\"abc\""),
                ..c()
            },
            V
        ),
        Verdict::NotModified
    );
}

#[test]
fn if_none_match_compares_weakly() {
    assert_eq!(
        evaluate(
            &Conditions {
                if_none_match: Some("W/\"abc\""),
                ..c()
            },
            V
        ),
        Verdict::NotModified
    );
}

#[test]
fn if_none_match_list_and_star() {
    assert_eq!(
        evaluate(
            &Conditions {
                if_none_match: Some("\"x\", \"a,b\", \"abc\""),
                ..c()
            },
            V
        ),
        Verdict::NotModified
    );
    assert_eq!(
        evaluate(
            &Conditions {
                if_none_match: Some("*"),
                ..c()
            },
            V
        ),
        Verdict::NotModified
    );
    assert_eq!(
        evaluate(
            &Conditions {
                if_none_match: Some("\"x\", \"y\""),
                ..c()
            },
            V
        ),
        Verdict::Proceed
    );
}

#[test]
fn if_modified_since_is_ignored_when_if_none_match_is_present() {
    let cond = Conditions {
        if_none_match: Some("\"old\""),
        if_modified_since: Some(AT),
        ..c()
    };
    assert_eq!(evaluate(&cond, V), Verdict::Proceed);
}

#[test]
fn if_modified_since_at_or_after_last_modified_is_not_modified() {
    assert_eq!(
        evaluate(
            &Conditions {
                if_modified_since: Some(AT),
                ..c()
            },
            V
        ),
        Verdict::NotModified
    );
    assert_eq!(
        evaluate(
            &Conditions {
                if_modified_since: Some(BEFORE),
                ..c()
            },
            V
        ),
        Verdict::Proceed
    );
}

#[test]
fn invalid_date_is_ignored() {
    assert_eq!(
        evaluate(
            &Conditions {
                if_modified_since: Some("yesterday"),
                ..c()
            },
            V
        ),
        Verdict::Proceed
    );
}

#[test]
fn if_match_uses_strong_comparison() {
    assert_eq!(
        evaluate(
            &Conditions {
                if_match: Some("\"abc\""),
                ..c()
            },
            V
        ),
        Verdict::Proceed
    );
    assert_eq!(
        evaluate(
            &Conditions {
                if_match: Some("W/\"abc\""),
                ..c()
            },
            V
        ),
        Verdict::PreconditionFailed
    );
    assert_eq!(
        evaluate(
            &Conditions {
                if_match: Some("\"zzz\""),
                ..c()
            },
            V
        ),
        Verdict::PreconditionFailed
    );
}

#[test]
fn if_unmodified_since_before_last_modified_fails() {
    assert_eq!(
        evaluate(
            &Conditions {
                if_unmodified_since: Some(BEFORE),
                ..c()
            },
            V
        ),
        Verdict::PreconditionFailed
    );
    assert_eq!(
        evaluate(
            &Conditions {
                if_unmodified_since: Some(AT),
                ..c()
            },
            V
        ),
        Verdict::Proceed
    );
}

#[test]
fn if_match_failure_wins_over_if_none_match() {
    let cond = Conditions {
        if_match: Some("\"zzz\""),
        if_none_match: Some("\"abc\""),
        ..c()
    };
    assert_eq!(evaluate(&cond, V), Verdict::PreconditionFailed);
}

#[test]
fn if_range_needs_a_strong_tag_or_the_exact_date() {
    assert!(if_range_matches("\"abc\"", V));
    assert!(!if_range_matches("W/\"abc\"", V));
    assert!(if_range_matches(AT, V));
    assert!(!if_range_matches(BEFORE, V));
}
