//! Figures for the service as callers see it: a real server on port 0 with
//! a real database, called through the generated client. Prints throughput
//! and latency percentiles; asserts nothing about speed.
//!
//!     cargo bench --bench api                          # SQLite (synchronous=FULL)
//!     CRM_BENCH_POSTGRES_URL=postgres://... cargo bench --bench api
//!     CRM_BENCH_ROWS=50000 cargo bench --bench api     # size of the seeded table

use std::time::{Duration, Instant};

use crm::app::Application;
use crm::pb::{
    self, customer_service_client::CustomerServiceClient, event_service_client::EventServiceClient,
};
use crm::settings::Settings;
use sea_orm::{ConnectionTrait, Database};
use tokio_stream::StreamExt;
use tonic::transport::Channel;

mod common;

const CLIENTS: usize = 8;

fn customer(i: usize) -> pb::Customer {
    pb::Customer {
        display_name: format!("Bench customer {i:07}"),
        kind: pb::customer::Kind::Organisation as i32,
        tier: (i % 4 + 1) as i32,
        labels: [("batch".to_owned(), (i % 10).to_string())].into(),
        ..Default::default()
    }
}

fn report(what: &str, mut samples: Vec<Duration>, wall: Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    println!(
        "{what:<44} {:>7} calls {:>9.0}/s   p50 {:>8.2?}   p99 {:>8.2?}   max {:>8.2?}",
        samples.len(),
        samples.len() as f64 / wall.as_secs_f64(),
        at(0.5),
        at(0.99),
        samples[samples.len() - 1],
    );
}

/// Runs `calls` calls of `f` from CLIENTS concurrent clients; returns latencies and wall time.
async fn run<F, Fut>(calls: usize, channel: &Channel, f: F) -> (Vec<Duration>, Duration)
where
    F: Fn(CustomerServiceClient<Channel>, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let start = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (client, f) = (CustomerServiceClient::new(channel.clone()), f.clone());
            tokio::spawn(async move {
                let mut samples = Vec::new();
                for i in (c..calls).step_by(CLIENTS) {
                    let t = Instant::now();
                    f(client.clone(), i).await;
                    samples.push(t.elapsed());
                }
                samples
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(calls);
    for task in tasks {
        samples.extend(task.await.expect("bench task"));
    }
    (samples, start.elapsed())
}

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("CRM_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().expect("temporary directory");
    let postgres = std::env::var("CRM_BENCH_POSTGRES_URL").ok();
    let bench_db = format!("crm_bench_{}", uuid::Uuid::now_v7().simple());
    let (url, engine) = match &postgres {
        Some(admin) => (
            common::create_postgres_database(admin, &bench_db).await,
            "PostgreSQL",
        ),
        None => (
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            ),
            "SQLite (synchronous=FULL)",
        ),
    };
    let app = Application::build(Settings::for_database(url))
        .await
        .expect("application builds");
    let addr = app.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_lazy();
    println!(
        "crm bench: {engine}, {rows} customers, {CLIENTS} concurrent clients, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let (samples, wall) = run(rows, &channel, |mut client, i| async move {
        client
            .create_customer(pb::CreateCustomerRequest {
                customer: Some(customer(i)),
                request_id: String::new(),
            })
            .await
            .expect("create");
    })
    .await;
    report(
        "CreateCustomer (commit + label index + event)",
        samples,
        wall,
    );

    let names: Vec<String> = {
        let mut client = CustomerServiceClient::new(channel.clone());
        let page = client
            .list_customers(pb::ListCustomersRequest {
                page_size: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        page.customers.into_iter().map(|c| c.name).collect()
    };
    let shared = std::sync::Arc::new(names);
    let (samples, wall) = run(5_000, &channel, move |mut client, i| {
        let names = shared.clone();
        async move {
            client
                .get_customer(pb::GetCustomerRequest {
                    name: names[i % names.len()].clone(),
                })
                .await
                .expect("get");
        }
    })
    .await;
    report("GetCustomer", samples, wall);

    let (samples, wall) = run(2_000, &channel, |mut client, _| async move {
        let request = pb::ListCustomersRequest {
            filter: "tier = KEY AND labels.batch = \"3\"".into(),
            page_size: 50,
            ..Default::default()
        };
        client.list_customers(request).await.expect("list");
    })
    .await;
    report("ListCustomers, filter tier + label, 50/page", samples, wall);

    // Walk every page of 100: the first pages against the last ones.
    let mut client = CustomerServiceClient::new(channel.clone());
    let (mut token, mut times) = (String::new(), Vec::new());
    let start = Instant::now();
    loop {
        let t = Instant::now();
        let page = client
            .list_customers(pb::ListCustomersRequest {
                page_size: 100,
                page_token: token,
                order_by: "display_name".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        times.push(t.elapsed());
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let wall = start.elapsed();
    let tenth = (times.len() / 10).max(1);
    report(
        "ListCustomers by display_name, first 10% pages",
        times[..tenth].to_vec(),
        wall,
    );
    report(
        "ListCustomers by display_name, last 10% pages",
        times[times.len() - tenth..].to_vec(),
        wall,
    );

    let mut events = EventServiceClient::new(channel.clone());
    let start = Instant::now();
    let mut stream = events
        .stream_events(pb::StreamEventsRequest {
            position: Some(pb::stream_events_request::Position::Oldest(())),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut read = 0;
    while read < rows {
        stream.next().await.expect("open").expect("event");
        read += 1;
    }
    let wall = start.elapsed();
    println!(
        "{:<44} {read:>7} events {:>8.0}/s",
        "StreamEvents replay from the oldest",
        read as f64 / wall.as_secs_f64()
    );

    let _ = stop.send(());
    server.await.expect("server task").expect("server stops");
    if let Some(admin) = postgres {
        let db = Database::connect(&admin)
            .await
            .expect("PostgreSQL reachable");
        db.execute_unprepared(&format!("DROP DATABASE {bench_db} WITH (FORCE)"))
            .await
            .expect("drop database");
    }
}
