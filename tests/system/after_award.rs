//! After the award, end to end over HTTP on a node with its database (C-1 to C-4, B-3): an auction
//! and an inquiry are each awarded, challenged, answered, complained about, suspended, annulled by
//! the regulator's ruling and awarded to the next-ranked at its own price; settlement waits for the
//! new award to become final; the books reconcile with no difference.

use std::sync::Arc;
use std::time::Duration;

use engine::types::{Amount, ParticipantId, UnitPrice};
use gateway::demo::{Contest, contests, demo_user};
use gateway::node::Node;
use gateway::runtime::{Clock, ManualClock, SystemClock};
use serde_json::{Value, json};

use crate::helpers::*;

const DAY: i64 = 86_400_000;

/// A node on its embedded database with the engine's clock set by hand, served over HTTP.
pub struct Court {
    pub node: Node,
    pub base: String,
    pub http: HttpClient,
    pub clock: ManualClock,
    _dir: tempfile::TempDir,
}

/// An auction awarded and provisional: its deal, purchaser, bidders (the first three bid 30, 20
/// and 10 cents under the ceiling, so the first wins) and ceiling.
pub struct Auctioned {
    pub deal: u64,
    pub purchaser: ParticipantId,
    pub bidders: Vec<ParticipantId>,
    pub ceiling: UnitPrice,
}

