//! What every List method shares, exercised on customers: keyset paging,
//! page size rules, AIP-160 filters, ordering, and page tokens bound to the
//! request they were issued for.

use crm::pb::{self, customer::Tier};
use tonic::Code;

use crate::support::*;

fn list(
    filter: &str,
    order_by: &str,
    page_size: i32,
    page_token: &str,
) -> pb::ListCustomersRequest {
    pb::ListCustomersRequest {
        filter: filter.into(),
        order_by: order_by.into(),
        page_size,
        page_token: page_token.into(),
        show_deleted: false,
    }
}

/// Reads every page; returns the display names in order and the page count.
async fn all_pages(
    s: &TestServer,
    filter: &str,
    order_by: &str,
    page_size: i32,
) -> (Vec<String>, usize) {
    let (mut names, mut pages, mut token) = (Vec::new(), 0, String::new());
    loop {
        let page = s
            .customers()
            .list_customers(list(filter, order_by, page_size, &token))
            .await
            .unwrap()
            .into_inner();
        assert!(page.customers.len() <= page_size as usize);
        pages += 1;
        names.extend(page.customers.into_iter().map(|c| c.display_name));
        if page.next_page_token.is_empty() {
            return (names, pages);
        }
        token = page.next_page_token;
    }
}

/// (display name, tier, sales region, labels)
type Seed<'a> = (&'a str, Tier, &'a str, &'a [(&'a str, &'a str)]);

