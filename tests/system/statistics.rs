//! Procurement statistics (T-1) over HTTP, figures worked out by hand for a scripted day: two
//! counties of one city and a second city; an auction awarded, an auction failed, an auction
//! cancelled, a direct order. Every column is checked, the city rolls its counties up, savings are
//! exact to the fen, and the CSV carries the same figures.

use std::time::Duration;

use engine::catalog::RegionLevel;
use engine::types::{Amount, BudgetLineId, ParticipantId, ProductId, RegionCode, UnitPrice};
use gateway::demo::{Contest, contests};
use serde_json::{Value, json};

use crate::after_award::Court;
use crate::helpers::*;

/// A contest whose purchaser sits in a county.
struct Buyer {
    purchaser: ParticipantId,
    line: BudgetLineId,
    product: ProductId,
    bidders: Vec<ParticipantId>,
    county: RegionCode,
    city: RegionCode,
    ceiling: UnitPrice,
}

fn buyers(court: &Court) -> Vec<Buyer> {
    let (found, _) = court.node.replica.read(|e| {
        contests(e, 3, Amount::from_minor(10_000_000))
            .filter_map(|Contest { purchaser, line, product, bidders }| {
                let region = e.participant(purchaser)?.region?;
                let county = e.region(region.region())?;
                if county.level != RegionLevel::County {
                    return None;
                }
                let ceiling = e
                    .agreements()
                    .filter(|a| a.product == product && bidders.contains(&a.supplier))
                    .map(|a| a.ceiling)
                    .min()?;
                Some(Buyer {
                    purchaser,
                    line,
                    product,
                    bidders,
                    county: county.code,
                    city: county.parent?,
                    ceiling,
                })
            })
            .collect::<Vec<_>>()
    });
    found
}

fn fen(text: &str) -> i64 {
    Amount::parse(text).expect("an amount").minor()
}

fn yuan(fen: i64) -> String {
    Amount::from_minor(fen).to_string()
}

