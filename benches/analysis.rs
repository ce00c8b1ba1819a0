//! AnalyzeComplaints over 1,000,000 complaints beside hand-written SQL that
//! computes the same figures over the same tables in the same run (issue
//! 10: at most 2x it, and the process under 150 MiB of resident memory).
//! Prints both times, their ratio and the peak RSS beside those limits;
//! asserts nothing on speed, but asserts that the SQL's figures equal the
//! service's answer, as a cross-check of both.
//!
//!     cargo bench --bench analysis                            # SQLite
//!     CRM_BENCH_POSTGRES_URL=postgres://... cargo bench --bench analysis
//!     CRM_BENCH_COMPLAINTS=100000 cargo bench --bench analysis  # the size
//!     CRM_BENCH_ROUNDS=5 cargo bench --bench analysis         # runs timed
//!
//! The data is generated once and reused: on SQLite the file
//! `${CRM_BENCH_DATA:-$HOME/.cache/crm-bench}/analysis-{size}.db`, on
//! PostgreSQL the database `crm_bench_analysis_{size}` beside the one the
//! URL names. It is reused when its table `bench_analysis` names this
//! generator's version and the size, and the complaints table holds that
//! many rows; otherwise it is made again (delete it to force that).
//!
//! The data: 36 template complaints go through the API on a real server
//! (one service-level policy for MEDIUM, HIGH and CRITICAL: first response
//! 1 h, resolution 8 h, callback 4 h, around the clock; LOW complaints have
//! none): 12 courses (untouched; contacted; triaged invalid; in progress;
//! waiting on the customer; resolved and satisfied; reopened and resolved
//! again; three unreachable callbacks and closed; withdrawn; reopened then
//! satisfied; resolved awaiting the callback; contacted then withdrawn),
//! each received 20 minutes, 5 hours and 3 days before the generation, from
//! four customers (tiers, regions) and two channels; one sweep records
//! their warnings. The rest are copies of them made in SQL, row `i` of
//! template `i mod 36`, with per-row pseudo-random variation:
//! - received (and created, updated, due and next-warning) times moved back
//!   by up to 362 days, spread evenly (the last 30 days hold about a
//!   twelfth) and in about the order the rows are written, as a live
//!   system writes them (up to two days out of order);
//! - the category skewed for a Pareto chart (DELIVERY 30 %, PRODUCT_QUALITY
//!   22 %, BILLING 16 %, SERVICE_ATTITUDE 12 %, INSTALLATION_REPAIR 9 %,
//!   INFORMATION_ADVICE 6 %, OTHER 5 %); tier, relationship and value grade
//!   varied (10 % without a tier); root cause and product SKU varied where
//!   the template has one;
//! - first-response times 0.5x to 1.5x the template's and resolution times
//!   0.3x to 3x, plus up to a minute, so few values tie; business times 40
//!   to 100 % of them (where the template has a policy), and the on-time
//!   flags of first response and resolution recomputed against the targets.
//!
//! The copies' stored bodies and steps stay the templates' (the analysis
//! reads only columns). The service answers two requests grouped by
//! CATEGORY: the last 30 days (comparison: the 30 days before) and the
//! whole year (comparison: the year before, empty).
//!
//! The hand-written SQL reads the same columns under the same conditions:
//! one statement for every count (this period's groups, this period and
//! the comparison over all), and for the nearest-rank percentiles one of
//! three forms: one statement ranking all four series over both periods,
//! one per series over both, or one per series and period with the groups
//! and the whole ranked apart. Which is fastest depends on the engine, the
//! size and the indexes (fewer statements read the rows fewer times, more
//! of them sort less at a time), so all three run and the SQL's time is
//! the fastest one's. Rounds interleave the service and the forms; each
//! time is a median.
//!
//! The peak RSS is the process's VmHWM, started anew after generating: the
//! server runs in this process, so it is the server's memory (with
//! SQLite's, which runs inside it) and the SQL's side together.

use std::time::{Duration, Instant};

use crm::pb::{self, complaint_service_client::ComplaintServiceClient};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

mod common;
use common::{Server, copy_complaints, id_literal, seconds, timestamp};

/// Bump when the generated data changes, so old files are made again.
const GENERATOR: i64 = 2;
const LIMIT_RATIO: f64 = 2.0;
const LIMIT_RSS_MIB: f64 = 150.0;
const MINUTE: i64 = 60 * 1_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// How far back the copies' received times reach.
const SPREAD: i64 = 360 * DAY;
/// Rows per copying statement, one transaction each.
const CHUNK: u64 = 100_000;
/// The policy's targets, which the copies' on-time flags are recomputed by.
const FIRST_RESPONSE_TARGET: i64 = HOUR;
const RESOLUTION_TARGET: i64 = 8 * HOUR;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------- the data

/// The generated data set, ready to read.
struct Data {
    url: String,
    /// Generation time: the templates were received before it.
    anchor: i64,
    /// How long generating took; None when reused.
    generated: Option<Duration>,
}