async fn seed(s: &TestServer, rows: &[Seed<'_>]) {
    for (name, tier, region, labels) in rows {
        let mut c = customer(name);
        c.tier = *tier as i32;
        c.geography = Some(pb::Geography {
            sales_region: (*region).into(),
            ..Default::default()
        });
        c.labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        create_customer(s, c).await;
    }
}

db_tests! {
    async fn paging_returns_every_customer_once_newest_first(s) {
        let mut created = Vec::new();
        for i in 0..23 {
            created.push(create_customer(&s, customer(&format!("Customer {i:02}"))).await.display_name);
        }
        let (names, pages) = all_pages(&s, "", "", 5).await;
        created.reverse();
        assert_eq!(names, created);
        assert_eq!(pages, 5);
    }

    async fn paging_through_ties_uses_the_id_to_keep_order_stable(s) {
        for i in 0..9 {
            create_customer(&s, customer(if i % 2 == 0 { "Same" } else { "Other" })).await;
        }
        let (names, _) = all_pages(&s, "", "display_name", 2).await;
        assert_eq!(names, [vec!["Other"; 4], vec!["Same"; 5]].concat());
        let (names, _) = all_pages(&s, "", "display_name desc", 4).await;
        assert_eq!(names, [vec!["Same"; 5], vec!["Other"; 4]].concat());
    }

    async fn page_size_zero_means_fifty_and_negative_is_refused(s) {
        for i in 0..51 {
            create_customer(&s, customer(&format!("C{i}"))).await;
        }
        let page = s.customers().list_customers(list("", "", 0, "")).await.unwrap().into_inner();
        assert_eq!(page.customers.len(), 50);
        assert!(!page.next_page_token.is_empty());
        let page = s.customers().list_customers(list("", "", 5000, "")).await.unwrap().into_inner();
        assert_eq!(page.customers.len(), 51, "an oversized page is lowered, not refused");
        assert!(page.next_page_token.is_empty());
        let status = expect_code(s.customers().list_customers(list("", "", -1, "")).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), vec!["page_size"]);
    }

    async fn a_page_token_only_works_with_the_request_it_came_from(s) {
        for i in 0..3 {
            create_customer(&s, customer(&format!("C{i}"))).await;
        }
        let first = s.customers().list_customers(list("tier != KEY", "", 1, "")).await.unwrap().into_inner();
        assert!(!first.next_page_token.is_empty());
        for (filter, order_by, token) in [
            ("tier = KEY", "", first.next_page_token.as_str()),
            ("tier != KEY", "display_name", first.next_page_token.as_str()),
            ("tier != KEY", "", "garbage"),
        ] {
            let status = expect_code(s.customers().list_customers(list(filter, order_by, 1, token)).await, Code::InvalidArgument);
            assert_eq!(violated_fields(&status), vec!["page_token"]);
        }
        let mut other = list("tier != KEY", "", 1, &first.next_page_token);
        other.show_deleted = true;
        expect_code(s.customers().list_customers(other).await, Code::InvalidArgument);
        let second = s.customers().list_customers(list("tier != KEY", "", 1, &first.next_page_token)).await.unwrap().into_inner();
        assert_eq!(second.customers.len(), 1);
        assert_ne!(second.customers[0].name, first.customers[0].name);
    }

    async fn filters_combine_fields_labels_and_boolean_operators(s) {
        seed(&s, &[
            ("Alpha Foods", Tier::Key, "EAST", &[("vip", "yes")]),
            ("Beta 50% Off", Tier::Key, "NORTH", &[("vip", "no")]),
            ("alphabet soup", Tier::General, "EAST", &[]),
            ("Gamma", Tier::Strategic, "SOUTH", &[("vip", "yes"), ("cost-center", "7")]),
        ]).await;
        let sorted = |filter: &str| {
            let s = s.clone();
            let filter = filter.to_owned();
            async move {
                let (mut names, _) = all_pages(&s, &filter, "", 2).await;
                names.sort();
                names
            }
        };
        assert_eq!(sorted("tier = KEY").await, ["Alpha Foods", "Beta 50% Off"]);
        assert_eq!(sorted("tier = KEY AND geography.sales_region = \"EAST\"").await, ["Alpha Foods"]);
        assert_eq!(sorted("tier = STRATEGIC OR geography.sales_region = NORTH").await, ["Beta 50% Off", "Gamma"]);
        assert_eq!(sorted("NOT tier = KEY").await, ["Gamma", "alphabet soup"]);
        assert_eq!(sorted("-tier = KEY").await, ["Gamma", "alphabet soup"]);
        assert_eq!(sorted("display_name = \"alpha*\"").await, ["Alpha Foods", "alphabet soup"], "prefix match ignores case");
        assert_eq!(sorted("display_name : \"50%\"").await, ["Beta 50% Off"], "wildcard characters match themselves");
        assert_eq!(sorted("display_name : \"%\" AND tier = GENERAL").await, Vec::<String>::new());
        assert_eq!(sorted("labels.vip = \"yes\"").await, ["Alpha Foods", "Gamma"]);
        assert_eq!(sorted("labels.vip != \"yes\"").await, ["Beta 50% Off", "alphabet soup"]);
        assert_eq!(sorted("labels.cost-center:*").await, ["Gamma"]);
        assert_eq!(sorted("labels:vip AND (tier = STRATEGIC OR geography.sales_region = NORTH)").await, ["Beta 50% Off", "Gamma"]);
    }

    async fn filters_on_time_compare_against_rfc3339_instants(s) {
        let before = create_customer(&s, customer("Before")).await;
        let cutoff = before.create_time.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        create_customer(&s, customer("After")).await;
        let instant = chrono::DateTime::from_timestamp(cutoff.seconds, cutoff.nanos as u32).unwrap();
        let filter = format!("create_time > \"{}\"", instant.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        let (names, _) = all_pages(&s, &filter, "", 10).await;
        assert_eq!(names, ["After"]);
        let filter = format!("create_time <= \"{}\"", instant.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        let (names, _) = all_pages(&s, &filter, "", 10).await;
        assert_eq!(names, ["Before"]);
    }

    async fn ordering_follows_order_by_across_pages(s) {
        seed(&s, &[
            ("Delta", Tier::General, "", &[]),
            ("Alpha", Tier::Potential, "", &[]),
            ("Charlie", Tier::Strategic, "", &[]),
            ("Bravo", Tier::Key, "", &[]),
        ]).await;
        assert_eq!(all_pages(&s, "", "display_name", 3).await.0, ["Alpha", "Bravo", "Charlie", "Delta"]);
        assert_eq!(all_pages(&s, "", "display_name desc", 3).await.0, ["Delta", "Charlie", "Bravo", "Alpha"]);
        assert_eq!(all_pages(&s, "", "tier", 1).await.0, ["Charlie", "Bravo", "Delta", "Alpha"], "tiers sort by rank");
        assert_eq!(all_pages(&s, "", "create_time", 3).await.0, ["Delta", "Alpha", "Charlie", "Bravo"]);
    }

    async fn unknown_filter_and_order_fields_are_refused_by_name(s) {
        let status = expect_code(s.customers().list_customers(list("colour = red", "shoe_size", -3, "")).await, Code::InvalidArgument);
        let found = violations(&status);
        assert_eq!(violated_fields(&status), vec!["filter", "order_by", "page_size"]);
        assert!(found[0].1.contains("colour"), "{found:?}");
        assert!(found[1].1.contains("shoe_size"), "{found:?}");
        for (filter, order_by, field) in [
            ("tier = GOLD", "", "filter"),
            ("tier = KEY AND", "", "filter"),
            ("(tier = KEY", "", "filter"),
            ("", "display_name, tier desc", "order_by"),
        ] {
            let status = expect_code(s.customers().list_customers(list(filter, order_by, 0, "")).await, Code::InvalidArgument);
            assert_eq!(violated_fields(&status), vec![field], "{filter:?} {order_by:?}");
        }
    }

    async fn text_matches_ignore_case_in_every_script_on_every_engine(s) {
        seed(&s, &[
            ("ÄPFEL GmbH", Tier::Key, "MÜNCHEN", &[]),
            ("Äpfelkorn", Tier::Key, "ΑΘΗΝΑ", &[]),
            ("Apfel AG", Tier::General, "EAST", &[]),
            ("ΟΔΟΣ Travel", Tier::General, "ΘΕΣΣΑΛΟΝΙΚΗ", &[]),
        ]).await;
        let sorted = |filter: &str| {
            let s = s.clone();
            let filter = filter.to_owned();
            async move {
                let (mut names, _) = all_pages(&s, &filter, "", 10).await;
                names.sort();
                names
            }
        };
        assert_eq!(sorted("display_name : \"äpfel\"").await, ["ÄPFEL GmbH", "Äpfelkorn"]);
        assert_eq!(sorted("display_name : \"ÄPFEL\"").await, ["ÄPFEL GmbH", "Äpfelkorn"]);
        assert_eq!(sorted("display_name = \"äpf*\"").await, ["ÄPFEL GmbH", "Äpfelkorn"], "prefix");
        assert_eq!(sorted("display_name : \"apfel\"").await, ["Apfel AG"], "Ä is not A");
        assert_eq!(sorted("geography.sales_region : \"münchen\"").await, ["ÄPFEL GmbH"]);
        assert_eq!(sorted("geography.sales_region : \"αθην\"").await, ["Äpfelkorn"]);
        // A final sigma matches a sigma inside a word and the other way round.
        assert_eq!(sorted("display_name : \"οδοσ\"").await, ["ΟΔΟΣ Travel"]);
        assert_eq!(sorted("geography.sales_region : \"θεςς\"").await, ["ΟΔΟΣ Travel"]);
        // Equality stays exact.
        assert_eq!(sorted("display_name = \"äpfel gmbh\"").await, Vec::<String>::new());
        assert_eq!(sorted("display_name = \"ÄPFEL GmbH\"").await, ["ÄPFEL GmbH"]);

        let mut hotline = channel("Beschwerde-Hotline");
        hotline.owning_department = "KUNDENDIENST ÜBERSEE".into();
        s.channels().create_channel(pb::CreateChannelRequest { channel: Some(hotline), request_id: String::new() }).await.unwrap();
        let found = s.channels().list_channels(pb::ListChannelsRequest { filter: "owning_department : \"übersee\"".into(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(found.channels.len(), 1, "channels fold their text too");
    }

    async fn text_sorts_by_bytes_on_every_engine(s) {
        for name in ["a", "Ä", "B", "b", "Z"] {
            create_customer(&s, customer(name)).await;
        }
        assert_eq!(all_pages(&s, "", "display_name", 2).await.0, ["B", "Z", "a", "b", "Ä"]);
        let (names, _) = all_pages(&s, "display_name < \"a\"", "display_name", 10).await;
        assert_eq!(names, ["B", "Z"]);
    }
}

/// Rows written before the folded columns existed are folded by the
/// migration that adds them.
#[tokio::test]
async fn the_migration_folds_rows_written_before_it() {
    after_rerunning_migration(
        "m20261203_000006_folded_text",
        &[
            "ALTER TABLE customers DROP COLUMN display_name_folded",
            "ALTER TABLE customers DROP COLUMN country_folded",
            "ALTER TABLE customers DROP COLUMN province_folded",
            "ALTER TABLE customers DROP COLUMN city_folded",
            "ALTER TABLE customers DROP COLUMN sales_region_folded",
            "ALTER TABLE customers DROP COLUMN age_band_folded",
            "ALTER TABLE customers DROP COLUMN income_band_folded",
            "ALTER TABLE customers DROP COLUMN occupation_folded",
            "ALTER TABLE customers DROP COLUMN education_folded",
            "ALTER TABLE channels DROP COLUMN display_name_folded",
            "ALTER TABLE channels DROP COLUMN owning_department_folded",
        ],
        async |s| {
            create_customer(s, customer("ÄPFEL GmbH")).await;
        },
        async |s, url| {
            let (names, _) = all_pages(s, "display_name : \"äpfel\"", "", 10).await;
            assert_eq!(names, ["ÄPFEL GmbH"], "on {url}");
        },
    )
    .await;
}
