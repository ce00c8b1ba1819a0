//! PurchaseService: purchases nested under customers. Names with a parent,
//! lists within one customer and across all (`customers/-`), page tokens
//! bound to their parent, the live-parent check in the write transaction,
//! corrections kept as events, and every bad field named.

use crm::pb::{self, event::ResourceSnapshot, purchase::Kind};
use prost_types::FieldMask;
use tonic::Code;
use tonic_types::StatusExt;

use crate::events::all_events;
use crate::support::*;

/// 2026-01-01T00:00:00Z, safely in the past of every test run.
const NEW_YEAR: i64 = 1_767_225_600;
const MISSING: &str = "0191c1a2-7d3e-7cc0-9b5e-3f1f2d1e0a11";

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

fn money(currency_code: &str, units: i64, nanos: i32) -> Option<pb::Money> {
    Some(pb::Money {
        currency_code: currency_code.into(),
        units,
        nanos,
    })
}

/// A valid sale of `sku` for `units` CNY, an hour after new year per `hour`.
pub fn purchase(sku: &str, units: i64, hour: i64) -> pb::Purchase {
    pb::Purchase {
        product: Some(pb::Product {
            sku: sku.into(),
            name: format!("Product {sku}"),
        }),
        quantity: 1,
        amount: money("CNY", units, 0),
        purchase_time: at(NEW_YEAR + hour * 3600),
        kind: Kind::Sale as i32,
        ..Default::default()
    }
}

pub async fn record(s: &TestServer, parent: &str, purchase: pb::Purchase) -> pb::Purchase {
    s.purchases()
        .create_purchase(pb::CreatePurchaseRequest {
            parent: parent.into(),
            purchase: Some(purchase),
            request_id: String::new(),
        })
        .await
        .expect("purchase recorded")
        .into_inner()
}

fn list(parent: &str) -> pb::ListPurchasesRequest {
    pb::ListPurchasesRequest {
        parent: parent.into(),
        ..Default::default()
    }
}

/// Every page of a list, concatenated.
async fn all_pages(s: &TestServer, mut request: pb::ListPurchasesRequest) -> Vec<pb::Purchase> {
    let mut found = Vec::new();
    loop {
        let page = s
            .purchases()
            .list_purchases(request.clone())
            .await
            .unwrap()
            .into_inner();
        found.extend(page.purchases);
        if page.next_page_token.is_empty() {
            return found;
        }
        request.page_token = page.next_page_token;
        assert!(found.len() < 1000, "paging does not end");
    }
}

fn skus(purchases: &[pb::Purchase]) -> Vec<String> {
    purchases
        .iter()
        .map(|p| p.product.clone().unwrap().sku)
        .collect()
}