impl Court {
    pub async fn open() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::at(SystemClock.now());
        let (node, _) =
            Node::open_with_clock(&settings(dir.path(), None), true, Arc::new(clock.clone()))
                .await
                .expect("open");
        let base = serve(node.app_state()).await;
        Self { node, base, http: http_client(), clock, _dir: dir }
    }

    pub fn token(&self, who: ParticipantId) -> String {
        let actor = demo_user(who);
        self.node.tokens.issue(actor.user, actor.participant).0
    }

    pub async fn call(
        &self,
        who: ParticipantId,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let token = self.token(who);
        call(&self.http, method, &format!("{}{path}", self.base), Some(&token), body).await
    }

    pub async fn ok(
        &self,
        who: ParticipantId,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let (status, reply) = self.call(who, method, path, body).await;
        assert!((200..300).contains(&status), "{method} {path}: {status} {reply}");
        reply
    }

    /// A contested product's auction, bid by three of four holders within their own ceilings
    /// the auction's is the lowest of theirs), closed and provisionally awarded.
    pub async fn auctioned(&self) -> Auctioned {
        let (found, _) = self.node.replica.read(|e| {
            contests(e, 4, Amount::from_minor(10_000_000)).next().map(|c| {
                let ceiling = e
                    .agreements()
                    .filter(|a| a.product == c.product && c.bidders.contains(&a.supplier))
                    .map(|a| a.ceiling)
                    .min()
                    .expect("a ceiling");
                (c, ceiling)
            })
        });
        let (Contest { purchaser, line, product, bidders }, ceiling) = found.expect("a contest");
        let terms = json!({ "product": product.0, "quantity": "1", "budget_line": line.0,
            "ceiling": ceiling.to_string(), "duration_seconds": 600, "min_step": "0.01", "min_bidders": 3 });
        let opened = self.ok(purchaser, "POST", "/api/v1/auctions", Some(terms)).await;
        let deal = opened["auction"]["auction"].as_u64().expect("id");
        for (bidder, cents) in bidders.iter().take(3).zip([30, 20, 10]) {
            let price = UnitPrice::from_minor(ceiling.minor() - cents * 100).to_string();
            let bid = json!({ "price": price });
            self.ok(*bidder, "POST", &format!("/api/v1/auctions/{deal}/bids"), Some(bid)).await;
        }
        self.clock.advance_ms(601_000);
        self.award(purchaser, deal, "provisional").await;
        Auctioned { deal, purchaser, bidders, ceiling }
    }

    /// Waits until `deal` has an award in `state`, read by `who`.
    pub async fn award(&self, who: ParticipantId, deal: u64, state: &str) -> Value {
        within(Duration::from_secs(60), "the award's next state", async {
            loop {
                let (status, view) =
                    self.call(who, "GET", &format!("/api/v1/deals/{deal}/award"), None).await;
                if status == 200 && view["state"] == state {
                    return view;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
    }

    pub fn operator(&self) -> ParticipantId {
        self.node
            .replica
            .read(|e| {
                e.participants()
                    .find(|p| p.kind == engine::catalog::ParticipantKind::Operator)
                    .map(|p| p.id)
            })
            .0
            .expect("the province's operator")
    }

    /// Challenge by `challenger`, dismissed; complaint; suspension; the ruling upholds it; the
    /// purchaser awards the next-ranked. Returns the new award.
    pub async fn challenge_to_next_ranked(
        &self,
        deal: u64,
        purchaser: ParticipantId,
        challenger: ParticipantId,
        onlooker: ParticipantId,
    ) -> Value {
        let path = |rest: &str| format!("/api/v1/deals/{deal}/{rest}");
        let grounds = json!({ "grounds": "中标供应商不满足资格条件" });
        let filed = self.ok(challenger, "POST", &path("challenges"), Some(grounds.clone())).await;
        assert_eq!(filed["award"]["challenges"][0]["state"], "filed", "{filed}");
        // Before the deal ends, nobody else sees the challenge (C-5).
        let seen = self.ok(onlooker, "GET", &path("award"), None).await;
        assert_eq!(seen["challenges"], json!([]), "{seen}");
        let (status, twice) =
            self.call(challenger, "POST", &path("challenges"), Some(grounds)).await;
        assert_eq!((status, twice["error"]["code"].as_str()), (409, Some("already_exists")));
        let answer = json!({ "upheld": false, "text": "经审查，质疑事项不成立" });
        let c = challenger.0;
        self.ok(purchaser, "POST", &path(&format!("challenges/{c}/answer")), Some(answer)).await;
        let complaint = json!({ "grounds": "采购人答复不成立" });
        let complained = self.ok(challenger, "POST", &path("complaint"), Some(complaint)).await;
        assert!(complained["award"]["may_complain"] == false, "{complained}");
        let regulator = self.operator();
        let suspend = json!({ "reason": "投诉处理期间暂停采购活动" });
        let suspended = self.ok(regulator, "POST", &path("suspension"), Some(suspend)).await;
        assert!(suspended["award"]["suspended"].is_string(), "{suspended}");
        let ruling = json!({ "upheld": true, "text": "投诉成立，中标结果无效" });
        let ruled = self
            .ok(regulator, "POST", &path(&format!("challenges/{c}/ruling")), Some(ruling))
            .await;
        assert_eq!(ruled["award"]["state"], "vacant", "{ruled}");
        assert!(ruled["award"].get("suspended").is_none(), "the ruling lifts the suspension");
        let next = self.ok(purchaser, "POST", &path("next-ranked"), None).await;
        assert_eq!(next["award"]["state"], "provisional", "{next}");
        assert_eq!(next["award"]["rank"], 2, "{next}");
        next["award"].clone()
    }

    /// C-1: the next award's trades wait for its period; then the supplier delivers.
    pub async fn settle_once_final(&self, award: &Value, deal: u64) {
        let trade = award["trades"][0]["id"].as_str().expect("a trade").to_string();
        let supplier = ParticipantId(award["trades"][0]["supplier"].as_u64().expect("supplier"));
        let deliver = format!("/api/v1/trades/{trade}/deliver");
        let (status, refused) = self.call(supplier, "POST", &deliver, None).await;
        assert_eq!(
            (status, refused["error"]["code"].as_str()),
            (422, Some("award_not_final")),
            "{refused}"
        );
        assert_eq!(refused["error"]["rule"], "C-1");
        let ends = award["period_ends_ms"].as_i64().expect("period end");
        self.clock.set(engine::types::Timestamp(ends));
        let purchaser = ParticipantId(award["purchaser"].as_u64().expect("purchaser"));
        self.award(purchaser, deal, "final").await;
        self.ok(supplier, "POST", &deliver, None).await;
    }

    /// The books as of the persister's watermark: no difference.
    async fn reconciles(&self) {
        within(Duration::from_secs(60), "the persister catching up", self.node.persisted()).await;
        let report = self.ok(self.operator(), "GET", "/api/v1/reconciliation", None).await;
        assert_eq!(report["differences"], json!([]), "{report}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c4_an_auction_is_challenged_annulled_on_complaint_and_awarded_to_the_next_ranked_over_http()
 {
    let court = Court::open().await;
    let Auctioned { deal, purchaser, bidders, ceiling } = court.auctioned().await;
    let below = |cents: i64| UnitPrice::from_minor(ceiling.minor() - cents * 100).to_string();
    let first = court.award(purchaser, deal, "provisional").await;
    assert_eq!(first["ranking"][0]["supplier"], bidders[0].0, "{first}");
    let next = court.challenge_to_next_ranked(deal, purchaser, bidders[1], bidders[3]).await;
    assert_eq!(next["trades"][0]["supplier"], bidders[1].0, "{next}");
    assert_eq!(next["trades"][0]["unit_price"], below(20), "at its own price");
    court.settle_once_final(&next, deal).await;
    // The deal has ended: its challenge is public, with the challenger's name (C-5).
    let seen = court.ok(bidders[3], "GET", &format!("/api/v1/deals/{deal}/award"), None).await;
    assert_eq!(seen["ended"], true, "{seen}");
    assert_eq!(seen["challenges"][0]["challenger"], bidders[1].0, "{seen}");
    assert_eq!(seen["challenges"][0]["state"], "complaint_upheld", "{seen}");
    court.reconciles().await;
    court.node.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c4_an_inquiry_is_challenged_annulled_on_complaint_and_awarded_to_the_next_quote_over_http()
{
    let court = Court::open().await;
    let (cast, _) = court.node.replica.read(|e| {
        use engine::catalog::ParticipantKind;
        let need = Amount::parse("100000").expect("amount");
        let line = e.budget_lines().find(|l| l.balance.available() >= need).expect("a line");
        let mut suppliers: Vec<ParticipantId> = Vec::new();
        for p in e.participants().filter(|p| p.kind == ParticipantKind::Supplier && p.is_active()) {
            if suppliers.len() < 4 && suppliers.iter().all(|s| !e.affiliated(*s, p.id)) {
                suppliers.push(p.id);
            }
        }
        (line.purchaser, line.id.0, e.products().next().expect("a product").id.0, suppliers)
    });
    let (purchaser, line, product, s) = cast;
    let deadline = court.clock.now().ms() + 7 * DAY;
    let terms = json!({ "lines": [{ "product": product, "quantity": "10", "ceiling": "5000" }],
        "budget_line": line, "deadline_ms": deadline, "invited": [s[0].0, s[1].0, s[2].0] });
    let opened = court.ok(purchaser, "POST", "/api/v1/inquiries", Some(terms)).await;
    let deal = opened["inquiry"]["id"].as_u64().expect("id");
    for (who, price) in [(s[0], "4700"), (s[1], "4800"), (s[2], "4900")] {
        let quote = json!({ "prices": [price] });
        court.ok(who, "POST", &format!("/api/v1/inquiries/{deal}/quotes"), Some(quote)).await;
    }
    court.clock.advance_ms(7 * DAY);
    let first = court.award(purchaser, deal, "provisional").await;
    assert_eq!(first["trades"][0]["supplier"], s[0].0, "{first}");
    let next = court.challenge_to_next_ranked(deal, purchaser, s[2], s[3]).await;
    assert_eq!(next["trades"][0]["supplier"], s[1].0, "the second-lowest quote: {next}");
    assert_eq!(next["trades"][0]["unit_price"], "4800.00");
    court.settle_once_final(&next, deal).await;
    court.reconciles().await;
    court.node.shutdown().await.expect("shutdown");
}
