//! Reference data: regions, categories, products, participants, affiliations, agreements.

use engine::catalog::{AffiliationBasis, ParticipantKind, ParticipantStatus, Registration};
use engine::types::{Actor, ParticipantId};
use engine::{Action, Entity, Field, Reason};

use crate::market::*;

#[test]
fn regions_form_a_three_level_hierarchy() {
    let mut m = Market::new();
    let xihu = m.engine.region(region(XIHU)).expect("xihu");
    assert_eq!(xihu.chain.codes(), &[region(XIHU), region(HANGZHOU), region(PROVINCE)]);
    let reason = m.refused(
        Actor::SYSTEM,
        Action::DefineRegion {
            code: region("330199"),
            name: "街道".into(),
            parent: Some(region(XIHU)),
        },
    );
    assert_eq!(reason, Reason::Invalid { field: Field::Parent });
    let reason = m.refused(
        Actor::SYSTEM,
        Action::DefineRegion {
            code: region("330300"),
            name: "温州市".into(),
            parent: Some(region("340000")),
        },
    );
    assert_eq!(reason, Reason::NotFound { what: Entity::Region });
}

#[test]
fn a_supplier_registers_once_by_its_credit_code() {
    let mut m = Market::new();
    let registration = Registration {
        kind: ParticipantKind::Supplier,
        name: "联想（北京）有限公司".into(),
        credit_code: Some(credit_code(42)),
        region: None,
    };
    m.operator(Action::RegisterParticipant(registration.clone()));
    let again = Registration { name: "联想北京".into(), ..registration };
    let reason = m.refused(Actor::SYSTEM, Action::RegisterParticipant(again));
    assert_eq!(reason, Reason::AlreadyExists { what: Entity::CreditCode });
}

#[test]
fn a_supplier_without_a_credit_code_and_a_purchaser_without_a_region_are_refused() {
    let mut m = Market::new();
    let reason = m.refused(
        Actor::SYSTEM,
        Action::RegisterParticipant(Registration {
            kind: ParticipantKind::Supplier,
            name: "无名".into(),
            credit_code: None,
            region: None,
        }),
    );
    assert_eq!(reason, Reason::Invalid { field: Field::CreditCode });
    let reason = m.refused(
        Actor::SYSTEM,
        Action::RegisterParticipant(Registration {
            kind: ParticipantKind::Purchaser,
            name: "无区划单位".into(),
            credit_code: None,
            region: None,
        }),
    );
    assert_eq!(reason, Reason::Invalid { field: Field::Region });
}

#[test]
fn only_operators_load_reference_data() {
    let mut s = Scene::new();
    let reason = s.market.refused(
        as_user(s.school),
        Action::SuspendSupplier { supplier: s.lenovo, reason: "x".into() },
    );
    assert_eq!(reason, Reason::NotPermitted);
    let centre = {
        s.market.operator(Action::RegisterParticipant(Registration {
            kind: ParticipantKind::Operator,
            name: "浙江省政府采购中心".into(),
            credit_code: None,
            region: Some(region(PROVINCE)),
        }));
        ParticipantId(s.market.last_seq_id())
    };
    s.market
        .ok(as_user(centre), Action::SuspendSupplier { supplier: s.lenovo, reason: "x".into() });
    let status = s.market.engine.participant(s.lenovo).expect("lenovo").status;
    assert_eq!(status, ParticipantStatus::Suspended);
}

#[test]
fn affiliated_suppliers_are_recorded_as_one_group() {
    let mut s = Scene::new();
    let third = s.market.supplier("第三家");
    s.market.operator(Action::DefineAffiliationGroup {
        members: vec![s.lenovo, s.dell],
        basis: AffiliationBasis::SameLegalRepresentative,
    });
    assert!(s.market.engine.affiliated(s.lenovo, s.dell));
    assert!(!s.market.engine.affiliated(s.lenovo, third));
    let reason = s.market.refused(
        Actor::SYSTEM,
        Action::DefineAffiliationGroup {
            members: vec![s.lenovo, s.school],
            basis: AffiliationBasis::Control,
        },
    );
    assert_eq!(reason, Reason::NotFound { what: Entity::Supplier });
    let reason = s.market.refused(
        Actor::SYSTEM,
        Action::DefineAffiliationGroup {
            members: vec![s.lenovo, s.lenovo],
            basis: AffiliationBasis::Control,
        },
    );
    assert_eq!(reason, Reason::Invalid { field: Field::Members });
}

#[test]
fn an_agreement_needs_a_known_supplier_product_and_regions_and_a_positive_ceiling() {
    let mut s = Scene::new();
    let grant = engine::catalog::Grant {
        supplier: s.lenovo,
        product: s.desktop,
        regions: vec![region(PROVINCE)],
        ceiling: price("5000"),
        valid_from: time::macros::date!(2026 - 01 - 01),
        valid_to: time::macros::date!(2026 - 12 - 31),
        stock: None,
    };
    let cases = [
        (
            engine::catalog::Grant { supplier: s.school, ..grant.clone() },
            Reason::NotFound { what: Entity::Supplier },
        ),
        (
            engine::catalog::Grant { regions: vec![], ..grant.clone() },
            Reason::Invalid { field: Field::Regions },
        ),
        (
            engine::catalog::Grant { regions: vec![region("110000")], ..grant.clone() },
            Reason::NotFound { what: Entity::Region },
        ),
        (
            engine::catalog::Grant { ceiling: price("0"), ..grant.clone() },
            Reason::Invalid { field: Field::Price },
        ),
        (
            engine::catalog::Grant {
                valid_to: time::macros::date!(2025 - 12 - 31),
                ..grant.clone()
            },
            Reason::Invalid { field: Field::Dates },
        ),
        (
            engine::catalog::Grant { stock: Some(qty("0.5")), ..grant.clone() },
            Reason::QuantityScale { scale: 0 },
        ),
    ];
    for (grant, expected) in cases {
        assert_eq!(s.market.refused(Actor::SYSTEM, Action::GrantAgreement(grant)), expected);
    }
}