db_tests! {
    async fn a_purchase_is_recorded_under_its_customer_and_read_back(s) {
        let customer = create_customer(&s, customer("Buyer")).await;
        let channel = s.channels().create_channel(pb::CreateChannelRequest { channel: Some(channel("Shop")), request_id: String::new() })
            .await.unwrap().into_inner();
        let mut input = purchase("GX-200", 399, 1);
        input.amount = money("CNY", 399, 500_000_000);
        input.quantity = 3;
        input.channel = channel.name.clone();
        input.reason = pb::purchase::Reason::Quality as i32;
        input.labels = [("order".to_owned(), "so-1".to_owned())].into();
        let created = record(&s, &customer.name, input.clone()).await;
        let prefix = format!("{}/purchases/", customer.name);
        assert!(created.name.starts_with(&prefix), "{}", created.name);
        assert_eq!(created.etag, "\"1\"");
        assert_eq!((created.amount.clone(), created.quantity), (input.amount.clone(), 3));
        assert_eq!((created.channel.as_str(), created.reason), (channel.name.as_str(), input.reason));
        assert_eq!(created.purchase_time, input.purchase_time);
        assert_eq!(created.labels, input.labels);

        let fetched = s.purchases().get_purchase(pb::GetPurchaseRequest { name: created.name.clone() }).await.unwrap().into_inner();
        assert_eq!(fetched, created);
        let events = all_events(&s, "resource_type = purchase").await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].resource, created.name);
        assert_eq!(events[0].resource_snapshot, Some(ResourceSnapshot::Purchase(created)));
    }

    async fn a_purchase_named_under_another_customer_is_not_found(s) {
        let a = create_customer(&s, customer("A")).await;
        let b = create_customer(&s, customer("B")).await;
        let created = record(&s, &a.name, purchase("X", 1, 1)).await;
        let id = created.name.rsplit('/').next().unwrap();
        let elsewhere = format!("{}/purchases/{id}", b.name);
        let status = expect_code(s.purchases().get_purchase(pb::GetPurchaseRequest { name: elsewhere.clone() }).await, Code::NotFound);
        assert_eq!(status.get_details_resource_info().unwrap().resource_name, elsewhere);
        expect_code(s.purchases().delete_purchase(pb::DeletePurchaseRequest { name: elsewhere, ..Default::default() }).await, Code::NotFound);
        for bad in ["", &format!("purchases/{id}"), &format!("{}/purchases/42", a.name), &format!("customers/-/purchases/{id}")] {
            let status = expect_code(s.purchases().get_purchase(pb::GetPurchaseRequest { name: bad.to_owned() }).await, Code::InvalidArgument);
            assert_eq!(violated_fields(&status), ["name"], "{bad}");
        }
    }

    async fn lists_read_one_customer_or_every_customer_with_a_dash(s) {
        let a = create_customer(&s, customer("A")).await;
        let b = create_customer(&s, customer("B")).await;
        for (parent, sku, hour) in [(&a, "A1", 1), (&b, "B1", 2), (&a, "A2", 3), (&b, "B2", 4)] {
            record(&s, &parent.name, purchase(sku, 10, hour)).await;
        }
        assert_eq!(skus(&all_pages(&s, list(&a.name)).await), ["A2", "A1"], "latest purchase first");
        assert_eq!(skus(&all_pages(&s, list(&b.name)).await), ["B2", "B1"]);
        assert_eq!(skus(&all_pages(&s, list("customers/-")).await), ["B2", "A2", "B1", "A1"]);
        let missing = format!("customers/{MISSING}");
        assert!(all_pages(&s, list(&missing)).await.is_empty(), "a list under a customer with no purchases is empty");
        for bad in ["", "customers", "channels/-", "customers/42", "customers/-/purchases"] {
            let status = expect_code(s.purchases().list_purchases(list(bad)).await, Code::InvalidArgument);
            assert_eq!(violated_fields(&status), ["parent"], "{bad}");
        }
    }

    async fn a_page_token_is_bound_to_the_parent_it_was_issued_for(s) {
        let a = create_customer(&s, customer("A")).await;
        let b = create_customer(&s, customer("B")).await;
        for hour in 0..3 {
            record(&s, &a.name, purchase("A", 10, hour)).await;
            record(&s, &b.name, purchase("B", 10, hour)).await;
        }
        let first = s.purchases().list_purchases(pb::ListPurchasesRequest { page_size: 2, ..list(&a.name) }).await.unwrap().into_inner();
        assert!(!first.next_page_token.is_empty());
        for other in [b.name.as_str(), "customers/-"] {
            let status = expect_code(
                s.purchases().list_purchases(pb::ListPurchasesRequest { page_size: 2, page_token: first.next_page_token.clone(), ..list(other) }).await,
                Code::InvalidArgument,
            );
            assert_eq!(violated_fields(&status), ["page_token"], "{other}");
        }
        let rest = s.purchases().list_purchases(pb::ListPurchasesRequest { page_size: 2, page_token: first.next_page_token, ..list(&a.name) }).await.unwrap().into_inner();
        assert_eq!(skus(&rest.purchases), ["A"], "the same parent takes its token");
    }

    async fn a_purchase_under_a_deleted_customer_is_refused_and_nothing_is_written(s) {
        let gone = create_customer(&s, customer("Gone")).await;
        s.customers().delete_customer(pb::DeleteCustomerRequest { name: gone.name.clone(), ..Default::default() }).await.unwrap();
        let status = expect_code(
            s.purchases().create_purchase(pb::CreatePurchaseRequest { parent: gone.name.clone(), purchase: Some(purchase("X", 1, 1)), request_id: String::new() }).await,
            Code::FailedPrecondition,
        );
        assert_eq!(reason(&status), "PARENT_DELETED");
        assert_eq!(status.get_details_precondition_failure().unwrap().violations[0].subject, gone.name);
        let everything = pb::ListPurchasesRequest { show_deleted: true, ..list("customers/-") };
        assert!(all_pages(&s, everything).await.is_empty(), "no purchase was written");
        assert!(all_events(&s, "resource_type = purchase").await.is_empty(), "no event was written");

        s.customers().undelete_customer(pb::UndeleteCustomerRequest { name: gone.name.clone(), request_id: String::new() }).await.unwrap();
        record(&s, &gone.name, purchase("X", 1, 1)).await;
    }

    async fn a_purchase_under_a_missing_customer_is_not_found(s) {
        let missing = format!("customers/{MISSING}");
        let status = expect_code(
            s.purchases().create_purchase(pb::CreatePurchaseRequest { parent: missing.clone(), purchase: Some(purchase("X", 1, 1)), request_id: String::new() }).await,
            Code::NotFound,
        );
        assert_eq!(status.get_details_resource_info().unwrap().resource_name, missing);
        assert!(all_pages(&s, list("customers/-")).await.is_empty());
    }

    async fn every_bad_field_of_a_create_is_named_at_once(s) {
        let bad = pb::Purchase {
            product: Some(pb::Product { sku: " ".into(), name: "x".repeat(201) }),
            quantity: -2,
            amount: money("usd", -5, 0),
            purchase_time: at(chrono::Utc::now().timestamp() + 3600),
            channel: "channel/1".into(),
            reason: 9,
            kind: 0,
            labels: [("Bad Key".to_owned(), "v".to_owned())].into(),
            ..Default::default()
        };
        let status = expect_code(
            s.purchases().create_purchase(pb::CreatePurchaseRequest { parent: "customers/42".into(), purchase: Some(bad), request_id: "nope".into() }).await,
            Code::InvalidArgument,
        );
        assert_eq!(reason(&status), "INVALID_ARGUMENT");
        assert_eq!(violated_fields(&status), [
            "request_id",
            "parent",
            "purchase.product.sku",
            "purchase.product.name",
            "purchase.quantity",
            "purchase.amount.currency_code",
            "purchase.amount",
            "purchase.purchase_time",
            "purchase.channel",
            "purchase.reason",
            "purchase.kind",
            "purchase.labels[\"Bad Key\"]",
        ]);

        let customer = create_customer(&s, customer("Strict")).await;
        let mut sign = purchase("X", 1, 1);
        sign.amount = money("EUR", 1, -5);
        sign.quantity = 0;
        sign.purchase_time = None;
        let status = expect_code(
            s.purchases().create_purchase(pb::CreatePurchaseRequest { parent: customer.name.clone(), purchase: Some(sign), request_id: String::new() }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["purchase.quantity", "purchase.amount.nanos", "purchase.purchase_time"]);
        let empty = expect_code(
            s.purchases().create_purchase(pb::CreatePurchaseRequest { parent: customer.name.clone(), purchase: Some(pb::Purchase::default()), request_id: String::new() }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&empty), ["purchase.product.sku", "purchase.quantity", "purchase.amount.currency_code", "purchase.purchase_time", "purchase.kind"]);
        for parent in ["", "customers/-"] {
            let status = expect_code(
                s.purchases().create_purchase(pb::CreatePurchaseRequest { parent: parent.into(), purchase: Some(purchase("X", 1, 1)), request_id: String::new() }).await,
                Code::InvalidArgument,
            );
            assert_eq!(violated_fields(&status), ["parent"], "{parent:?}");
        }
        assert!(all_pages(&s, list("customers/-")).await.is_empty(), "nothing was written");
    }

    async fn a_purchase_time_may_run_ahead_of_the_clock_by_the_skew_only(s) {
        let customer = create_customer(&s, customer("Skewed")).await;
        let now = s.services.clock.now().micros() / 1_000_000;
        let mut soon = purchase("X", 1, 0);
        soon.purchase_time = at(now + 60);
        record(&s, &customer.name, soon).await;
        let mut later = purchase("X", 1, 0);
        later.purchase_time = at(now + 600);
        let status = expect_code(
            s.purchases().create_purchase(pb::CreatePurchaseRequest { parent: customer.name.clone(), purchase: Some(later.clone()), request_id: String::new() }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violations(&status), [("purchase.purchase_time".to_owned(), "must not be in the future".to_owned())]);
        s.services.clock.advance(std::time::Duration::from_secs(600));
        record(&s, &customer.name, later).await;
    }

    async fn a_channel_must_exist_and_be_live_when_it_is_written(s) {
        let customer = create_customer(&s, customer("Channelled")).await;
        let mut input = purchase("X", 1, 1);
        input.channel = format!("channels/{MISSING}");
        let status = expect_code(
            s.purchases().create_purchase(pb::CreatePurchaseRequest { parent: customer.name.clone(), purchase: Some(input.clone()), request_id: String::new() }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["purchase.channel"]);

        let shop = s.channels().create_channel(pb::CreateChannelRequest { channel: Some(channel("Shop")), request_id: String::new() }).await.unwrap().into_inner();
        input.channel = shop.name.clone();
        let created = record(&s, &customer.name, input.clone()).await;
        s.channels().delete_channel(pb::DeleteChannelRequest { name: shop.name.clone(), ..Default::default() }).await.unwrap();
        let status = expect_code(
            s.purchases().create_purchase(pb::CreatePurchaseRequest { parent: customer.name.clone(), purchase: Some(input), request_id: String::new() }).await,
            Code::FailedPrecondition,
        );
        assert_eq!(reason(&status), "REFERENCE_DELETED");
        // A purchase made through a channel closed since can still be corrected.
        let fix = pb::Purchase { name: created.name.clone(), quantity: 2, ..Default::default() };
        let fixed = s.purchases().update_purchase(pb::UpdatePurchaseRequest { purchase: Some(fix), update_mask: None, request_id: String::new() }).await.unwrap().into_inner();
        assert_eq!((fixed.quantity, fixed.channel), (2, shop.name));
        assert_eq!(all_pages(&s, list(&customer.name)).await.len(), 1);
    }

    async fn a_correction_changes_the_masked_fields_and_the_events_keep_the_history(s) {
        let customer = create_customer(&s, customer("Corrected")).await;
        let mut input = purchase("GX-200", 100, 1);
        input.amount = money("CNY", 100, 250_000_000);
        let created = record(&s, &customer.name, input).await;
        let change = pb::Purchase {
            name: created.name.clone(),
            quantity: 4,
            amount: money("CNY", 80, 500_000_000),
            product: Some(pb::Product { sku: "ignored".into(), name: String::new() }),
            etag: created.etag.clone(),
            ..Default::default()
        };
        let updated = s.purchases().update_purchase(pb::UpdatePurchaseRequest {
            purchase: Some(change),
            update_mask: Some(FieldMask { paths: vec!["quantity".into(), "amount".into()] }),
            request_id: String::new(),
        }).await.unwrap().into_inner();
        assert_eq!(updated.quantity, 4);
        assert_eq!(updated.amount, money("CNY", 80, 500_000_000));
        assert_eq!(updated.product, created.product, "product was not in the mask");
        assert_eq!(updated.etag, "\"2\"");

        // Without a mask only the fields sent change, and an amount is
        // replaced whole: nanos left at 0 (and so not sent) clear the old ones.
        let refund = pb::Purchase { name: created.name.clone(), kind: Kind::Return as i32, amount: money("CNY", 70, 0), ..Default::default() };
        let returned = s.purchases().update_purchase(pb::UpdatePurchaseRequest { purchase: Some(refund), update_mask: None, request_id: String::new() })
            .await.unwrap().into_inner();
        assert_eq!((returned.kind, returned.quantity), (Kind::Return as i32, 4));
        assert_eq!(returned.amount, money("CNY", 70, 0), "the amount is replaced whole, nanos included");

        let history = all_events(&s, &format!("resource = \"{}\"", created.name)).await;
        let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["created", "updated", "updated"]);
        assert_eq!(history[1].changed_fields, ["quantity", "amount"]);
        assert_eq!(history[2].changed_fields, ["amount", "kind"]);
        let snapshots: Vec<_> = history.into_iter().map(|e| e.resource_snapshot).collect();
        assert_eq!(snapshots, [created, updated, returned].map(|p| Some(ResourceSnapshot::Purchase(p))));
    }

    async fn update_refuses_output_only_unknown_and_partial_value_paths(s) {
        let customer = create_customer(&s, customer("Masked")).await;
        let created = record(&s, &customer.name, purchase("X", 1, 1)).await;
        let status = expect_code(
            s.purchases().update_purchase(pb::UpdatePurchaseRequest {
                purchase: Some(pb::Purchase { name: created.name.clone(), ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["create_time".into(), "colour".into(), "amount.units".into(), "purchase_time.seconds".into()] }),
                request_id: String::new(),
            }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violations(&status).len(), 4, "{:?}", violations(&status));
        let status = expect_code(
            s.purchases().update_purchase(pb::UpdatePurchaseRequest {
                purchase: Some(pb::Purchase { name: created.name.clone(), quantity: -1, ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["quantity".into(), "amount".into()] }),
                request_id: String::new(),
            }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["purchase.quantity", "purchase.amount.currency_code"]);
        let fetched = s.purchases().get_purchase(pb::GetPurchaseRequest { name: created.name.clone() }).await.unwrap().into_inner();
        assert_eq!(fetched, created, "a refused correction changes nothing");
    }

    async fn a_deleted_purchase_is_hidden_until_it_is_undeleted(s) {
        let customer = create_customer(&s, customer("Deleting")).await;
        let kept = record(&s, &customer.name, purchase("KEPT", 1, 1)).await;
        let gone = record(&s, &customer.name, purchase("GONE", 1, 2)).await;
        let deleted = s.purchases().delete_purchase(pb::DeletePurchaseRequest { name: gone.name.clone(), etag: gone.etag.clone(), request_id: String::new() })
            .await.unwrap().into_inner();
        assert!(deleted.delete_time.is_some());
        assert_eq!(skus(&all_pages(&s, list(&customer.name)).await), ["KEPT"]);
        assert_eq!(skus(&all_pages(&s, pb::ListPurchasesRequest { show_deleted: true, ..list("customers/-") }).await), ["GONE", "KEPT"]);
        let status = expect_code(
            s.purchases().update_purchase(pb::UpdatePurchaseRequest { purchase: Some(pb::Purchase { name: gone.name.clone(), quantity: 2, ..Default::default() }), update_mask: None, request_id: String::new() }).await,
            Code::FailedPrecondition,
        );
        assert_eq!(reason(&status), "RESOURCE_DELETED");
        let restored = s.purchases().undelete_purchase(pb::UndeletePurchaseRequest { name: gone.name.clone(), request_id: String::new() }).await.unwrap().into_inner();
        assert!(restored.delete_time.is_none());
        assert_eq!(skus(&all_pages(&s, list(&customer.name)).await), ["GONE", "KEPT"]);
        let status = expect_code(s.purchases().delete_purchase(pb::DeletePurchaseRequest { name: kept.name, etag: "\"7\"".into(), request_id: String::new() }).await, Code::Aborted);
        assert_eq!(reason(&status), "ETAG_MISMATCH");
    }

    async fn a_retried_create_returns_the_first_purchase_and_records_nothing_more(s) {
        let buyer = create_customer(&s, customer("Retrying")).await;
        let request = pb::CreatePurchaseRequest { parent: buyer.name.clone(), purchase: Some(purchase("X", 1, 1)), request_id: uuid::Uuid::new_v4().to_string() };
        let first = s.purchases().create_purchase(request.clone()).await.unwrap().into_inner();
        let second = s.purchases().create_purchase(request.clone()).await.unwrap().into_inner();
        assert_eq!(first, second);
        assert_eq!(all_pages(&s, list(&buyer.name)).await.len(), 1);
        let other = create_customer(&s, customer("Other")).await;
        let status = expect_code(
            s.purchases().create_purchase(pb::CreatePurchaseRequest { parent: other.name, ..request }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["request_id"], "the same id under another parent is another request");
    }

    async fn filters_select_by_time_product_channel_amount_and_kind(s) {
        let customer = create_customer(&s, customer("Filtered")).await;
        let shop = s.channels().create_channel(pb::CreateChannelRequest { channel: Some(channel("Shop")), request_id: String::new() }).await.unwrap().into_inner();
        let mut a = purchase("GX-200", 50, 1);
        a.channel = shop.name.clone();
        let mut b = purchase("GX-300", 150, 2);
        b.product = Some(pb::Product { sku: "GX-300".into(), name: "Große Zähler".into() });
        let mut c = purchase("HB-1", 150, 3);
        c.amount = money("EUR", 150, 0);
        c.kind = Kind::Return as i32;
        for p in [a, b, c] {
            record(&s, &customer.name, p).await;
        }
        let found = |filter: String| {
            let s = s.clone();
            async move { skus(&all_pages(&s, pb::ListPurchasesRequest { filter, ..list("customers/-") }).await) }
        };
        assert_eq!(found(format!("channel = \"{}\"", shop.name)).await, ["GX-200"]);
        assert_eq!(found("amount.currency_code = \"CNY\" AND amount.units >= 100".into()).await, ["GX-300"]);
        assert_eq!(found("kind = RETURN".into()).await, ["HB-1"]);
        assert_eq!(found("product.sku = \"GX*\"".into()).await, ["GX-300", "GX-200"]);
        assert_eq!(found("product.name : \"GROSSE\"".into()).await, Vec::<String>::new(), "folding is per character: ß is not ss");
        assert_eq!(found("product.name : \"ZÄHLER\"".into()).await, ["GX-300"]);
        let time = chrono::DateTime::from_timestamp(NEW_YEAR + 2 * 3600, 0).unwrap().to_rfc3339();
        assert_eq!(found(format!("purchase_time >= \"{time}\"")).await, ["HB-1", "GX-300"]);
        let status = expect_code(
            s.purchases().list_purchases(pb::ListPurchasesRequest { filter: "channel : \"shop\" AND colour = red".into(), order_by: "product.sku".into(), ..list("customers/-") }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["filter", "order_by"]);
    }

    async fn pages_follow_the_order_by_amount_and_time_across_customers(s) {
        let a = create_customer(&s, customer("A")).await;
        let b = create_customer(&s, customer("B")).await;
        // Amounts with ties in units broken by nanos, and exact ties broken by id.
        let amounts = [(5, 0), (5, 500_000_000), (0, 750_000_000), (12, 0), (5, 0), (100, 1), (0, 0), (12, 0), (7, 999_999_999), (5, 500_000_000), (1, 0), (30, 0)];
        let mut recorded = Vec::new();
        for (i, (units, nanos)) in amounts.into_iter().enumerate() {
            let mut p = purchase(&format!("P{i:02}"), units, (i as i64 * 7) % 12);
            p.amount = money("CNY", units, nanos);
            let parent = if i % 2 == 0 { &a } else { &b };
            recorded.push(record(&s, &parent.name, p).await);
        }
        let value = |p: &pb::Purchase| { let m = p.amount.clone().unwrap(); i128::from(m.units) * 1_000_000_000 + i128::from(m.nanos) };
        let time = |p: &pb::Purchase| p.purchase_time.unwrap().seconds;
        let id = |p: &pb::Purchase| p.name.rsplit('/').next().unwrap().to_owned();
        for (order_by, descending) in [("amount", false), ("amount desc", true), ("", true), ("purchase_time", false)] {
            let mut expected = recorded.clone();
            expected.sort_by(|x, y| {
                let key = if order_by.starts_with("amount") { value(x).cmp(&value(y)) } else { time(x).cmp(&time(y)) };
                let order = key.then_with(|| id(x).cmp(&id(y)));
                if descending { order.reverse() } else { order }
            });
            let request = pb::ListPurchasesRequest { order_by: order_by.into(), page_size: 5, ..list("customers/-") };
            assert_eq!(skus(&all_pages(&s, request).await), skus(&expected), "order_by {order_by:?}");
            let within: Vec<_> = expected.iter().filter(|p| p.name.starts_with(&a.name)).cloned().collect();
            let request = pb::ListPurchasesRequest { order_by: order_by.into(), page_size: 2, ..list(&a.name) };
            assert_eq!(skus(&all_pages(&s, request).await), skus(&within), "order_by {order_by:?} within one customer");
        }
        let filtered = pb::ListPurchasesRequest { order_by: "amount desc".into(), page_size: 2, filter: "amount.units >= 5 AND amount.units < 30".into(), ..list("customers/-") };
        let values: Vec<i128> = all_pages(&s, filtered).await.iter().map(value).collect();
        assert_eq!(values.len(), 7);
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    }

    async fn a_batch_records_every_purchase_or_none(s) {
        let a = create_customer(&s, customer("A")).await;
        let b = create_customer(&s, customer("B")).await;
        let row = |parent: &str, p: pb::Purchase| pb::CreatePurchaseRequest { parent: parent.into(), purchase: Some(p), request_id: String::new() };
        let request = pb::BatchCreatePurchasesRequest {
            parent: "customers/-".into(),
            requests: vec![row(&a.name, purchase("A1", 1, 1)), row(&b.name, purchase("B1", 2, 2)), row(&a.name, purchase("A2", 3, 3))],
            request_id: uuid::Uuid::new_v4().to_string(),
        };
        let created = s.purchases().batch_create_purchases(request.clone()).await.unwrap().into_inner().purchases;
        assert_eq!(skus(&created), ["A1", "B1", "A2"]);
        assert!(created[1].name.starts_with(&b.name));
        let again = s.purchases().batch_create_purchases(request).await.unwrap().into_inner().purchases;
        assert_eq!(again, created, "a retried batch returns the first result");
        assert_eq!(all_pages(&s, list("customers/-")).await.len(), 3);
        assert_eq!(all_events(&s, "resource_type = purchase").await.len(), 3);

        let mut bad_currency = purchase("X", 1, 1);
        bad_currency.amount = money("eur", 1, 0);
        let mut bad_quantity = purchase("Y", 1, 1);
        bad_quantity.quantity = 0;
        let status = expect_code(
            s.purchases().batch_create_purchases(pb::BatchCreatePurchasesRequest {
                parent: a.name.clone(),
                requests: vec![row("", purchase("OK", 1, 1)), row("", bad_currency), row(&b.name, purchase("Z", 1, 1)), row("", bad_quantity), pb::CreatePurchaseRequest::default()],
                request_id: String::new(),
            }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), [
            "requests[2].parent",
            "requests[1].purchase.amount.currency_code",
            "requests[3].purchase.quantity",
            "requests[4].purchase",
        ]);

        let gone = create_customer(&s, customer("Gone")).await;
        s.customers().delete_customer(pb::DeleteCustomerRequest { name: gone.name.clone(), ..Default::default() }).await.unwrap();
        let status = expect_code(
            s.purchases().batch_create_purchases(pb::BatchCreatePurchasesRequest {
                parent: "customers/-".into(),
                requests: vec![row(&a.name, purchase("NEVER", 1, 1)), row(&gone.name, purchase("NEVER", 1, 1))],
                request_id: String::new(),
            }).await,
            Code::FailedPrecondition,
        );
        assert_eq!(reason(&status), "PARENT_DELETED");
        let mut missing_channel = purchase("NEVER", 1, 1);
        missing_channel.channel = format!("channels/{MISSING}");
        let status = expect_code(
            s.purchases().batch_create_purchases(pb::BatchCreatePurchasesRequest {
                parent: a.name.clone(),
                requests: vec![row("", purchase("NEVER", 1, 1)), row("", missing_channel)],
                request_id: String::new(),
            }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["requests[1].purchase.channel"]);
        assert_eq!(all_pages(&s, list("customers/-")).await.len(), 3, "a refused batch writes nothing");

        let too_many = pb::BatchCreatePurchasesRequest { parent: a.name.clone(), requests: vec![row("", purchase("X", 1, 1)); 1001], request_id: String::new() };
        let status = expect_code(s.purchases().batch_create_purchases(too_many).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["requests"]);
        let full = pb::BatchCreatePurchasesRequest { parent: b.name.clone(), requests: vec![row("", purchase("BULK", 1, 1)); 1000], request_id: String::new() };
        assert_eq!(s.purchases().batch_create_purchases(full).await.unwrap().into_inner().purchases.len(), 1000);
    }
}