/// `n / d` in percent to hundredths, half up.
fn percent(n: i64, d: i64) -> String {
    let hundredths = (2 * n * 10_000 + d) / (2 * d);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

async fn open_auction(court: &Court, b: &Buyer, quantity: &str) -> u64 {
    let terms = json!({ "product": b.product.0, "quantity": quantity, "budget_line": b.line.0,
        "ceiling": b.ceiling.to_string(), "duration_seconds": 600, "min_step": "0.01", "min_bidders": 3 });
    let opened = court.ok(b.purchaser, "POST", "/api/v1/auctions", Some(terms)).await;
    opened["auction"]["auction"].as_u64().expect("id")
}

fn row<'a>(rows: &'a Value, key: &str, code: &str) -> &'a Value {
    rows.as_array()
        .expect("rows")
        .iter()
        .find(|r| r[key]["code"] == code)
        .unwrap_or_else(|| panic!("a row of {key} {code}: {rows}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t1_statistics_of_a_scripted_day_roll_counties_up_into_their_city_exact_to_the_fen() {
    let court = Court::open().await;
    let all = buyers(&court);
    // Two purchasers in different counties of one city, a third in another city.
    let (a, b) = all
        .iter()
        .enumerate()
        .find_map(|(i, x)| {
            all[i + 1..].iter().find(|y| y.city == x.city && y.county != x.county).map(|y| (x, y))
        })
        .expect("two counties of one city with contests");
    let c = all.iter().find(|z| z.city != a.city).expect("a contest in another city");

    // County A: an auction of 2 units, bids 30, 20 and 10 yuan under the ceiling: 10 below wins.
    let awarded = open_auction(&court, a, "2").await;
    for (bidder, cents) in a.bidders.iter().take(3).zip([1_000, 2_000, 3_000]) {
        let price = UnitPrice::from_minor(a.ceiling.minor() - cents * 100).to_string();
        court
            .ok(
                *bidder,
                "POST",
                &format!("/api/v1/auctions/{awarded}/bids"),
                Some(json!({ "price": price })),
            )
            .await;
    }
    // County A again: an auction with one bidder, which fails (3 needed).
    let failed = open_auction(&court, a, "1").await;
    let price = UnitPrice::from_minor(a.ceiling.minor() - 100).to_string();
    court
        .ok(
            a.bidders[0],
            "POST",
            &format!("/api/v1/auctions/{failed}/bids"),
            Some(json!({ "price": price })),
        )
        .await;
    // County B: a direct order of 3 units at the best offer.
    let order = json!({ "product": b.product.0, "quantity": "3", "budget_line": b.line.0 });
    let placed = court.ok(b.purchaser, "POST", "/api/v1/orders", Some(order)).await;
    let order_amount = fen(placed["order"]["amount"].as_str().expect("amount"));
    let (order_ceiling, order_small) = court
        .node
        .replica
        .read(|e| {
            let mut ceiling = 0;
            let mut small = 0;
            for t in placed["trades"].as_array().expect("trades") {
                let agreement = e
                    .agreements()
                    .find(|g| {
                        g.product == b.product
                            && g.supplier.0 == t["supplier"].as_u64().unwrap_or(0)
                    })
                    .expect("the agreement filled");
                let quantity =
                    engine::types::Quantity::parse(t["quantity"].as_str().unwrap_or("0"))
                        .expect("qty");
                ceiling += agreement.ceiling.times(quantity).expect("amount").minor();
                let supplier = e.participant(agreement.supplier).expect("supplier");
                if supplier.size.is_some_and(|s| s.is_small_or_micro()) {
                    small += fen(t["amount"].as_str().unwrap_or("0"));
                }
            }
            (ceiling, small)
        })
        .0;
    // Another city: an auction cancelled before any bid.
    let cancelled = open_auction(&court, c, "1").await;
    court
        .ok(
            c.purchaser,
            "POST",
            &format!("/api/v1/auctions/{cancelled}/cancel"),
            Some(json!({ "reason": "需求取消" })),
        )
        .await;

    court.clock.advance_ms(601_000);
    court.award(a.purchaser, awarded, "provisional").await;
    within(Duration::from_secs(60), "the publisher catching up", court.node.published()).await;

    // By hand.
    let winner = a.bidders[2];
    let win_price = a.ceiling.minor() - 3_000 * 100; // in 0.0001 yuan
    let auction_amount = win_price * 2 / 100; // fen
    let auction_ceiling = a.ceiling.minor() * 2 / 100;
    let (winner_small, _) = court.node.replica.read(|e| {
        e.participant(winner).and_then(|p| p.size).is_some_and(|s| s.is_small_or_micro())
    });
    let operator = court.operator();
    let month = {
        let date = engine::types::shanghai_date(court.node.replica.read(|e| e.clock()).0);
        format!("{:04}-{:02}", date.year(), u8::from(date.month()))
    };
    let city = a.city.to_string();
    let path = format!("/api/v1/statistics?region={city}&by=region&from={month}&to={month}");
    let figures = court.ok(operator, "GET", &path, None).await;
    let rows = &figures["rows"];
    assert_eq!(rows.as_array().map(Vec::len), Some(2), "the city's two counties: {figures}");

    let county_a = row(rows, "region", &a.county.to_string());
    assert_eq!(county_a["period"], month);
    assert_eq!(county_a["deals"], 1);
    assert_eq!(county_a["failed"], 1);
    assert_eq!(county_a["cancelled"], 0);
    assert_eq!(county_a["failure_rate"], "50.00");
    assert_eq!(county_a["amount"], yuan(auction_amount));
    assert_eq!(county_a["saved_against_ceiling"], yuan(auction_ceiling - auction_amount));
    assert_eq!(
        county_a["saving_rate_ceiling"],
        percent(auction_ceiling - auction_amount, auction_ceiling)
    );
    assert_eq!(county_a["saved_against_budget"], yuan(auction_ceiling - auction_amount));
    assert_eq!(
        county_a["saving_rate_budget"],
        percent(auction_ceiling - auction_amount, auction_ceiling)
    );
    // Three bidders in the awarded auction, one in the failed: two on average.
    assert_eq!(county_a["mean_participants"], "2.00");
    let small = if winner_small { auction_amount } else { 0 };
    assert_eq!(county_a["small_amount"], yuan(small));
    assert_eq!(county_a["small_share"], percent(small, auction_amount));

    let county_b = row(rows, "region", &b.county.to_string());
    assert_eq!(county_b["deals"], 1);
    assert_eq!(county_b["failed"], 0);
    assert_eq!(county_b["failure_rate"], "0.00");
    assert_eq!(county_b["amount"], yuan(order_amount));
    assert_eq!(county_b["saved_against_ceiling"], yuan(order_ceiling - order_amount));
    assert_eq!(
        county_b["saving_rate_ceiling"],
        percent(order_ceiling - order_amount, order_ceiling)
    );
    // A direct order holds no budget: nothing saved against it, and no rate.
    assert_eq!(county_b["saved_against_budget"], "0.00");
    assert_eq!(county_b["saving_rate_budget"], Value::Null);
    assert_eq!(county_b["mean_participants"], Value::Null);
    assert_eq!(county_b["small_amount"], yuan(order_small));

    // The province by city: the first city sums its two counties; the other city's cancelled
    // auction counts as cancelled, not failed.
    let path = format!("/api/v1/statistics?by=region&from={month}&to={month}");
    let province = court.ok(operator, "GET", &path, None).await;
    let whole_city = row(&province["rows"], "region", &city);
    assert_eq!(whole_city["deals"], 2);
    assert_eq!(whole_city["failed"], 1);
    assert_eq!(whole_city["failure_rate"], "33.33");
    assert_eq!(whole_city["amount"], yuan(auction_amount + order_amount));
    let ceilings = auction_ceiling + order_ceiling;
    let saved = ceilings - auction_amount - order_amount;
    assert_eq!(whole_city["saved_against_ceiling"], yuan(saved));
    assert_eq!(whole_city["saving_rate_ceiling"], percent(saved, ceilings));
    assert_eq!(whole_city["saved_against_budget"], yuan(auction_ceiling - auction_amount));
    let other = row(&province["rows"], "region", &c.city.to_string());
    assert_eq!(
        (other["deals"].as_i64(), other["failed"].as_i64(), other["cancelled"].as_i64()),
        (Some(0), Some(0), Some(1))
    );
    assert_eq!(other["failure_rate"], Value::Null);

    // By mode, a quarter, the CSV: the same figures.
    let path =
        format!("/api/v1/statistics?region={city}&by=mode&period=quarter&from={month}&to={month}");
    let by_mode = court.ok(operator, "GET", &path, None).await;
    let modes: Vec<&str> = by_mode["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["mode"].as_str())
        .collect();
    assert_eq!(modes, ["auction", "direct_order"], "{by_mode}");
    assert!(by_mode["rows"][0]["period"].as_str().is_some_and(|p| p.contains("-Q")));
    let csv = court
        .http
        .request(
            hyper::Request::get(format!(
                "{}/api/v1/statistics.csv?region={city}&by=region&from={month}&to={month}",
                court.base
            ))
            .header("authorization", format!("Bearer {}", court.token(operator)))
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .expect("request"),
        )
        .await
        .expect("csv");
    assert_eq!(csv.status(), 200);
    let kind = csv.headers()["content-type"].to_str().unwrap_or_default().to_string();
    assert!(kind.starts_with("text/csv"), "{kind}");
    use http_body_util::BodyExt;
    let body = csv.into_body().collect().await.expect("body").to_bytes();
    let text = String::from_utf8(body.to_vec()).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with('\u{feff}') && lines[0].contains("成交金额(元)"), "{}", lines[0]);
    assert_eq!(lines.len(), 3, "a header and the two counties:\n{text}");
    let county_line =
        lines.iter().find(|l| l.contains(&a.county.to_string())).expect("county A's line");
    assert!(county_line.contains(&format!(",{},", yuan(auction_amount))), "{county_line}");

    // Only those who oversee read statistics; a bad month is a 400.
    let (status, _) = court.call(a.purchaser, "GET", "/api/v1/statistics", None).await;
    assert_eq!(status, 403);
    let (status, body) = court.call(operator, "GET", "/api/v1/statistics?from=2026-13", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_input")));
    court.node.shutdown().await.expect("shutdown");
}