#[test]
fn product_skus_are_unique_and_scales_at_most_three_decimals() {
    let mut m = Market::new();
    m.product("SKU-1", DESKTOPS, 0);
    let spec = engine::catalog::ProductSpec {
        sku: "SKU-1".into(),
        category: category(DESKTOPS),
        brand: "b".into(),
        model: "m".into(),
        spec: "s".into(),
        unit: "台".into(),
        scale: 0,
    };
    let reason = m.refused(Actor::SYSTEM, Action::DefineProduct(spec.clone()));
    assert_eq!(reason, Reason::AlreadyExists { what: Entity::Product });
    let reason = m.refused(
        Actor::SYSTEM,
        Action::DefineProduct(engine::catalog::ProductSpec {
            sku: "SKU-2".into(),
            scale: 4,
            ..spec
        }),
    );
    assert_eq!(reason, Reason::Invalid { field: Field::Scale });
}

#[test]
fn user_accounts_have_unique_well_formed_logins_and_are_opened_by_operators() {
    let mut s = Scene::new();
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".to_string();
    let open = |participant, login: &str| Action::RegisterUser {
        participant,
        login: login.into(),
        password_hash: hash.clone(),
    };
    s.market.operator(open(s.school, "xihu-school-1"));
    let account = s.market.engine.user_by_login("xihu-school-1").expect("account");
    assert_eq!(account.participant, s.school);
    assert_eq!(s.market.engine.user(account.id).map(|u| u.login.as_str()), Some("xihu-school-1"));
    let reason = s.market.refused(Actor::SYSTEM, open(s.lenovo, "xihu-school-1"));
    assert_eq!(reason, Reason::AlreadyExists { what: Entity::User });
    assert_eq!(
        s.market.refused(Actor::SYSTEM, open(s.lenovo, "No Spaces")),
        Reason::Invalid { field: Field::Name }
    );
    assert_eq!(
        s.market.refused(as_user(s.school), open(s.school, "self-made")),
        Reason::NotPermitted
    );
}

#[test]
fn u2_a_user_sets_its_own_password_and_an_operator_resets_one_to_a_one_time_password() {
    let mut s = Scene::new();
    let hash = |n: u8| format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g{n}");
    s.market.operator(Action::RegisterUser {
        participant: s.school,
        login: "xihu-school-2".into(),
        password_hash: hash(1),
    });
    let account = s.market.engine.user_by_login("xihu-school-2").expect("account").clone();
    let me = Actor::new(s.school, account.id);
    s.market.now = s.market.now.plus_ms(60_000);
    let set = |password_hash: String, one_time| Action::SetPassword {
        user: account.id,
        password_hash,
        one_time,
    };
    s.market.ok(me, set(hash(2), false));
    let changed = s.market.engine.user(account.id).expect("account");
    assert_eq!(
        (changed.password_hash.as_str(), changed.must_change_password),
        (hash(2).as_str(), false)
    );
    assert_eq!(changed.sessions_from, s.market.now, "sessions opened before the change end");
    // Nobody else sets it; an operator resets it to a one-time password.
    let stranger = as_user(s.lenovo);
    assert_eq!(s.market.refused(stranger, set(hash(3), false)), Reason::NotPermitted);
    assert_eq!(s.market.refused(me, set(hash(3), true)), Reason::NotPermitted);
    s.market.operator(set(hash(4), true));
    assert!(s.market.engine.user(account.id).expect("account").must_change_password);
    assert_eq!(
        s.market.refused(me, set("plain text".into(), false)),
        Reason::Invalid { field: Field::Password }
    );
}

#[test]
fn u2_an_operator_disables_an_account_and_enables_it_again_but_not_its_own() {
    let mut s = Scene::new();
    s.market.operator(Action::RegisterUser {
        participant: s.school,
        login: "xihu-school-3".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into(),
    });
    let user = s.market.engine.user_by_login("xihu-school-3").expect("account").id;
    let active = |active| Action::SetUserActive { user, active, reason: "离职".into() };
    assert_eq!(s.market.refused(as_user(s.school), active(false)), Reason::NotPermitted);
    s.market.operator(active(false));
    assert!(!s.market.engine.user(user).expect("account").active);
    s.market.operator(active(true));
    assert!(s.market.engine.user(user).expect("account").active);
    let operator = Actor::SYSTEM;
    let own = Action::SetUserActive { user: operator.user, active: false, reason: "x".into() };
    assert_eq!(s.market.refused(operator, own), Reason::NotPermitted);
}
