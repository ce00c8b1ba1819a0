use super::*;

fn input() -> SummaryInput {
    SummaryInput {
        filter: String::new(),
        group_by: vec!["tier".into(), "geography.country".into()],
        currency_code: "CNY".into(),
        start_time: Some(TimeInput {
            seconds: 100,
            nanos: 0,
        }),
        end_time: Some(TimeInput {
            seconds: 200,
            nanos: 0,
        }),
    }
}

fn bad_fields(input: SummaryInput) -> Vec<String> {
    match SummaryQuery::parse(input) {
        Err(Error::InvalidArgument(found)) => found.into_iter().map(|v| v.field).collect(),
        other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
    }
}

fn units(units: i64) -> ValueParts {
    ValueParts {
        high: units / UNITS_SPLIT,
        low: units % UNITS_SPLIT,
        nanos: 0,
    }
}

fn sums(tier: Option<Tier>, customers: i64, value: ValueParts) -> SegmentSums {
    SegmentSums {
        key: SegmentKey {
            tier,
            ..Default::default()
        },
        customers,
        purchases: customers,
        excluded_purchases: 0,
        value,
    }
}

#[test]
fn a_good_query_keeps_its_groups_in_order() {
    let query = SummaryQuery::parse(input()).unwrap();
    assert_eq!(query.group_by, [Dimension::Tier, Dimension::Country]);
    assert_eq!(query.start, Timestamp(100_000_000));
    assert_eq!(query.end, Timestamp(200_000_000));
    assert!(query.filter.is_none());
}

#[test]
fn every_bad_field_is_named() {
    let bad = SummaryInput {
        filter: "colour = RED".into(),
        group_by: vec!["tier".into(), "colour".into(), "tier".into()],
        currency_code: String::new(),
        start_time: None,
        end_time: None,
    };
    assert_eq!(
        bad_fields(bad),
        [
            "filter",
            "group_by[1]",
            "group_by[2]",
            "currency_code",
            "start_time",
            "end_time"
        ]
    );
    let lower_case = SummaryInput {
        currency_code: "cny".into(),
        ..input()
    };
    assert_eq!(bad_fields(lower_case), ["currency_code"]);
}

#[test]
fn the_window_must_not_be_empty() {
    let same = SummaryInput {
        end_time: input().start_time,
        ..input()
    };
    assert_eq!(bad_fields(same), ["end_time"]);
    let reversed = SummaryInput {
        start_time: input().end_time,
        end_time: input().start_time,
        ..input()
    };
    assert_eq!(bad_fields(reversed), ["end_time"]);
}

#[test]
fn parts_add_up_exactly_beyond_64_bits() {
    let max = ValueParts {
        high: i64::MAX / UNITS_SPLIT,
        low: i64::MAX % UNITS_SPLIT,
        nanos: 999_999_999,
    };
    let twice = ValueParts {
        high: max.high * 2,
        low: max.low * 2,
        nanos: max.nanos * 2,
    };
    assert_eq!(
        twice.total_nanos(),
        2 * (i128::from(i64::MAX) * 1_000_000_000 + 999_999_999)
    );
}

#[test]
fn shares_are_of_the_total_net_value() {
    let summary = summarize(
        "CNY",
        vec![
            sums(Some(Tier::Key), 2, units(300)),
            sums(Some(Tier::General), 1, units(-100)),
            sums(None, 1, ValueParts::default()),
        ],
    )
    .unwrap();
    assert_eq!(summary.total.customer_count, 4);
    assert_eq!(summary.total.net_value.units, 200);
    let percents: Vec<f64> = summary
        .groups
        .iter()
        .map(|g| g.share.as_ref().unwrap().percent)
        .collect();
    assert_eq!(percents, [150.0, -50.0, 0.0]);
    let share = summary.groups[1].share.as_ref().unwrap();
    assert_eq!(
        (share.numerator.units, share.denominator.units),
        (-100, 200)
    );
    assert_eq!(summary.total.share.as_ref().unwrap().percent, 100.0);
}

#[test]
fn no_share_without_a_positive_total() {
    for total in [0, -5] {
        let summary = summarize(
            "EUR",
            vec![
                sums(Some(Tier::Key), 1, units(5)),
                sums(None, 1, units(total - 5)),
            ],
        )
        .unwrap();
        assert!(summary.total.share.is_none(), "{total}");
        assert!(summary.groups.iter().all(|g| g.share.is_none()), "{total}");
    }
    let empty = summarize("EUR", Vec::new()).unwrap();
    assert_eq!(empty.total.customer_count, 0);
    assert!(empty.total.share.is_none());
}

#[test]
fn negative_values_keep_one_sign() {
    let value = ValueParts {
        high: 0,
        low: -3,
        nanos: -250_000_000,
    };
    let summary = summarize("CNY", vec![sums(None, 1, value)]).unwrap();
    let net = &summary.total.net_value;
    assert_eq!((net.units, net.nanos), (-3, -250_000_000));
    let value = ValueParts {
        high: 0,
        low: -3,
        nanos: 1_250_000_000,
    };
    let net = summarize("CNY", vec![sums(None, 1, value)])
        .unwrap()
        .total
        .net_value;
    assert_eq!((net.units, net.nanos), (-1, -750_000_000));
}

#[test]
fn a_total_beyond_money_is_refused() {
    let huge = ValueParts {
        high: i64::MAX / 2,
        low: 0,
        nanos: 0,
    };
    let err = summarize("CNY", vec![sums(None, 1, huge)]).unwrap_err();
    assert!(matches!(err, Error::LimitReached { .. }), "{err:?}");
}
