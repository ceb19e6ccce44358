//! Publication end to end (O-1 to O-3), over HTTP without login, on a node with its embedded
//! database and the engine's clock set by hand: a scripted day of every deal type (a direct order
//! paid, an auction with bids, an inquiry whose first round failed and whose second was awarded, a negotiation,
//! a secondary competition, a cancelled auction). Nothing of a bidder or a sealed quote shows while
//! the deals are open, no invitee ever; every deal ends up as notices and as OCDS releases and
//! records, checked field by field against the engine and validated against the standard's
//! schemas; and a publisher stopped and restarted part way writes exactly what one run writes.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use engine::catalog::ParticipantKind;
use engine::types::{Amount, ParticipantId, Seq, UnitPrice};
use gateway::demo::{Contest, contests};
use gateway::journal::marks::Marks;
use gateway::persist::Database;
use gateway::publish::publisher::Publisher;
use gateway::runtime::Clock;
use serde_json::{Value, json};

use crate::after_award::{Auctioned, Court};
use crate::helpers::*;

const DAY: i64 = 86_400_000;

/// Reads a public path with no login at all.
async fn public(court: &Court, path: &str) -> (u16, Value) {
    call(&court.http, "GET", &format!("{}{path}", court.base), None, None).await
}

async fn public_ok(court: &Court, path: &str) -> Value {
    let (status, body) = public(court, path).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// Everything the public can read now, as one text: every notice in full (every kind), the daily
/// lists, every release page, every record page and the Atom feed.
async fn everything_public(court: &Court) -> String {
    let mut text = String::new();
    let kinds = "opening,result,failure,contract,cancellation,correction,challenges,direct_order";
    let mut offset = 0;
    loop {
        let page = public_ok(
            court,
            &format!("/api/v1/public/notices?kind={kinds}&limit=100&offset={offset}"),
        )
        .await;
        for notice in page["notices"].as_array().expect("notices") {
            let id = notice["id"].as_str().expect("id");
            text.push_str(
                &public_ok(court, &format!("/api/v1/public/notices/{id}")).await.to_string(),
            );
        }
        match page["next_offset"].as_i64() {
            Some(next) => offset = next,
            None => break,
        }
    }
    let mut next = Some(format!("{}/api/v1/ocds/releases?limit=50", court.base));
    while let Some(url) = next {
        let (_, page) = call(&court.http, "GET", &url, None, None).await;
        text.push_str(&page.to_string());
        next = page["links"]["next"].as_str().map(str::to_string);
    }
    let mut next = Some(format!("{}/api/v1/ocds/records?limit=20", court.base));
    while let Some(url) = next {
        let (_, page) = call(&court.http, "GET", &url, None, None).await;
        text.push_str(&page.to_string());
        next = page["links"]["next"].as_str().map(str::to_string);
    }
    text.push_str(&atom(court, &format!("?kind={kinds}&limit=100")).await);
    text
}

/// The Atom feed's text.
async fn atom(court: &Court, query: &str) -> String {
    use http_body_util::BodyExt;
    let uri = format!("{}/api/v1/public/notices.atom{query}", court.base);
    let request = hyper::Request::get(uri)
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .expect("request");
    let response = court.http.request(request).await.expect("atom");
    assert_eq!(response.status(), 200);
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(kind.starts_with("application/atom+xml"), "{kind}");
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

/// What must not be public yet: each participant's name, credit code and party id, and prices.
fn secrets(court: &Court, who: &[ParticipantId], prices: &[&str]) -> Vec<String> {
    let (mut out, _) = court.node.replica.read(|e| {
        who.iter()
            .filter_map(|p| e.participant(*p))
            .flat_map(|p| {
                let code = p.credit_code.map(|c| c.to_string()).unwrap_or_default();
                [p.name.clone(), code.clone(), format!("CN-USCI-{code}")]
            })
            .collect::<Vec<_>>()
    });
    out.extend(prices.iter().map(|p| (*p).to_string()));
    out
}

fn assert_hidden(public: &str, secrets: &[String], when: &str) {
    for secret in secrets {
        assert!(!public.contains(secret.as_str()), "{when}: {secret:?} is public already");
    }
}

fn code_of(court: &Court, p: ParticipantId) -> String {
    let (code, _) = court.node.replica.read(|e| e.participant(p).and_then(|p| p.credit_code));
    format!("CN-USCI-{}", code.expect("a credit code"))
}

/// Runs the pinned OCDS schemas over `files` of `kind` (ops/ocds/validate.py).
fn validate(kind: &str, files: &[std::path::PathBuf]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ops/ocds/validate.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(kind)
        .args(files)
        .output()
        .expect("python3 runs the OCDS validator (ops/test.sh checks it is there)");
    assert!(
        out.status.success(),
        "{kind} not valid against OCDS 1.1:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The kinds of a deal's notices, oldest first.
async fn notice_kinds(court: &Court, deal: u64) -> Vec<String> {
    let kinds = "opening,result,failure,contract,cancellation,correction,challenges,direct_order";
    let page =
        public_ok(court, &format!("/api/v1/public/notices?deal={deal}&kind={kinds}&limit=100"))
            .await;
    let mut kinds: Vec<String> = page["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .map(|n| n["kind"].as_str().expect("kind").to_string())
        .collect();
    kinds.reverse();
    kinds
}

/// A deal's record: its releases' tags in order and its compiled release.
async fn record(court: &Court, deal: u64) -> (Vec<Value>, Value) {
    let package = public_ok(court, &format!("/api/v1/ocds/records/ocds-gpzj-{deal}")).await;
    let record = &package["records"][0];
    let tags =
        record["releases"].as_array().expect("releases").iter().map(|r| r["tag"].clone()).collect();
    (tags, record["compiledRelease"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn o1_o2_o3_a_scripted_day_is_published_in_time_and_nothing_before_its_time() {
    let court = Court::open().await;
    let (found, _) = court.node.replica.read(|e| {
        contests(e, 4, Amount::from_minor(50_000_000)).next().map(|c| {
            let holders: Vec<_> = e
                .agreements()
                .filter(|a| a.product == c.product && c.bidders.contains(&a.supplier))
                .map(|a| (a.supplier, a.id, a.ceiling, a.offer.map(|o| o.price)))
                .collect();
            (c, holders)
        })
    });
    let (Contest { purchaser, line, product, bidders }, holders) = found.expect("a contest");
    let ceiling = holders.iter().map(|h| h.2).min().expect("a ceiling");
    let below = |cents: i64| UnitPrice::from_minor(ceiling.minor() - cents * 100).to_string();

    // An auction with bids, open.
    let terms = json!({ "product": product.0, "quantity": "2", "budget_line": line.0,
        "ceiling": ceiling.to_string(), "duration_seconds": 600, "min_step": "0.01", "min_bidders": 3 });
    let opened = court.ok(purchaser, "POST", "/api/v1/auctions", Some(terms.clone())).await;
    let auction = opened["auction"]["auction"].as_u64().expect("id");
    let bid_prices = [below(31), below(21), below(11)];
    for (bidder, price) in bidders.iter().take(3).zip(&bid_prices) {
        let bid = json!({ "price": price });
        court.ok(*bidder, "POST", &format!("/api/v1/auctions/{auction}/bids"), Some(bid)).await;
    }
    // An auction cancelled before any bid, with its reason.
    let cancelled = court.ok(purchaser, "POST", "/api/v1/auctions", Some(terms)).await;
    let cancelled = cancelled["auction"]["auction"].as_u64().expect("id");
    let reason = json!({ "reason": "采购需求发生变化，终止本次竞价" });
    court
        .ok(purchaser, "POST", &format!("/api/v1/auctions/{cancelled}/cancel"), Some(reason))
        .await;

    // An inquiry, four invited; two quote, so its first round fails unopened.
    let (suppliers, _) = court.node.replica.read(|e| {
        let mut chosen: Vec<ParticipantId> = Vec::new();
        for p in e.participants().filter(|p| p.kind == ParticipantKind::Supplier && p.is_active()) {
            if chosen.len() < 5 && chosen.iter().all(|s| !e.affiliated(*s, p.id)) {
                chosen.push(p.id);
            }
        }
        chosen
    });
    let s = &suppliers;
    let invited: Vec<u64> = s[..4].iter().map(|p| p.0).collect();
    let deadline = court.clock.now().ms() + 7 * DAY;
    let terms = json!({ "lines": [{ "product": product.0, "quantity": "10", "ceiling": "5000" }],
        "budget_line": line.0, "deadline_ms": deadline, "invited": invited });
    let opened = court.ok(purchaser, "POST", "/api/v1/inquiries", Some(terms)).await;
    let inquiry = opened["inquiry"]["id"].as_u64().expect("id");
    for (who, price) in [(s[0], "4713.17"), (s[1], "4823.19")] {
        let quote = json!({ "prices": [price] });
        court.ok(who, "POST", &format!("/api/v1/inquiries/{inquiry}/quotes"), Some(quote)).await;
    }

    // O-3 while both are open: no bidder, no quoter, no invitee, no price of either.
    within(Duration::from_secs(60), "the publisher catching up", court.node.published()).await;
    let mut hidden = secrets(&court, &bidders[..3], &[]);
    hidden.extend(bid_prices.iter().cloned());
    hidden.extend(secrets(&court, s, &["4713.17", "4823.19"]));
    let seen = everything_public(&court).await;
    assert!(seen.contains(&format!("ocds-gpzj-{auction}")), "the auction's opening is public");
    assert!(seen.contains(&format!("ocds-gpzj-{inquiry}")), "the inquiry's opening is public");
    assert_hidden(&seen, &hidden, "auction and inquiry open");
    // And were either deal published again now, as it stands, its release would hold none of it.
    let (now, _) = court.node.replica.read(|e| {
        let at = gateway::publish::deal::At { seq: e.seq(), index: 0, ts: e.clock() };
        [auction, inquiry].map(|d| {
            gateway::publish::ocds::release(e, engine::types::DealId(d), at, &["tenderUpdate"], &[])
        })
    });
    for release in now {
        let release = release.expect("a release");
        assert!(
            release.get("bids").is_none() && release["tender"].get("tenderers").is_none(),
            "{release}"
        );
        assert_hidden(&release.to_string(), &hidden, "a release of an open deal");
    }

    // A direct order, paid.
    let order = json!({ "product": product.0, "quantity": "1", "budget_line": line.0 });
    let filled = court.ok(purchaser, "POST", "/api/v1/orders", Some(order)).await;
    let direct = filled["order"]["order"].as_u64().expect("order id");
    let trade = filled["trades"][0].clone();
    let seller = ParticipantId(trade["supplier"].as_u64().expect("supplier"));
    let id = trade["id"].as_str().expect("trade id").to_string();
    court.ok(seller, "POST", &format!("/api/v1/trades/{id}/deliver"), None).await;
    court.ok(purchaser, "POST", &format!("/api/v1/trades/{id}/accept"), None).await;
    court.ok(purchaser, "POST", &format!("/api/v1/trades/{id}/pay"), None).await;

    // A negotiation, accepted by the supplier.
    let (supplier, agreement, _, offer) =
        *holders.iter().find(|h| h.3.is_some()).expect("a holder with an offer");
    let price = UnitPrice::from_minor(offer.expect("offer").minor() - 500).to_string();
    let proposal =
        json!({ "agreement": agreement.0, "quantity": "3", "budget_line": line.0, "price": price });
    let proposed = court.ok(purchaser, "POST", "/api/v1/negotiations", Some(proposal)).await;
    let negotiation = proposed["negotiation"]["id"].as_u64().expect("id");
    court.ok(supplier, "POST", &format!("/api/v1/negotiations/{negotiation}/accept"), None).await;

    // A secondary competition among the holders.
    let terms = json!({ "product": product.0, "quantity": "4", "budget_line": line.0,
        "deadline_ms": court.clock.now().ms() + 7 * DAY });
    let opened = court.ok(purchaser, "POST", "/api/v1/competitions", Some(terms)).await;
    let competition = opened["inquiry"]["id"].as_u64().expect("id");
    for (n, (holder, _, own, _)) in holders.iter().take(3).enumerate() {
        let price =
            UnitPrice::from_minor(own.minor() - 1_000 * (i64::try_from(n).unwrap_or(0) + 1));
        let quote = json!({ "prices": [price.to_string()] });
        court
            .ok(*holder, "POST", &format!("/api/v1/inquiries/{competition}/quotes"), Some(quote))
            .await;
    }

    // The auction closes and is awarded; the inquiry's first round fails unopened.
    court.clock.advance_ms(601_000);
    court.award(purchaser, auction, "provisional").await;
    court.clock.advance_ms(7 * DAY);
    court.award(purchaser, competition, "provisional").await;
    wait_for(&court, inquiry, |q| q["state"] == "round_failed").await;

    // A second round among the same four; three quote. Still sealed: nothing of it is public.
    // A next round invites at least one more.
    let everyone: Vec<u64> = s.iter().map(|p| p.0).collect();
    let next = json!({ "deadline_ms": court.clock.now().ms() + 7 * DAY, "invite": everyone });
    court.ok(purchaser, "POST", &format!("/api/v1/inquiries/{inquiry}/rounds"), Some(next)).await;
    for (who, price) in [(s[0], "4611.13"), (s[1], "4622.29"), (s[2], "4633.37")] {
        let quote = json!({ "prices": [price] });
        court.ok(who, "POST", &format!("/api/v1/inquiries/{inquiry}/quotes"), Some(quote)).await;
    }
    within(Duration::from_secs(60), "the publisher catching up", court.node.published()).await;
    let seen = everything_public(&court).await;
    assert_hidden(
        &seen,
        &secrets(&court, s, &["4611.13", "4622.29", "4633.37", "4713.17"]),
        "second round",
    );
    // The auction has closed: its bids and bidders are public now.
    for bidder in &bidders[..3] {
        assert!(seen.contains(&code_of(&court, *bidder)), "the auction's bidders are published");
    }

    // The round opens and is awarded; every challenge period runs out; the auction's contract is
    // performed and paid.
    court.clock.advance_ms(7 * DAY);
    court.award(purchaser, inquiry, "provisional").await;
    court.clock.advance_ms(40 * DAY);
    let won = court.award(purchaser, auction, "final").await;
    court.award(purchaser, inquiry, "final").await;
    court.award(purchaser, competition, "final").await;
    let won_trade = won["trades"][0]["id"].as_str().expect("trade").to_string();
    let winner = ParticipantId(won["trades"][0]["supplier"].as_u64().expect("supplier"));
    court.ok(winner, "POST", &format!("/api/v1/trades/{won_trade}/deliver"), None).await;
    court.ok(purchaser, "POST", &format!("/api/v1/trades/{won_trade}/accept"), None).await;
    court.ok(purchaser, "POST", &format!("/api/v1/trades/{won_trade}/pay"), None).await;
    within(Duration::from_secs(60), "the publisher catching up", court.node.published()).await;

    // The invitee that never quoted is never published (O-3).
    let seen = everything_public(&court).await;
    assert_hidden(&seen, &secrets(&court, &s[3..], &[]), "after every deal");

    // Notices per deal, in order (O-1).
    assert_eq!(notice_kinds(&court, auction).await, ["opening", "result", "contract"]);
    assert_eq!(notice_kinds(&court, cancelled).await, ["opening", "cancellation"]);
    assert_eq!(
        notice_kinds(&court, inquiry).await,
        ["opening", "correction", "result", "contract"]
    );
    assert_eq!(notice_kinds(&court, direct).await, ["direct_order"]);
    assert_eq!(notice_kinds(&court, negotiation).await, ["result"]);
    assert_eq!(notice_kinds(&court, competition).await, ["opening", "result", "contract"]);
    let result =
        public_ok(&court, &format!("/api/v1/public/notices?deal={auction}&kind=result")).await;
    let id = result["notices"][0]["id"].as_str().expect("id");
    let result = public_ok(&court, &format!("/api/v1/public/notices/{id}")).await;
    assert_eq!(result["body"]["bids"].as_array().map(Vec::len), Some(3), "{result}");
    assert_eq!(result["body"]["winner"]["id"], bidders[0].0, "the lowest bid wins: {result}");
    let cancellation =
        public_ok(&court, &format!("/api/v1/public/notices?deal={cancelled}&kind=cancellation"))
            .await;
    let id = cancellation["notices"][0]["id"].as_str().expect("id");
    let cancellation = public_ok(&court, &format!("/api/v1/public/notices/{id}")).await;
    assert_eq!(cancellation["body"]["reason"], "采购需求发生变化，终止本次竞价");
    let today =
        time::OffsetDateTime::from_unix_timestamp(trade["ts_ms"].as_i64().unwrap_or(0) / 1000)
            .expect("date")
            .to_offset(time::macros::offset!(+8))
            .date();
    let list = public_ok(&court, &format!("/api/v1/public/direct-orders?date={today}")).await;
    assert!(
        list["orders"].as_array().expect("orders").iter().any(|o| o["deal"] == direct),
        "{list}"
    );

    // OCDS per deal, field by field (O-2).
    let (tags, compiled) = record(&court, auction).await;
    assert_eq!(
        tags,
        [json!(["tender"]), json!(["award"]), json!(["contract"]), json!(["implementation"])]
    );
    let (hold, bids, award_amount) = court
        .node
        .replica
        .read(|e| {
            let a = e.auction(engine::types::DealId(auction)).expect("auction");
            let award = e.award(a.id).expect("award");
            (a.hold.to_string(), a.bids.len(), award.winner().expect("winner").amount.to_string())
        })
        .0;
    assert_eq!(compiled["tender"]["status"], "complete");
    assert_eq!(compiled["tender"]["procurementMethod"], "open");
    assert_eq!(compiled["tender"]["value"]["amount"].to_string(), number(&hold));
    assert_eq!(compiled["tender"]["numberOfTenderers"], 3);
    assert_eq!(compiled["bids"]["details"].as_array().map(Vec::len), Some(bids));
    assert_eq!(
        compiled["bids"]["details"][0]["tenderers"][0]["id"],
        json!(code_of(&court, bidders[0]))
    );
    assert_eq!(compiled["awards"][0]["status"], "active");
    assert_eq!(compiled["awards"][0]["suppliers"][0]["id"], json!(code_of(&court, bidders[0])));
    assert_eq!(compiled["awards"][0]["value"]["amount"].to_string(), number(&award_amount));
    assert_eq!(compiled["contracts"][0]["id"], won_trade);
    assert_eq!(compiled["contracts"][0]["status"], "terminated");
    assert_eq!(
        compiled["contracts"][0]["implementation"]["transactions"][0]["payer"]["id"],
        json!(code_of(&court, purchaser))
    );
    assert_eq!(compiled["buyer"]["id"], json!(code_of(&court, purchaser)));

    let (tags, compiled) = record(&court, cancelled).await;
    assert_eq!(tags, [json!(["tender"]), json!(["tenderCancellation"])]);
    assert_eq!(compiled["tender"]["status"], "cancelled");
    assert!(compiled.get("bids").is_none() && compiled.get("awards").is_none(), "{compiled}");

    let (tags, compiled) = record(&court, inquiry).await;
    assert_eq!(
        tags,
        [json!(["tender"]), json!(["tenderUpdate"]), json!(["award"]), json!(["contract"])]
    );
    assert_eq!(compiled["tender"]["procurementMethod"], "selective");
    assert_eq!(
        compiled["bids"]["details"].as_array().map(Vec::len),
        Some(3),
        "the opened round's quotes"
    );
    assert_eq!(compiled["awards"][0]["suppliers"][0]["id"], json!(code_of(&court, s[0])));
    assert_eq!(compiled["awards"][0]["value"]["amount"], json!(46111.3));

    let (tags, compiled) = record(&court, direct).await;
    assert_eq!(tags, [json!(["award", "contract"]), json!(["implementation"])]);
    assert_eq!(compiled["tender"]["procurementMethodDetails"], "协议供货直接订购");
    assert_eq!(compiled["contracts"][0]["id"], id_of(&trade));
    assert_eq!(compiled["contracts"][0]["status"], "terminated");
    assert_eq!(
        compiled["awards"][0]["value"]["amount"].to_string(),
        number(trade["amount"].as_str().expect("amount"))
    );

    let (tags, compiled) = record(&court, negotiation).await;
    assert_eq!(tags, [json!(["award", "contract"])]);
    assert_eq!(compiled["tender"]["procurementMethod"], "limited");
    assert_eq!(compiled["awards"][0]["suppliers"][0]["id"], json!(code_of(&court, supplier)));

    let (tags, compiled) = record(&court, competition).await;
    assert_eq!(tags, [json!(["tender"]), json!(["award"]), json!(["contract"])]);
    assert_eq!(compiled["tender"]["procurementMethodDetails"], "二次竞价");
    assert_eq!(compiled["bids"]["details"].as_array().map(Vec::len), Some(3));

    // Every package validates against the standard's schemas, release and record alike.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut releases = Vec::new();
    let mut records = Vec::new();
    let mut next = Some(format!("{}/api/v1/ocds/releases?limit=40", court.base));
    while let Some(url) = next {
        let (_, page) = call(&court.http, "GET", &url, None, None).await;
        let path = dir.path().join(format!("releases-{}.json", releases.len()));
        std::fs::write(&path, page.to_string()).expect("write");
        releases.push(path);
        next = page["links"]["next"].as_str().map(str::to_string);
        if page["releases"] == json!([]) {
            releases.pop();
        }
    }
    for deal in [auction, cancelled, inquiry, direct, negotiation, competition] {
        let package = public_ok(&court, &format!("/api/v1/ocds/records/ocds-gpzj-{deal}")).await;
        let path = dir.path().join(format!("record-{deal}.json"));
        std::fs::write(&path, package.to_string()).expect("write");
        records.push(path);
    }
    validate("release-package", &releases);
    validate("record-package", &records);

    // A second publisher over the same journal into a PostgreSQL database of its own, stopped and
    // started again twice part way, writes exactly what the node's publisher wrote, row for row.
    let end = court.node.durable();
    let postgres = fresh_database().await;
    let copy = Database::connect(&postgres.url).await.expect("db");
    for upto in [Seq(end.0 / 3), Seq(2 * end.0 / 3), end] {
        let (durable, watching) = tokio::sync::watch::channel(upto);
        let marks = Marks::new(Arc::new(AtomicU64::new(0)), &["publisher"]);
        let publisher = Publisher::start(copy.clone(), court.node.journal.clone(), watching, marks);
        within(Duration::from_secs(120), "the second publisher", publisher.caught_up(upto)).await;
        publisher.stop().await;
        drop(durable);
    }
    let (ours, theirs) =
        (court.node.db.publication().await.expect("rows"), copy.publication().await.expect("rows"));
    assert_eq!(ours.0.len(), theirs.0.len(), "notices");
    assert_eq!(ours.1.len(), theirs.1.len(), "releases");
    let by_id = |rows: &[gateway::publish::store::ReleaseRow]| -> BTreeMap<String, String> {
        rows.iter()
            .filter(|r| r.seq <= i64::try_from(end.0).unwrap_or(i64::MAX))
            .map(|r| (r.id.clone(), r.release.clone()))
            .collect()
    };
    assert_eq!(by_id(&ours.1), by_id(&theirs.1));
    assert_eq!(ours.0, theirs.0);

    // Searches read the same on PostgreSQL as on the node's SQLite: by region with the regions
    // beneath it, by category likewise, by mode and kind.
    // The province: the purchaser's region or one above it.
    let (region, _) = court.node.replica.read(|e| {
        e.participant(purchaser).and_then(|p| p.region).and_then(|r| r.codes().last().copied())
    });
    for query in [
        gateway::publish::store::NoticeQuery {
            region: region.map(|r| r.to_string()),
            limit: 100,
            ..Default::default()
        },
        gateway::publish::store::NoticeQuery {
            mode: Some("auction".into()),
            kinds: vec!["result".into(), "opening".into()],
            limit: 100,
            ..Default::default()
        },
        gateway::publish::store::NoticeQuery {
            text: Some("竞价".into()),
            limit: 3,
            offset: 1,
            ..Default::default()
        },
    ] {
        let ids = |rows: Vec<gateway::publish::store::NoticeRow>| {
            rows.into_iter().map(|r| r.id).collect::<Vec<_>>()
        };
        let (a, b) = (
            court.node.db.notices(&query).await.expect("sqlite"),
            copy.notices(&query).await.expect("postgres"),
        );
        assert!(!a.is_empty(), "{query:?} finds notices");
        assert_eq!(ids(a), ids(b), "{query:?}");
    }
    let mut records = Vec::new();
    let count = gateway::publish::export::records(&copy, "http://example.org", &mut records)
        .await
        .expect("records");
    let processes = ours.1.iter().map(|r| &r.ocid).collect::<std::collections::BTreeSet<_>>().len();
    assert_eq!(count, u64::try_from(processes).unwrap_or(0), "one record per contracting process");
    assert_eq!(String::from_utf8(records).expect("utf-8").lines().count(), processes);

    // The bulk export: every release once, one per line, each valid.
    let mut lines = Vec::new();
    let written = gateway::publish::export::releases(&copy, &mut lines).await.expect("export");
    assert_eq!(written, u64::try_from(theirs.1.len()).unwrap_or(0));
    let text = String::from_utf8(lines).expect("utf-8");
    assert_eq!(text.lines().count(), theirs.1.len());
    let exported = dir.path().join("releases.jsonl");
    std::fs::write(&exported, &text).expect("write");
    validate("releases", &[exported]);
    copy.close().await;
    postgres.drop_now().await;
    court.node.shutdown().await.expect("shutdown");
}

/// `123.45` as the JSON number the releases carry.
fn number(decimal: &str) -> String {
    serde_json::Number::from_f64(decimal.parse::<f64>().expect("a decimal"))
        .expect("finite")
        .to_string()
}

fn id_of(trade: &Value) -> Value {
    trade["id"].clone()
}

/// Waits until the inquiry, as its purchaser reads it, satisfies `done`.
async fn wait_for(court: &Court, inquiry: u64, done: impl Fn(&Value) -> bool) {
    let (purchaser, _) =
        court.node.replica.read(|e| e.inquiry(engine::types::DealId(inquiry)).map(|q| q.purchaser));
    let purchaser = purchaser.expect("the inquiry");
    within(Duration::from_secs(60), "the inquiry's next state", async {
        loop {
            let (status, view) =
                court.call(purchaser, "GET", &format!("/api/v1/inquiries/{inquiry}"), None).await;
            if status == 200 && done(&view) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c5_challenges_are_published_without_login_once_the_deal_has_ended() {
    let court = Court::open().await;
    let Auctioned { deal, purchaser, bidders, .. } = court.auctioned().await;
    let next = court.challenge_to_next_ranked(deal, purchaser, bidders[1], bidders[3]).await;

    // Annulled and awarded to the next-ranked: a correction says so, with why; the challenge
    // itself is not public while the deal goes on (C-5).
    within(Duration::from_secs(60), "the publisher catching up", court.node.published()).await;
    assert_eq!(notice_kinds(&court, deal).await, ["opening", "result", "correction"]);
    let seen = everything_public(&court).await;
    assert!(
        !seen.contains("中标供应商不满足资格条件"),
        "the challenge's grounds are not public yet"
    );
    assert!(!seen.contains("投诉成立，中标结果无效"), "nor the ruling");

    court.settle_once_final(&next, deal).await;
    within(Duration::from_secs(60), "the publisher catching up", court.node.published()).await;
    assert_eq!(
        notice_kinds(&court, deal).await,
        ["opening", "result", "correction", "contract", "challenges"]
    );
    let found =
        public_ok(&court, &format!("/api/v1/public/notices?deal={deal}&kind=challenges")).await;
    let id = found["notices"][0]["id"].as_str().expect("id");
    let notice = public_ok(&court, &format!("/api/v1/public/notices/{id}")).await;
    let challenge = &notice["body"]["challenges"][0];
    assert_eq!(challenge["challenger"], bidders[1].0, "{notice}");
    assert_eq!(challenge["grounds"], "中标供应商不满足资格条件");
    assert_eq!(challenge["ruling"], "投诉成立，中标结果无效");
    assert_eq!(challenge["state"], "complaint_upheld");
    // The record keeps both awards: the first cancelled, the next-ranked's active.
    let (tags, compiled) = record(&court, deal).await;
    assert_eq!(
        tags,
        [
            json!(["tender"]),
            json!(["award"]),
            json!(["awardUpdate", "contractUpdate"]),
            json!(["award"]),
            json!(["contract"])
        ]
    );
    let awards = compiled["awards"].as_array().expect("awards");
    assert_eq!(awards.len(), 2, "{compiled}");
    assert_eq!(awards[0]["status"], "cancelled");
    assert_eq!(awards[0]["suppliers"][0]["id"], json!(code_of(&court, bidders[0])));
    assert_eq!(awards[1]["status"], "active");
    assert_eq!(awards[1]["suppliers"][0]["id"], json!(code_of(&court, bidders[1])));
    let contracts = compiled["contracts"].as_array().expect("contracts");
    assert_eq!(
        contracts.iter().map(|c| c["status"].as_str().unwrap_or("")).collect::<Vec<_>>(),
        ["cancelled", "active"]
    );
    court.node.shutdown().await.expect("shutdown");
}

/// A market that ran, and pruned its journal, before it had a publisher: publication begins at the
/// newest snapshot instead of retrying the pruned records for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_added_to_a_market_whose_early_journal_is_pruned_begins_at_its_snapshot() {
    use gateway::journal::Layout;
    use gateway::journal::access::JournalAccess;
    use gateway::journal::storage::{FileStorage, Storage};
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = Layout::new(dir.path().join("data"));
    let storage: Arc<dyn Storage> = Arc::new(FileStorage::new());
    let now = gateway::runtime::Clock::now(&gateway::runtime::SystemClock);
    let mut sink =
        gateway::demo::JournalSink::create(storage.clone(), layout.clone(), now).expect("sink");
    let today = engine::types::shanghai_date(now);
    gateway::demo::load(&mut sink, today, gateway::demo::DemoSizes::default()).expect("load");
    let end = sink.finish().expect("finish");
    // Every segment gone: only the snapshot at the end remains, as pruning would have left it.
    for segment in storage.list(&layout.journal_dir()).expect("segments") {
        std::fs::remove_file(segment).expect("remove");
    }
    let db = Database::connect(&format!("sqlite://{}/publication.db", dir.path().display()))
        .await
        .expect("db");
    let (_durable, watching) = tokio::sync::watch::channel(end);
    let marks = Marks::new(Arc::new(AtomicU64::new(0)), &["publisher"]);
    let journal = JournalAccess::Files { storage, layout };
    let publisher = Publisher::start(db.clone(), journal, watching, marks);
    within(
        Duration::from_secs(60),
        "the publisher beginning at the snapshot",
        publisher.caught_up(end),
    )
    .await;
    assert_eq!(db.offset(gateway::publish::PUBLISHER).await.expect("offset"), end);
    assert_eq!(db.publication_counts().await.expect("counts"), (0, 0), "nothing before it");
    publisher.stop().await;
    db.close().await;
}
