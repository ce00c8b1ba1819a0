//! SummarizeCustomers against cases worked out by hand: customer counts and
//! net purchase value over a half-open window in one currency, by segment,
//! with shares of the total; every bad field named.

use crm::pb::{self, customer::Kind, customer::Tier, purchase};
use tonic::Code;

use crate::support::*;

/// 2026-01-01T00:00:00Z: the window's start; it ends 30 days later.
const START: i64 = 1_767_225_600;
const DAY: i64 = 86_400;
const END: i64 = START + 30 * DAY;

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

fn segment(name: &str, tier: Tier, country: &str, region: &str, kind: Kind) -> pb::Customer {
    pb::Customer {
        tier: tier as i32,
        kind: kind as i32,
        geography: Some(pb::Geography {
            country: country.into(),
            sales_region: region.into(),
            ..Default::default()
        }),
        ..customer(name)
    }
}

/// A sale or return of `units.nanos` in `currency` at `time`.
async fn buy(
    s: &TestServer,
    customer: &pb::Customer,
    kind: purchase::Kind,
    currency: &str,
    units: i64,
    nanos: i32,
    time: i64,
) -> pb::Purchase {
    s.purchases()
        .create_purchase(pb::CreatePurchaseRequest {
            parent: customer.name.clone(),
            purchase: Some(pb::Purchase {
                product: Some(pb::Product {
                    sku: "SKU-1".into(),
                    name: String::new(),
                }),
                quantity: 1,
                amount: Some(pb::Money {
                    currency_code: currency.into(),
                    units,
                    nanos,
                }),
                purchase_time: at(time),
                kind: kind as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("purchase recorded")
        .into_inner()
}

use purchase::Kind::{Return, Sale};

/// The worked case. Net CNY in the window:
/// - A (KEY, CN, EAST, organisation): 100.50 at the very start (in), plus
///   200, less a return of 30.25: 270.25. 50 USD is left out; 999 at the
///   very end and 1000 the day before the start are outside. 3 purchases,
///   1 left out.
/// - B (KEY, CN, NORTH, individual): 79.75; a deleted sale of 500 does not
///   count. 1 purchase.
/// - C (GENERAL, US, OVERSEAS, organisation): a return of 50, so -50; 10
///   EUR left out. 1 purchase, 1 left out.
/// - D (no tier, CN, EAST, individual): no purchase.
/// - E (KEY, CN, EAST): deleted with a sale of 10000; takes no part.
///
/// A and C carry the label team=alpha.
///
/// Total: 4 customers, 300.00 net, 5 purchases, 2 left out.
async fn worked_case(s: &TestServer) {
    let team = |mut c: pb::Customer| {
        c.labels = [("team".to_owned(), "alpha".to_owned())].into();
        c
    };
    let a = create_customer(
        s,
        team(segment("A", Tier::Key, "CN", "EAST", Kind::Organisation)),
    )
    .await;
    let b = create_customer(s, segment("B", Tier::Key, "CN", "NORTH", Kind::Individual)).await;
    let c = create_customer(
        s,
        team(segment(
            "C",
            Tier::General,
            "US",
            "OVERSEAS",
            Kind::Organisation,
        )),
    )
    .await;
    create_customer(
        s,
        segment("D", Tier::Unspecified, "CN", "EAST", Kind::Individual),
    )
    .await;
    let e = create_customer(s, segment("E", Tier::Key, "CN", "EAST", Kind::Organisation)).await;

    buy(s, &a, Sale, "CNY", 100, 500_000_000, START).await;
    buy(s, &a, Sale, "CNY", 200, 0, START + DAY).await;
    buy(s, &a, Return, "CNY", 30, 250_000_000, START + 2 * DAY).await;
    buy(s, &a, Sale, "USD", 50, 0, START + 3 * DAY).await;
    buy(s, &a, Sale, "CNY", 999, 0, END).await;
    buy(s, &a, Sale, "CNY", 1000, 0, START - DAY).await;
    buy(s, &b, Sale, "CNY", 79, 750_000_000, START + 5 * DAY).await;
    let deleted = buy(s, &b, Sale, "CNY", 500, 0, START + 6 * DAY).await;
    s.purchases()
        .delete_purchase(pb::DeletePurchaseRequest {
            name: deleted.name,
            ..Default::default()
        })
        .await
        .unwrap();
    buy(s, &c, Return, "CNY", 50, 0, START + 7 * DAY).await;
    buy(s, &c, Sale, "EUR", 10, 0, START + 8 * DAY).await;
    buy(s, &e, Sale, "CNY", 10_000, 0, START + DAY).await;
    s.customers()
        .delete_customer(pb::DeleteCustomerRequest {
            name: e.name,
            ..Default::default()
        })
        .await
        .unwrap();
}

fn request(group_by: &[&str], filter: &str) -> pb::SummarizeCustomersRequest {
    pb::SummarizeCustomersRequest {
        filter: filter.into(),
        group_by: group_by.iter().map(|g| (*g).to_owned()).collect(),
        currency_code: "CNY".into(),
        start_time: at(START),
        end_time: at(END),
    }
}

async fn summarize(
    s: &TestServer,
    request: pb::SummarizeCustomersRequest,
) -> pb::SummarizeCustomersResponse {
    s.customers()
        .summarize_customers(request)
        .await
        .unwrap()
        .into_inner()
}

/// (customers, purchases, left out, net units, net nanos, share percent).
type Figures = (i64, i64, i64, i64, i32, Option<f64>);

fn figures(g: &pb::CustomerGroup) -> Figures {
    let net = g.net_value.clone().expect("net value is always set");
    let percent = g.share.as_ref().map(|share| {
        assert_eq!(share.numerator.as_ref(), Some(&net));
        // Rounded to 1e-9: the percent is a floating-point quotient.
        (share.percent * 1e9).round() / 1e9
    });
    (
        g.customer_count,
        g.purchase_count,
        g.excluded_purchase_count,
        net.units,
        net.nanos,
        percent,
    )
}

fn denominator(g: &pb::CustomerGroup) -> Option<(i64, i32)> {
    g.share
        .as_ref()
        .and_then(|s| s.denominator.as_ref())
        .map(|m| (m.units, m.nanos))
}

db_tests! {
    async fn without_grouping_one_group_is_the_total(s) {
        worked_case(&s).await;
        let summary = summarize(&s, request(&[], "")).await;
        let total = summary.total.clone().unwrap();
        assert_eq!(figures(&total), (4, 5, 2, 300, 0, Some(100.0)));
        assert_eq!(total.net_value.as_ref().unwrap().currency_code, "CNY");
        assert_eq!(denominator(&total), Some((300, 0)));
        assert_eq!(summary.groups, [total]);
    }

    async fn groups_by_one_field_share_the_total(s) {
        worked_case(&s).await;
        let summary = summarize(&s, request(&["tier"], "")).await;
        let tiers: Vec<i32> = summary.groups.iter().map(|g| g.tier).collect();
        assert_eq!(tiers, [Tier::Unspecified as i32, Tier::Key as i32, Tier::General as i32]);
        let found: Vec<Figures> = summary.groups.iter().map(figures).collect();
        assert_eq!(found, [
            (1, 0, 0, 0, 0, Some(0.0)),
            (2, 4, 1, 350, 0, Some(116.666666667)),
            (1, 1, 1, -50, 0, Some(-16.666666667)),
        ]);
        assert!(summary.groups.iter().all(|g| denominator(g) == Some((300, 0))));
        assert!(summary.groups.iter().all(|g| g.country.is_empty() && g.kind == 0), "only grouped fields are set");
    }

    async fn groups_by_two_fields_in_the_order_asked(s) {
        worked_case(&s).await;
        let summary = summarize(&s, request(&["geography.country", "kind"], "")).await;
        let keys: Vec<(&str, i32)> = summary.groups.iter().map(|g| (g.country.as_str(), g.kind)).collect();
        assert_eq!(keys, [("CN", Kind::Individual as i32), ("CN", Kind::Organisation as i32), ("US", Kind::Organisation as i32)]);
        let found: Vec<Figures> = summary.groups.iter().map(figures).collect();
        assert_eq!(found, [
            (2, 1, 0, 79, 750_000_000, Some(26.583333333)),
            (1, 3, 1, 270, 250_000_000, Some(90.083333333)),
            (1, 1, 1, -50, 0, Some(-16.666666667)),
        ]);
        let regions = summarize(&s, request(&["geography.sales_region", "tier"], "")).await;
        let keys: Vec<(&str, i32)> = regions.groups.iter().map(|g| (g.sales_region.as_str(), g.tier)).collect();
        assert_eq!(keys, [("EAST", 0), ("EAST", Tier::Key as i32), ("NORTH", Tier::Key as i32), ("OVERSEAS", Tier::General as i32)]);
    }

    async fn the_filter_chooses_the_customers_and_the_total(s) {
        worked_case(&s).await;
        let summary = summarize(&s, request(&["tier"], "geography.country = \"CN\"")).await;
        assert_eq!(figures(summary.total.as_ref().unwrap()), (3, 4, 1, 350, 0, Some(100.0)));
        let found: Vec<Figures> = summary.groups.iter().map(figures).collect();
        assert_eq!(found, [(1, 0, 0, 0, 0, Some(0.0)), (2, 4, 1, 350, 0, Some(100.0))]);

        let team = summarize(&s, request(&["kind"], "labels.team = \"alpha\"")).await;
        assert_eq!(figures(team.total.as_ref().unwrap()), (2, 4, 2, 220, 250_000_000, Some(100.0)));
        assert_eq!(team.groups.iter().map(|g| g.kind).collect::<Vec<_>>(), [Kind::Organisation as i32]);

        // A negative total has no share to give.
        let general = summarize(&s, request(&["tier"], "tier = GENERAL")).await;
        assert_eq!(figures(general.total.as_ref().unwrap()), (1, 1, 1, -50, 0, None));
        assert_eq!(general.groups.iter().map(figures).collect::<Vec<_>>(), [(1, 1, 1, -50, 0, None)]);

        // Nobody selected: one empty total without grouping, no groups with.
        let none = summarize(&s, request(&[], "display_name = \"nobody\"")).await;
        assert_eq!(none.groups.iter().map(figures).collect::<Vec<_>>(), [(0, 0, 0, 0, 0, None)]);
        assert!(summarize(&s, request(&["tier"], "display_name = \"nobody\"")).await.groups.is_empty());
    }

    async fn another_currency_leaves_the_rest_out(s) {
        worked_case(&s).await;
        let usd = summarize(&s, pb::SummarizeCustomersRequest { currency_code: "USD".into(), ..request(&[], "") }).await;
        assert_eq!(figures(usd.total.as_ref().unwrap()), (4, 1, 6, 50, 0, Some(100.0)));
    }

    async fn sums_stay_exact_where_64_bit_running_sums_would_overflow(s) {
        let big = create_customer(&s, customer("Big")).await;
        let half = 1_i64 << 62;
        buy(&s, &big, Sale, "CNY", half, 999_999_999, START).await;
        buy(&s, &big, Sale, "CNY", half, 999_999_999, START + 1).await;
        buy(&s, &big, Return, "CNY", half, 999_999_999, START + 2).await;
        buy(&s, &big, Sale, "CNY", 0, 1, START + 3).await;
        let summary = summarize(&s, request(&[], "")).await;
        assert_eq!(figures(summary.total.as_ref().unwrap()), (1, 4, 0, half + 1, 0, Some(100.0)));

        buy(&s, &big, Sale, "CNY", half, 0, START + 4).await;
        let status = expect_code(s.customers().summarize_customers(request(&[], "")).await, Code::ResourceExhausted);
        assert_eq!(reason(&status), "VALUE_OUT_OF_RANGE");
    }

    async fn bad_input_names_every_field(s) {
        let bad = pb::SummarizeCustomersRequest {
            filter: "colour = RED".into(),
            group_by: vec!["tier".into(), "colour".into(), "tier".into()],
            currency_code: String::new(),
            start_time: None,
            end_time: None,
        };
        let status = expect_code(s.customers().summarize_customers(bad).await, Code::InvalidArgument);
        assert_eq!(reason(&status), "INVALID_ARGUMENT");
        assert_eq!(violated_fields(&status), ["filter", "group_by[1]", "group_by[2]", "currency_code", "start_time", "end_time"]);

        let lower_case = pb::SummarizeCustomersRequest { currency_code: "cny".into(), ..request(&[], "") };
        let status = expect_code(s.customers().summarize_customers(lower_case).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["currency_code"]);
        for (start, end) in [(START, START), (END, START)] {
            let empty = pb::SummarizeCustomersRequest { start_time: at(start), end_time: at(end), ..request(&[], "") };
            let status = expect_code(s.customers().summarize_customers(empty).await, Code::InvalidArgument);
            assert_eq!(violated_fields(&status), ["end_time"], "{start}..{end}");
        }
        let status = expect_code(s.customers().summarize_customers(request(&["display_name"], "tier = 7")).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["filter", "group_by[0]"]);
    }
}
