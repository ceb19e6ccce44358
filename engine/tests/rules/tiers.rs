//! U-3 tiered administration: an operator acts within its region and the regions below it; the
//! province's operators act everywhere, and alone on what belongs to the whole province.

use engine::catalog::{ParticipantKind, Registration};
use engine::types::{ParticipantId, UserId};
use engine::{Action, Reason};

use crate::market::*;

fn account(m: &mut Market, participant: ParticipantId, login: &str) -> UserId {
    m.operator(Action::RegisterUser {
        participant,
        login: login.into(),
        password_hash: "$argon2id$x".into(),
    });
    UserId(m.last_seq_id())
}

fn registration(kind: ParticipantKind, name: &str, at: Option<&str>) -> Registration {
    Registration { kind, name: name.into(), credit_code: None, region: at.map(region) }
}

#[test]
fn u3_a_city_operator_administers_its_city_and_its_districts_only() {
    let mut m = Market::new();
    let hangzhou = as_user(operator_of(&mut m, "杭州市政府采购中心", Some(HANGZHOU)));
    // Purchasers of its city and of a district below it: registered, funded, given accounts.
    m.ok(
        hangzhou,
        Action::RegisterParticipant(registration(
            ParticipantKind::Purchaser,
            "杭州市教育局",
            Some(HANGZHOU),
        )),
    );
    let city_unit = ParticipantId(m.last_seq_id());
    m.ok(
        hangzhou,
        Action::RegisterParticipant(registration(
            ParticipantKind::Purchaser,
            "西湖区卫健局",
            Some(XIHU),
        )),
    );
    let district_unit = ParticipantId(m.last_seq_id());
    for unit in [city_unit, district_unit] {
        m.ok(
            hangzhou,
            Action::AllocateBudget(engine::budget::Allocation {
                purchaser: unit,
                fiscal_year: 2026,
                project: "办公设备购置".into(),
                line_code: format!("L{}", unit.0),
                amount: amount("1000.00"),
            }),
        );
    }
    m.ok(
        hangzhou,
        Action::RegisterUser {
            participant: district_unit,
            login: "xihu.wj".into(),
            password_hash: "$argon2id$x".into(),
        },
    );
    m.ok(
        hangzhou,
        Action::SetDirectOrderLimit {
            region: region(XIHU),
            category: category(DESKTOPS),
            limit: Some(amount("50000.00")),
        },
    );

    // Another city's purchaser, budget, limit and accounts are out of its reach.
    let ningbo_unit = m.purchaser("宁波市财政局", NINGBO);
    let ningbo_line = m.budget(ningbo_unit, "1000.00");
    let ningbo_user = account(&mut m, ningbo_unit, "nb.cz");
    let refusals = [
        Action::RegisterParticipant(registration(
            ParticipantKind::Purchaser,
            "海曙区教育局",
            Some(HAISHU),
        )),
        Action::AdjustBudget {
            line: ningbo_line,
            allocated: amount("2000.00"),
            reason: "追加".into(),
        },
        Action::SetDirectOrderLimit {
            region: region(NINGBO),
            category: category(DESKTOPS),
            limit: None,
        },
        Action::RegisterUser {
            participant: ningbo_unit,
            login: "nb.two".into(),
            password_hash: "$argon2id$x".into(),
        },
        Action::SetPassword {
            user: ningbo_user,
            password_hash: "$argon2id$y".into(),
            one_time: true,
        },
        Action::SetUserActive { user: ningbo_user, active: false, reason: "离职".into() },
        // Above it: the province itself.
        Action::RegisterParticipant(registration(
            ParticipantKind::Purchaser,
            "浙江省财政厅",
            Some(PROVINCE),
        )),
        Action::SetDirectOrderLimit {
            region: region(PROVINCE),
            category: category(DESKTOPS),
            limit: None,
        },
    ];
    for action in refusals {
        let what = format!("{:?}", action.kind());
        assert_eq!(m.refused(hangzhou, action), Reason::OutsideRegion, "{what}");
    }
    assert_eq!(Reason::OutsideRegion.rule(), "U-3");
}

#[test]
fn u3_what_belongs_to_the_whole_province_is_for_the_provinces_operators() {
    let mut m = Market::new();
    let district = as_user(operator_of(&mut m, "西湖区政府采购中心", Some(XIHU)));
    let province = as_user(operator_of(&mut m, "浙江省政府采购中心", Some(PROVINCE)));
    let lenovo = m.supplier("联想");
    let refusals = [
        Action::DefineCategory {
            code: category("A05010000"),
            name: "办公用品".into(),
            parent: Some(category("A05000000")),
        },
        Action::RegisterParticipant(Registration {
            kind: ParticipantKind::Supplier,
            name: "华为".into(),
            credit_code: Some(credit_code(77)),
            region: Some(region(XIHU)),
        }),
        Action::SuspendSupplier { supplier: lenovo, reason: "失信".into() },
        Action::SetNegotiationRules { max_counters: 3 },
        // An operator of a district cannot create an operator above itself.
        Action::RegisterParticipant(registration(
            ParticipantKind::Operator,
            "杭州市中心",
            Some(HANGZHOU),
        )),
    ];
    for action in refusals {
        let what = format!("{:?}", action.kind());
        assert_eq!(m.refused(district, action.clone()), Reason::OutsideRegion, "{what}");
        m.ok(province, action);
    }
}

#[test]
fn u3_an_agreement_belongs_to_every_region_it_covers() {
    let mut m = Market::new();
    let hangzhou = as_user(operator_of(&mut m, "杭州市政府采购中心", Some(HANGZHOU)));
    let lenovo = m.supplier("联想");
    let desktop = m.product("LX-1", DESKTOPS, 0);
    let grant = |regions: &[&str]| {
        Action::GrantAgreement(engine::catalog::Grant {
            supplier: lenovo,
            product: desktop,
            regions: regions.iter().map(|c| region(c)).collect(),
            ceiling: price("5000.00"),
            valid_from: time::macros::date!(2026 - 01 - 01),
            valid_to: time::macros::date!(2026 - 12 - 31),
            stock: None,
        })
    };
    assert_eq!(m.refused(hangzhou, grant(&[XIHU, HAISHU])), Reason::OutsideRegion);
    m.ok(hangzhou, grant(&[XIHU, BINJIANG]));
    let own = engine::types::AgreementId(m.last_seq_id());
    m.ok(hangzhou, Action::ChangeCeiling { agreement: own, ceiling: price("4800.00") });
    let wide = m.agreement(lenovo, desktop, &[HANGZHOU, NINGBO], "5000.00", None);
    assert_eq!(
        m.refused(hangzhou, Action::ChangeCeiling { agreement: wide, ceiling: price("4000.00") }),
        Reason::OutsideRegion
    );
    assert_eq!(
        m.refused(hangzhou, Action::RevokeAgreement { agreement: wide, reason: "违约".into() }),
        Reason::OutsideRegion
    );
    // Someone who is no operator learns nothing: not even whether the agreement exists.
    let unit = as_user(m.purchaser("杭州市教育局", HANGZHOU));
    let missing = engine::types::AgreementId(999_999);
    assert_eq!(
        m.refused(unit, Action::ChangeCeiling { agreement: missing, ceiling: price("1.00") }),
        Reason::NotPermitted
    );
}