async fn one_i64(db: &DatabaseConnection, sql: &str) -> Option<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .ok()??;
    row.try_get_by_index::<i64>(0).ok()
}

/// The anchor of an existing data set of `size` by this generator.
async fn reusable(url: &str, size: u64) -> Option<i64> {
    let db = Database::connect(url).await.ok()?;
    let generator = one_i64(&db, "SELECT generator FROM bench_analysis").await;
    let recorded = one_i64(&db, "SELECT complaints FROM bench_analysis").await;
    let anchor = one_i64(&db, "SELECT anchor FROM bench_analysis").await;
    let count = one_i64(&db, "SELECT COUNT(*) FROM complaints").await;
    db.close().await.ok();
    let size = Some(size as i64);
    (generator == Some(GENERATOR) && recorded == size && count == size)
        .then_some(anchor)
        .flatten()
}

/// The data set of `size` complaints: reused, or (re)made.
async fn prepare(size: u64) -> Data {
    let url = match std::env::var("CRM_BENCH_POSTGRES_URL") {
        Ok(admin) => {
            let name = format!("crm_bench_analysis_{size}");
            let url = common::postgres_url(&admin, &name);
            let server = Database::connect(&admin)
                .await
                .expect("PostgreSQL reachable");
            let exists = one_i64(
                &server,
                &format!("SELECT COUNT(*) FROM pg_database WHERE datname = '{name}'"),
            )
            .await
                == Some(1);
            if exists {
                if let Some(anchor) = reusable(&url, size).await {
                    return Data {
                        url,
                        anchor,
                        generated: None,
                    };
                }
                server
                    .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                    .await
                    .expect("drop the old data set");
            }
            server.close().await.ok();
            common::create_postgres_database(&admin, &name).await
        }
        Err(_) => {
            let dir = std::env::var("CRM_BENCH_DATA").map_or_else(
                |_| {
                    std::path::PathBuf::from(std::env::var("HOME").expect("HOME"))
                        .join(".cache/crm-bench")
                },
                std::path::PathBuf::from,
            );
            std::fs::create_dir_all(&dir).expect("data directory");
            let path = dir.join(format!("analysis-{size}.db"));
            let url = format!("sqlite://{}?mode=rwc", path.display());
            if path.exists() {
                if let Some(anchor) = reusable(&url, size).await {
                    return Data {
                        url,
                        anchor,
                        generated: None,
                    };
                }
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            url
        }
    };
    let start = Instant::now();
    let anchor = generate(&url, size).await;
    Data {
        url,
        anchor,
        generated: Some(start.elapsed()),
    }
}

/// The 36 templates through the API; returns their names.
async fn templates(channel: &Channel, anchor: i64) -> Vec<String> {
    use pb::complaint::{Category as K, Severity as S};
    pb::service_level_policy_service_client::ServiceLevelPolicyServiceClient::new(channel.clone())
        .create_service_level_policy(pb::CreateServiceLevelPolicyRequest {
            service_level_policy: Some(pb::ServiceLevelPolicy {
                display_name: "Standard".into(),
                priority: 1,
                severities: vec![S::Medium as i32, S::High as i32, S::Critical as i32],
                first_response_target: seconds(FIRST_RESPONSE_TARGET / 1_000_000),
                resolution_target: seconds(RESOLUTION_TARGET / 1_000_000),
                callback_target: seconds(4 * 3600),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("policy");
    use pb::customer::{Relationship as R, Tier as T, ValueGrade as V};
    let mut customers = Vec::new();
    for (i, (tier, relationship, grade, region)) in [
        (T::Strategic, R::Direct, V::A, "EAST"),
        (T::Key, R::Intermediate, V::B, "NORTH"),
        (T::General, R::End, V::C, "SOUTH"),
        (T::Potential, R::Direct, V::B, "WEST"),
    ]
    .into_iter()
    .enumerate()
    {
        let phone = format!("+86 138 0000 000{i}");
        let customer = common::create_customer(
            channel,
            pb::Customer {
                display_name: format!("Bench customer {i}"),
                kind: pb::customer::Kind::Organisation as i32,
                tier: tier as i32,
                relationship: relationship as i32,
                value_grade: grade as i32,
                geography: Some(pb::Geography {
                    country: "CN".into(),
                    sales_region: region.into(),
                    ..Default::default()
                }),
                contact_points: vec![pb::ContactPoint {
                    r#type: pb::contact_point::Type::Mobile as i32,
                    value: phone.clone(),
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
        .await;
        customers.push((customer, phone));
    }
    let channels = [
        common::create_channel(channel, "Hotline", pb::channel::Type::Hotline).await,
        common::create_channel(channel, "Email", pb::channel::Type::Email).await,
    ];
    let categories = [
        K::Delivery,
        K::ProductQuality,
        K::Billing,
        K::ServiceAttitude,
    ];
    let severities = [S::Low, S::Medium, S::High, S::Critical];
    let departments = ["Quality", "Logistics", "Finance"];
    let mut c = ComplaintServiceClient::new(channel.clone());
    let mut names = Vec::new();
    for course in 0..12 {
        for (a, ago) in [20 * MINUTE, 5 * HOUR, 3 * DAY].into_iter().enumerate() {
            let t = course * 3 + a;
            let (customer, phone) = &customers[t % 4];
            let intake = &channels[t % 2];
            let name = c
                .create_complaint(pb::CreateComplaintRequest {
                    complaint: Some(pb::Complaint {
                        customer: customer.name.clone(),
                        intake_channel: intake.name.clone(),
                        received_time: timestamp(anchor - ago),
                        category: categories[t % 4] as i32,
                        severity: severities[(course + a) % 4] as i32,
                        subject: format!("Bench template {t}"),
                        product: (t % 5 != 4).then(|| pb::Product {
                            sku: format!("SKU-{}", t % 5),
                            name: "Kettle".into(),
                        }),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .expect("template")
                .into_inner()
                .name;
            let step = Course {
                c: c.clone(),
                name: name.clone(),
                intake: intake.name.clone(),
                phone: phone.clone(),
                department: departments[t % 3],
            };
            step.run(course).await;
            names.push(name);
        }
    }
    names
}

/// One template's course through the transitions.
struct Course {
    c: ComplaintServiceClient<Channel>,
    name: String,
    intake: String,
    phone: String,
    department: &'static str,
}

impl Course {
    async fn run(mut self, course: usize) {
        use pb::CallbackOutcome as O;
        use pb::root_cause::Category as RC;
        match course {
            0 => {}
            1 => self.contact().await,
            2 => self.triage(false).await,
            3 => self.triage(true).await,
            4 => {
                self.triage(true).await;
                self.wait().await;
            }
            5 => {
                self.contact().await;
                self.triage(true).await;
                self.resolve(RC::Design).await;
                self.callback(O::CallbackSatisfied).await;
            }
            6 => {
                self.triage(true).await;
                self.resolve(RC::MaterialSupplier).await;
                self.callback(O::CallbackNotSatisfied).await;
                self.resolve(RC::Logistics).await;
            }
            7 => {
                self.triage(true).await;
                self.resolve(RC::Manufacturing).await;
                for _ in 0..3 {
                    self.callback(O::CallbackUnreachable).await;
                }
                self.c
                    .close_complaint(pb::CloseComplaintRequest {
                        name: self.name.clone(),
                        ..Default::default()
                    })
                    .await
                    .expect("close");
            }
            8 => self.withdraw().await,
            9 => {
                self.contact().await;
                self.triage(true).await;
                self.resolve(RC::Process).await;
                self.callback(O::CallbackNotSatisfied).await;
                self.resolve(RC::Process).await;
                self.callback(O::CallbackSatisfied).await;
            }
            10 => {
                self.triage(true).await;
                self.resolve(RC::StaffBehaviour).await;
            }
            _ => {
                self.contact().await;
                self.triage(true).await;
                self.withdraw().await;
            }
        }
    }

    async fn contact(&mut self) {
        self.c
            .record_customer_contact(pb::RecordCustomerContactRequest {
                name: self.name.clone(),
                channel: self.intake.clone(),
                direction: pb::ContactDirection::Outbound as i32,
                contact_point_type: pb::contact_point::Type::Mobile as i32,
                contact_point_value: self.phone.clone(),
                summary: "called".into(),
                ..Default::default()
            })
            .await
            .expect("contact");
    }

    async fn triage(&mut self, valid: bool) {
        let request = if valid {
            pb::TriageComplaintRequest {
                name: self.name.clone(),
                verdict: pb::validity::Verdict::Valid as i32,
                handling_department: self.department.into(),
                ..Default::default()
            }
        } else {
            pb::TriageComplaintRequest {
                name: self.name.clone(),
                verdict: pb::validity::Verdict::Invalid as i32,
                invalid_reason: pb::InvalidReason::Duplicate as i32,
                explanation: "already known".into(),
                ..Default::default()
            }
        };
        self.c.triage_complaint(request).await.expect("triage");
    }

    async fn wait(&mut self) {
        self.c
            .wait_on_customer(pb::WaitOnCustomerRequest {
                name: self.name.clone(),
                ..Default::default()
            })
            .await
            .expect("wait");
    }

    async fn resolve(&mut self, cause: pb::root_cause::Category) {
        self.c
            .resolve_complaint(pb::ResolveComplaintRequest {
                name: self.name.clone(),
                remedy: Some(pb::Remedy {
                    kind: pb::remedy::Kind::ExchangeReturn as i32,
                    ..Default::default()
                }),
                root_cause: Some(pb::RootCause {
                    category: cause as i32,
                    detail: "found".into(),
                }),
                ..Default::default()
            })
            .await
            .expect("resolve");
    }

    async fn callback(&mut self, outcome: pb::CallbackOutcome) {
        self.c
            .record_callback(pb::RecordCallbackRequest {
                name: self.name.clone(),
                outcome: outcome as i32,
                ..Default::default()
            })
            .await
            .expect("callback");
    }

    async fn withdraw(&mut self) {
        self.c
            .withdraw_complaint(pb::WithdrawComplaintRequest {
                name: self.name.clone(),
                ..Default::default()
            })
            .await
            .expect("withdraw");
    }
}

/// A pseudo-random number in [0, 1000003) for copy `n.i`, one per `seed`.
fn hash(seed: i64) -> String {
    const PRIMES: [i64; 12] = [
        7919, 104_729, 131_071, 224_737, 350_377, 479_909, 611_953, 746_773, 882_377, 999_983,
        12_553, 27_449,
    ];
    format!("((n.i * {}) % 1000003)", PRIMES[seed as usize])
}

/// The expression a copy takes for `column`, None to keep the template's.
/// Copy `i` of `copies` is moved back by (copies - i) / copies of the
/// spread and up to two days more: rows are written about in the order
/// they were received, as a live system writes them.
fn varied(copies: u64, column: &str) -> Option<String> {
    let offset = format!(
        "(({copies} - n.i) * {} + {} * {})",
        SPREAD / copies as i64,
        hash(0),
        2 * DAY / 1_000_003
    );
    let first_response = format!(
        "(c.first_response_wall * (50 + {} % 101) / 100 + {} % {MINUTE})",
        hash(1),
        hash(2)
    );
    let resolution = format!(
        "(c.resolution_wall * (30 + {} % 271) / 100 + {} % {MINUTE})",
        hash(3),
        hash(4)
    );
    let business = |wall: &str, template: &str, seed: i64| {
        format!(
            "(CASE WHEN c.{template} IS NULL THEN NULL ELSE {wall} * (40 + {} % 61) / 100 END)",
            hash(seed)
        )
    };
    let first_response_business = business(&first_response, "first_response_business", 5);
    let resolution_business = business(&resolution, "resolution_business", 6);
    Some(match column {
        "received_time"
        | "create_time"
        | "update_time"
        | "first_response_due_time"
        | "resolution_due_time"
        | "callback_due_time"
        | "next_warning_time" => format!("c.{column} - {offset}"),
        "first_response_wall" => first_response,
        "resolution_wall" => resolution,
        "first_response_business" => first_response_business,
        "resolution_business" => resolution_business,
        "first_response_on_time" => format!(
            "CASE WHEN c.first_response_reached = 1 AND {first_response_business} <= {FIRST_RESPONSE_TARGET} THEN 1 ELSE 0 END"
        ),
        "resolution_on_time" => format!(
            "CASE WHEN c.resolution_reached = 1 AND {resolution_business} <= {RESOLUTION_TARGET} THEN 1 ELSE 0 END"
        ),
        "category" => format!(
            "CASE WHEN {h} % 100 < 30 THEN 2 WHEN {h} % 100 < 52 THEN 1 WHEN {h} % 100 < 68 THEN 4 \
             WHEN {h} % 100 < 80 THEN 3 WHEN {h} % 100 < 89 THEN 5 WHEN {h} % 100 < 95 THEN 6 ELSE 7 END",
            h = hash(7)
        ),
        "customer_tier" => format!(
            "CASE WHEN {h} % 10 = 0 THEN 1 WHEN {h} % 10 < 3 THEN 2 WHEN {h} % 10 < 8 THEN 3 \
             WHEN {h} % 10 = 8 THEN 4 ELSE 0 END",
            h = hash(8)
        ),
        "customer_relationship" => format!("1 + {} % 3", hash(9)),
        "customer_value_grade" => format!("1 + {} % 3", hash(10)),
        "root_cause" => format!(
            "CASE WHEN c.root_cause = 0 THEN 0 ELSE 1 + {} % 9 END",
            hash(11)
        ),
        "product_sku" => format!(
            "CASE WHEN c.product_sku = '' THEN '' ELSE 'SKU-' || ({} % 40) END",
            hash(2)
        ),
        _ => return None,
    })
}

/// Generates `size` complaints in the empty database `url`; returns the
/// anchor.
async fn generate(url: &str, size: u64) -> i64 {
    println!("generating {size} complaints in {url} ...");
    let server = Server::start(url).await;
    let anchor = common::now_micros();
    let names = templates(&server.channel, anchor).await;
    server
        .services
        .complaints
        .sweep_warnings(1000, &CancellationToken::new())
        .await
        .expect("sweep");
    let db = Database::connect(url).await.expect("database");
    let backend = db.get_database_backend();
    let id_type = match backend {
        DbBackend::Postgres => "uuid",
        _ => "BLOB",
    };
    db.execute_unprepared(&format!(
        "CREATE TABLE bench_templates (slot BIGINT PRIMARY KEY, id {id_type} NOT NULL)"
    ))
    .await
    .expect("template table");
    for (slot, name) in names.iter().enumerate() {
        db.execute_unprepared(&format!(
            "INSERT INTO bench_templates (slot, id) VALUES ({slot}, {})",
            id_literal(backend, name)
        ))
        .await
        .expect("template row");
    }
    let count = names.len() as u64;
    assert!(size > count, "at least {} complaints", count + 1);
    let source = format!(
        "JOIN bench_templates t ON t.slot = n.i % {count} JOIN complaints c ON c.id = t.id"
    );
    let copies = size - count;
    let mut from = 1;
    while from <= copies {
        let to = (from + CHUNK - 1).min(copies);
        let copied = copy_complaints(&db, from..=to, &source, |c| varied(copies, c)).await;
        assert_eq!(copied, to - from + 1, "copied rows");
        println!("  {to} of {copies} copies");
        from = to + 1;
    }
    match backend {
        // What autovacuum would do: statistics and the visibility map.
        DbBackend::Postgres => db.execute_unprepared("VACUUM ANALYZE complaints").await,
        _ => {
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
        }
    }
    .expect("settle");
    db.execute_unprepared(
        "CREATE TABLE bench_analysis (generator BIGINT NOT NULL, anchor BIGINT NOT NULL, complaints BIGINT NOT NULL)",
    )
    .await
    .expect("data set table");
    db.execute_unprepared(&format!(
        "INSERT INTO bench_analysis VALUES ({GENERATOR}, {anchor}, {size})"
    ))
    .await
    .expect("record the data set");
    db.close().await.ok();
    server.stop().await;
    anchor
}

// ------------------------------------------------------------- the figures

/// Nearest-rank percentiles of one series, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Pct {
    count: i64,
    median: Option<i64>,
    p90: Option<i64>,
}

/// The figures of one set of complaints, as comparable numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Figures {
    complaints: i64,
    invalid: (i64, i64),
    first_response_on_time: (i64, i64),
    resolution_on_time: (i64, i64),
    callback_on_time: (i64, i64),
    reopen: (i64, i64),
    callback: (i64, i64),
    satisfied_first: (i64, i64),
    open: i64,
    breached: i64,
    /// First response and resolution, wall-clock and business.
    times: [Pct; 4],
}

/// An answer: the groups in Pareto order, the period, the comparison.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Answer {
    groups: Vec<(String, Figures)>,
    overall: Figures,
    comparison: Figures,
}

fn from_pb(f: Option<pb::ComplaintFigures>) -> Figures {
    let f = f.unwrap_or_default();
    let r = |r: Option<pb::Ratio>| r.map_or((0, 0), |r| (r.numerator, r.denominator));
    let micros = |d: Option<prost_types::Duration>| {
        d.map(|d| d.seconds * 1_000_000 + i64::from(d.nanos) / 1000)
    };
    let p = |p: Option<pb::DurationPercentiles>| {
        p.map_or_else(Pct::default, |p| Pct {
            count: p.count,
            median: micros(p.median),
            p90: micros(p.p90),
        })
    };
    Figures {
        complaints: f.complaints,
        invalid: r(f.invalid_share),
        first_response_on_time: r(f.first_response_on_time),
        resolution_on_time: r(f.resolution_on_time),
        callback_on_time: r(f.callback_on_time),
        reopen: r(f.reopen_rate),
        callback: r(f.callback_rate),
        satisfied_first: r(f.satisfied_at_first_callback),
        open: f.open,
        breached: f.breached,
        times: [
            p(f.first_response_time),
            p(f.first_response_business_time),
            p(f.resolution_time),
            p(f.resolution_business_time),
        ],
    }
}

fn answer_of(r: &pb::AnalyzeComplaintsResponse) -> Answer {
    Answer {
        groups: r
            .groups
            .iter()
            .map(|g| (g.key.clone(), from_pb(g.figures)))
            .collect(),
        overall: from_pb(r.overall),
        comparison: from_pb(r.comparison),
    }
}

/// The service's answer for `period` grouped by category.
async fn service(channel: &Channel, (start, end): (i64, i64)) -> Answer {
    let response = ComplaintServiceClient::new(channel.clone())
        .analyze_complaints(pb::AnalyzeComplaintsRequest {
            start_time: timestamp(start),
            end_time: timestamp(end),
            group_by: pb::analyze_complaints_request::GroupBy::Category as i32,
            ..Default::default()
        })
        .await
        .expect("AnalyzeComplaints")
        .into_inner();
    answer_of(&response)
}

/// The series, in the order of `Figures::times`.
const SERIES: [&str; 4] = [
    "first_response_wall",
    "first_response_business",
    "resolution_wall",
    "resolution_business",
];

/// The counts' columns, in the order `figures_of` reads them.
const COUNTS: [&str; 16] = [
    "complaints",
    "triaged",
    "invalid",
    "first_response_reached",
    "first_response_on_time",
    "resolution_reached",
    "resolution_on_time",
    "callback_reached",
    "callback_on_time",
    "resolved",
    "reopened",
    "called_back",
    "first_callback_reached",
    "first_callback_satisfied",
    "open",
    "breached",
];

fn figures_of(c: &[i64]) -> Figures {
    Figures {
        complaints: c[0],
        invalid: (c[2], c[1]),
        first_response_on_time: (c[4], c[3]),
        resolution_on_time: (c[6], c[5]),
        callback_on_time: (c[8], c[7]),
        reopen: (c[10], c[9]),
        callback: (c[11], c[9]),
        satisfied_first: (c[13], c[12]),
        open: c[14],
        breached: c[15],
        times: [Pct::default(); 4],
    }
}

fn category_name(code: i64) -> String {
    i32::try_from(code)
        .ok()
        .and_then(|c| pb::complaint::Category::try_from(c).ok())
        .filter(|c| *c != pb::complaint::Category::Unspecified)
        .map_or_else(String::new, |c| c.as_str_name().to_owned())
}

/// Which rows a ranking statement reads.
#[derive(Clone, Copy)]
enum Rows {
    /// Both periods, scope 0 this one and 1 the comparison.
    Both,
    /// This period only (scope 0).
    This,
    /// The comparison only (scope 1).
    Comparison,
}

/// One ranking statement: the series it ranks, over which rows, within
/// this period's groups and/or over all of each period read.
#[derive(Clone, Copy)]
struct Ranking {
    series: &'static [usize],
    rows: Rows,
    grouped: bool,
    overall: bool,
}

/// Some series over both periods, within the groups and over all.
const fn both(series: &'static [usize]) -> Ranking {
    Ranking {
        series,
        rows: Rows::Both,
        grouped: true,
        overall: true,
    }
}

/// One series over one period's rows: within its groups, or over all.
const fn apart(series: &'static [usize], rows: Rows, grouped: bool) -> Ranking {
    Ranking {
        series,
        rows,
        grouped,
        overall: !grouped,
    }
}

/// The forms of hand-written SQL for the percentiles: every series in one
/// statement over both periods; one statement per series over both; one
/// per series and period, with groups and the whole ranked apart.
const FORMS: [(&str, &[Ranking]); 3] = [
    ("SQL, one ranking statement", &[both(&[0, 1, 2, 3])]),
    (
        "SQL, one per series",
        &[both(&[0]), both(&[1]), both(&[2]), both(&[3])],
    ),
    (
        "SQL, one per series and period",
        &[
            apart(&[0], Rows::This, true),
            apart(&[0], Rows::This, false),
            apart(&[0], Rows::Comparison, false),
            apart(&[1], Rows::This, true),
            apart(&[1], Rows::This, false),
            apart(&[1], Rows::Comparison, false),
            apart(&[2], Rows::This, true),
            apart(&[2], Rows::This, false),
            apart(&[2], Rows::Comparison, false),
            apart(&[3], Rows::This, true),
            apart(&[3], Rows::This, false),
            apart(&[3], Rows::Comparison, false),
        ],
    ),
];

/// The same figures by hand-written SQL: one statement over both periods
/// for the counts, and the ranking statements of `form` for the
/// percentiles; the comparison is the period of equal length just before.
async fn by_sql(db: &DatabaseConnection, (start, end): (i64, i64), form: &[Ranking]) -> Answer {
    let backend = db.get_database_backend();
    let from = start - (end - start);
    let closed = pb::complaint::State::Closed as i32;
    let breached = pb::WarningLevel::Breached as i32;
    // Scope 0: this period, 1: the comparison.
    let rows = format!(
        "FROM complaints WHERE delete_time IS NULL AND received_time >= {from} AND received_time < {end}"
    );
    let scope = format!("CASE WHEN received_time >= {start} THEN 0 ELSE 1 END");
    let sums = format!(
        "COUNT(*) AS complaints, SUM(triaged) AS triaged, SUM(invalid) AS invalid, \
         SUM(first_response_reached) AS first_response_reached, SUM(first_response_on_time) AS first_response_on_time, \
         SUM(resolution_reached) AS resolution_reached, SUM(resolution_on_time) AS resolution_on_time, \
         SUM(callback_reached) AS callback_reached, SUM(callback_on_time) AS callback_on_time, \
         SUM(resolved) AS resolved, SUM(reopened) AS reopened, SUM(called_back) AS called_back, \
         SUM(first_callback_reached) AS first_callback_reached, SUM(first_callback_satisfied) AS first_callback_satisfied, \
         SUM(CASE WHEN state <> {closed} THEN 1 ELSE 0 END) AS open, \
         SUM(CASE WHEN state <> {closed} AND warning_level = {breached} THEN 1 ELSE 0 END) AS breached"
    );
    let totals = COUNTS
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    let listed = COUNTS
        .iter()
        .map(|c| format!("CAST({c} AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    // Rows: (0, category, counts) per group of this period, then (1, NULL,
    // counts) over all of it and (2, NULL, counts) over the comparison.
    let counts = format!(
        "WITH g AS MATERIALIZED (SELECT {scope} AS scope, category AS k, {sums} {rows} GROUP BY 1, 2) \
         SELECT CAST(scope AS BIGINT), CAST(k AS BIGINT), {listed} FROM g WHERE scope = 0 \
         UNION ALL SELECT CAST(scope + 1 AS BIGINT), NULL, {totals} FROM g GROUP BY scope"
    );
    let mut groups: Vec<(i64, Figures)> = Vec::new();
    let mut answer = Answer::default();
    for row in db
        .query_all_raw(Statement::from_string(backend, counts))
        .await
        .expect("counts")
    {
        let scope: i64 = row.try_get_by_index(0).expect("scope");
        let values: Vec<i64> = (2..2 + COUNTS.len())
            .map(|i| row.try_get_by_index(i).expect("a count"))
            .collect();
        let figures = figures_of(&values);
        match scope {
            0 => groups.push((row.try_get_by_index(1).expect("key"), figures)),
            1 => answer.overall = figures,
            _ => answer.comparison = figures,
        }
    }
    // A statement ranks its series in this period's groups and over all of
    // each period: NULLs sort last, so ranks 1..n are the n values.
    let rank = |n: &str, rn: &str| {
        format!("({rn} = (50 * {n} + 99) / 100 OR {rn} = (90 * {n} + 99) / 100)")
    };
    for ranking in form {
        let series = ranking.series;
        let (lower, upper, scope) = match ranking.rows {
            Rows::Both => (from, end, scope.clone()),
            Rows::This => (start, end, "0".to_owned()),
            Rows::Comparison => (from, start, "1".to_owned()),
        };
        let mut rows = format!(
            "FROM complaints WHERE delete_time IS NULL AND received_time >= {lower} AND received_time < {upper}"
        );
        // A statement of one series ranks only the rows that have a value.
        if let [i] = series {
            rows.push_str(&format!(" AND {} IS NOT NULL", SERIES[*i]));
        }
        let (by_group, by_scope) = match ranking.rows {
            Rows::Both => (
                format!("PARTITION BY {scope}, category"),
                format!("PARTITION BY {scope}"),
            ),
            _ => ("PARTITION BY category".to_owned(), String::new()),
        };
        let mut columns = Vec::new();
        let (mut in_group, mut in_all) = (Vec::new(), Vec::new());
        for &i in series {
            let column = SERIES[i];
            columns.push(format!("{column} AS v{i}"));
            // Rank and count of the series within `partition` as `rn` and
            // `n`, or zeros (never a rank) when the statement leaves it out.
            let mut window = |on: bool, partition: &str, rn: String, n: String| {
                if on {
                    columns.push(format!(
                        "ROW_NUMBER() OVER ({partition} ORDER BY {column} NULLS LAST) AS {rn}, \
                         COUNT({column}) OVER ({partition}) AS {n}"
                    ));
                    Some(rank(&n, &rn))
                } else {
                    columns.push(format!(
                        "CAST(0 AS BIGINT) AS {rn}, CAST(0 AS BIGINT) AS {n}"
                    ));
                    None
                }
            };
            in_group.extend(window(
                ranking.grouped,
                &by_group,
                format!("rg{i}"),
                format!("ng{i}"),
            ));
            in_all.extend(window(
                ranking.overall,
                &by_scope,
                format!("ro{i}"),
                format!("no{i}"),
            ));
        }
        let outputs = series
            .iter()
            .map(|i| format!("v{i}, rg{i}, ng{i}, ro{i}, no{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut wanted = Vec::new();
        if !in_group.is_empty() {
            wanted.push(format!("(scope = 0 AND ({}))", in_group.join(" OR ")));
        }
        wanted.extend(in_all);
        let ranked = format!(
            "SELECT CAST(scope AS BIGINT), CAST(k AS BIGINT), {outputs} FROM (\
               SELECT {scope} AS scope, category AS k, {} {rows}) ranked \
             WHERE {}",
            columns.join(", "),
            wanted.join(" OR "),
        );
        for row in db
            .query_all_raw(Statement::from_string(backend, ranked))
            .await
            .expect("percentiles")
        {
            let get = |at: usize| -> Option<i64> { row.try_get_by_index(at).expect("a number") };
            let (scope, key) = (get(0).expect("scope"), get(1).expect("key"));
            for (j, &i) in series.iter().enumerate() {
                let at = 2 + 5 * j;
                let value = get(at);
                let number = |at: usize| get(at).expect("a rank or count");
                let mark = |p: &mut Pct, rn: i64, n: i64| {
                    if n == 0 || rn > n {
                        return;
                    }
                    p.count = n;
                    if rn == ((50 * n + 99) / 100).max(1) {
                        p.median = value;
                    }
                    if rn == ((90 * n + 99) / 100).max(1) {
                        p.p90 = value;
                    }
                };
                if scope == 0
                    && let Some((_, g)) = groups.iter_mut().find(|(k, _)| *k == key)
                {
                    mark(&mut g.times[i], number(at + 1), number(at + 2));
                }
                let overall = match scope {
                    0 => &mut answer.overall,
                    _ => &mut answer.comparison,
                };
                mark(&mut overall.times[i], number(at + 3), number(at + 4));
            }
        }
    }
    // Pareto order: count, largest first, ties by key.
    let mut named: Vec<(String, Figures)> = groups
        .into_iter()
        .map(|(k, f)| (category_name(k), f))
        .collect();
    named.sort_by(|(ka, a), (kb, b)| b.complaints.cmp(&a.complaints).then_with(|| ka.cmp(kb)));
    answer.groups = named;
    answer
}

// ------------------------------------------------------------- the timing

/// The process's peak resident memory, in MiB (VmHWM).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Starts the peak anew from what is resident now, so generating the data
/// does not count.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// How long one run took, and its answer.
async fn timed(run: impl std::future::Future<Output = Answer>) -> (Duration, Answer) {
    let start = Instant::now();
    let answer = run.await;
    (start.elapsed(), answer)
}

/// The median of some times.
fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn verdict(within: bool) -> &'static str {
    if within { "within" } else { "OVER" }
}

#[tokio::main]
async fn main() {
    let size = env_number("CRM_BENCH_COMPLAINTS", 1_000_000);
    let rounds = env_number("CRM_BENCH_ROUNDS", 3).max(1) as usize;
    let engine = match std::env::var("CRM_BENCH_POSTGRES_URL") {
        Ok(_) => "PostgreSQL",
        Err(_) => "SQLite",
    };
    println!("crm analysis bench: {engine}, {size} complaints, median of {rounds}");
    let data = prepare(size).await;
    match data.generated {
        Some(took) => println!("generated in {took:.1?}"),
        None => println!("reusing {}", data.url),
    }
    reset_peak_rss();
    // A year of a million complaints takes longer than the default limit.
    let default_timeout = crm::settings::Settings::for_database(String::new()).request_timeout;
    let server = Server::start_with(&data.url, |s| s.request_timeout = 20 * default_timeout).await;
    let db = Database::connect(&data.url).await.expect("database");
    let anchor = data.anchor;
    for (label, period) in [
        ("last 30 days", (anchor - 30 * DAY, anchor)),
        ("whole year", (anchor - 365 * DAY, anchor)),
    ] {
        // Rounds interleave the service and the forms, so a change of load
        // on the machine falls on each alike.
        let forms = FORMS;
        let mut times: Vec<Vec<Duration>> = vec![Vec::new(); 1 + forms.len()];
        let mut answer = Answer::default();
        for _ in 0..rounds {
            let (took, got) = timed(service(&server.channel, period)).await;
            times[0].push(took);
            answer = got;
            for (f, (form, rankings)) in forms.iter().enumerate() {
                let (took, expected) = timed(by_sql(&db, period, rankings)).await;
                times[1 + f].push(took);
                assert_eq!(
                    answer, expected,
                    "{label}: the service's figures differ from the {form}'s"
                );
            }
        }
        let service_time = median(&times[0]);
        // The SQL's time is the faster form's.
        let sql_time = times[1..].iter().map(|t| median(t)).min().expect("a form");
        let ratio = service_time.as_secs_f64() / sql_time.as_secs_f64();
        println!(
            "{label:<13} {:>8} complaints, {} groups, comparison {:>7}: service {service_time:>7.1?}  SQL {sql_time:>7.1?}  \
             ratio {ratio:.2} (limit {LIMIT_RATIO:.1}): {}",
            answer.overall.complaints,
            answer.groups.len(),
            answer.comparison.complaints,
            verdict(ratio <= LIMIT_RATIO),
        );
        println!("{:<13} service: {:.1?}", "", times[0]);
        for (f, (form, _)) in forms.iter().enumerate() {
            println!(
                "{:<13} {form}: median {:.1?} of {:.1?}",
                "",
                median(&times[1 + f]),
                times[1 + f]
            );
        }
        if service_time > default_timeout {
            println!(
                "{:<13} the service takes longer than its default request timeout ({default_timeout:?}): \
                 with default settings this call fails with DEADLINE_EXCEEDED",
                ""
            );
        }
    }
    db.close().await.ok();
    server.stop().await;
    let rss = peak_rss_mib();
    println!(
        "peak RSS {rss:.1} MiB, server and SQL in this process (limit {LIMIT_RSS_MIB:.0} MiB): {}",
        verdict(rss <= LIMIT_RSS_MIB)
    );
}
