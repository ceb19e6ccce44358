//! Reference data over REST, for the procurement centre (operator): regions, categories, products,
//! participants and their suspension, affiliation groups, framework agreements, direct-order
//! limits, budget allocations and user accounts; and a supplier's stock. Each body parses into the
//! engine's own command, so the rules are the engine's (docs/DESIGN.md, Units); the gateway only turns
//! text into exact values and hashes passwords, which never enter the journal in the clear.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use engine::budget::Allocation;
use engine::catalog::{AffiliationBasis, Grant, ParticipantKind, ProductSpec, Registration};
use engine::types::{
    AgreementId, Amount, BudgetLineId, CategoryCode, CreditCode, ParticipantId, ProductId,
    Quantity, RegionCode, UnitPrice,
};
use engine::{Action, Event};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::Body;
use super::state::AppState;
use super::{Done, Session, submit};
use crate::error::ApiError;

fn parsed<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| ApiError::invalid(format!("{field}: {e}")))
}

fn date(field: &str, text: &str) -> Result<time::Date, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format)
        .map_err(|_| ApiError::invalid(format!("{field}: a date such as 2026-01-31")))
}

/// Submits an operator's command and answers 201 with what `created` finds in its events.
async fn operate(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    roles: &[ParticipantKind],
    action: Action,
    created: impl Fn(&Event) -> Option<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    session.require(roles)?;
    match submit(state, session, headers, action).await? {
        Done::Retried { original } => {
            Ok((StatusCode::OK, Json(json!({ "already_applied": original.0 }))))
        }
        Done::Applied { seq, events } => {
            let found = events.iter().find_map(|e| created(&e.event));
            Ok((StatusCode::CREATED, Json(json!({ "created": found, "seq": seq.0 }))))
        }
    }
}

const OPERATOR: &[ParticipantKind] = &[ParticipantKind::Operator];

/// Body of `POST /api/v1/regions` and `POST /api/v1/categories`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefineCode {
    code: String,
    name: String,
    parent: Option<String>,
}

/// `POST /api/v1/regions`: an administrative region under its parent.
#[utoipa::path(post, path = "/api/v1/regions", request_body = DefineCode, tag = "reference",
    responses((status = 201, description = "Defined"), (status = 403, description = "Operators only")))]
pub async fn define_region(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<DefineCode>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let parent = body.parent.as_deref().map(|p| parsed::<RegionCode>("parent", p)).transpose()?;
    let action =
        Action::DefineRegion { code: parsed("code", &body.code)?, name: body.name, parent };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::RegionDefined { code, .. } => Some(json!({ "region": code.to_string() })),
        _ => None,
    })
    .await
}

/// `POST /api/v1/categories`: a catalog category under its parent.
#[utoipa::path(post, path = "/api/v1/categories", request_body = DefineCode, tag = "reference",
    responses((status = 201, description = "Defined"), (status = 403, description = "Operators only")))]
pub async fn define_category(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<DefineCode>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let parent = body.parent.as_deref().map(|p| parsed::<CategoryCode>("parent", p)).transpose()?;
    let action =
        Action::DefineCategory { code: parsed("code", &body.code)?, name: body.name, parent };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::CategoryDefined { code, .. } => Some(json!({ "category": code.to_string() })),
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/products`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefineProduct {
    sku: String,
    category: String,
    brand: String,
    model: String,
    spec: String,
    unit: String,
    /// Quantity decimals, 0 to 3.
    scale: u8,
}

/// `POST /api/v1/products`: a catalog product (SKU).
#[utoipa::path(post, path = "/api/v1/products", request_body = DefineProduct, tag = "reference",
    responses((status = 201, description = "Defined"), (status = 403, description = "Operators only")))]
pub async fn define_product(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<DefineProduct>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let spec = ProductSpec {
        sku: b.sku,
        category: parsed("category", &b.category)?,
        brand: b.brand,
        model: b.model,
        spec: b.spec,
        unit: b.unit,
        scale: b.scale,
    };
    operate(&state, &session, &headers, OPERATOR, Action::DefineProduct(spec), |e| match e {
        Event::ProductDefined { product, .. } => Some(json!({ "product": product.0 })),
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/participants`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterParticipant {
    /// purchaser, supplier, analyst or operator.
    kind: String,
    name: String,
    /// Unified social credit code (统一社会信用代码); required of suppliers.
    credit_code: Option<String>,
    /// Required of purchasers and analysts.
    region: Option<String>,
}

fn kind(text: &str) -> Result<ParticipantKind, ApiError> {
    text.parse().map_err(|_| ApiError::invalid("kind is purchaser, supplier, analyst or operator"))
}

/// `POST /api/v1/participants`: registers a purchasing unit, supplier, analyst or operator.
#[utoipa::path(post, path = "/api/v1/participants", request_body = RegisterParticipant, tag = "reference",
    responses((status = 201, description = "Registered"), (status = 400, description = "A bad credit code or region")))]
pub async fn register_participant(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<RegisterParticipant>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let registration = Registration {
        kind: kind(&b.kind)?,
        name: b.name,
        credit_code: b
            .credit_code
            .as_deref()
            .map(|c| parsed::<CreditCode>("credit_code", c))
            .transpose()?,
        region: b.region.as_deref().map(|r| parsed::<RegionCode>("region", r)).transpose()?,
    };
    let action = Action::RegisterParticipant(registration);
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::ParticipantRegistered { participant, .. } => {
            Some(json!({ "participant": participant.0 }))
        }
        _ => None,
    })
    .await
}

/// A reason, required to suspend, reinstate or revoke.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reasoned {
    reason: String,
}

/// `POST /api/v1/suppliers/{id}/{suspend|reinstate}`: a suspension bites at once (D-2, A-6).
#[utoipa::path(post, path = "/api/v1/suppliers/{id}/{step}", request_body = Reasoned, tag = "reference",
    params(("id" = u64, Path, description = "Supplier"), ("step" = String, Path, description = "suspend or reinstate")),
    responses((status = 201, description = "Done"), (status = 403, description = "Operators only")))]
pub async fn supplier_status(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((id, step)): Path<(u64, String)>,
    Body(b): Body<Reasoned>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let supplier = ParticipantId(id);
    let action = match step.as_str() {
        "suspend" => Action::SuspendSupplier { supplier, reason: b.reason },
        "reinstate" => Action::ReinstateSupplier { supplier, reason: b.reason },
        _ => return Err(ApiError::not_found("supplier step")),
    };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::SupplierSuspended { supplier, .. } => {
            Some(json!({ "supplier": supplier.0, "status": "suspended" }))
        }
        Event::SupplierReinstated { supplier, .. } => {
            Some(json!({ "supplier": supplier.0, "status": "active" }))
        }
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/affiliation-groups`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefineGroup {
    members: Vec<u64>,
    /// same_legal_representative or control.
    basis: String,
}

/// `POST /api/v1/affiliation-groups`: suppliers that count as one (政府采购法实施条例 Art. 18).
#[utoipa::path(post, path = "/api/v1/affiliation-groups", request_body = DefineGroup, tag = "reference",
    responses((status = 201, description = "Defined"), (status = 403, description = "Operators only")))]
pub async fn define_group(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<DefineGroup>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let basis = match b.basis.as_str() {
        "same_legal_representative" => AffiliationBasis::SameLegalRepresentative,
        "control" => AffiliationBasis::Control,
        _ => return Err(ApiError::invalid("basis is same_legal_representative or control")),
    };
    let members = b.members.into_iter().map(ParticipantId).collect();
    let action = Action::DefineAffiliationGroup { members, basis };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::AffiliationGroupDefined { group, .. } => Some(json!({ "group": group.0 })),
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/agreements`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantAgreement {
    supplier: u64,
    product: u64,
    regions: Vec<String>,
    ceiling: String,
    valid_from: String,
    valid_to: String,
    /// Stock; unlimited when absent.
    stock: Option<String>,
}

/// `POST /api/v1/agreements`: a framework agreement with its ceiling and covered regions.
#[utoipa::path(post, path = "/api/v1/agreements", request_body = GrantAgreement, tag = "reference",
    responses((status = 201, description = "Granted"), (status = 403, description = "Operators only")))]
pub async fn grant_agreement(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<GrantAgreement>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let regions =
        b.regions.iter().map(|r| parsed::<RegionCode>("regions", r)).collect::<Result<_, _>>()?;
    let grant = Grant {
        supplier: ParticipantId(b.supplier),
        product: ProductId(b.product),
        regions,
        ceiling: parsed::<UnitPrice>("ceiling", &b.ceiling)?,
        valid_from: date("valid_from", &b.valid_from)?,
        valid_to: date("valid_to", &b.valid_to)?,
        stock: b.stock.as_deref().map(|s| parsed::<Quantity>("stock", s)).transpose()?,
    };
    operate(&state, &session, &headers, OPERATOR, Action::GrantAgreement(grant), |e| match e {
        Event::AgreementGranted { agreement, .. } => Some(json!({ "agreement": agreement.0 })),
        _ => None,
    })
    .await
}

/// Body of a change to an agreement: a new ceiling (operator), a reason to revoke (operator), or
/// stock (the supplier itself; `null` for unlimited).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementChange {
    ceiling: Option<String>,
    reason: Option<String>,
    #[serde(default)]
    stock: Option<String>,
}

/// `POST /api/v1/agreements/{id}/{ceiling|revoke|stock}`.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/{change}", request_body = AgreementChange, tag = "reference",
    params(("id" = u64, Path, description = "Agreement"), ("change" = String, Path, description = "ceiling, revoke or stock")),
    responses((status = 201, description = "Changed"), (status = 403, description = "Not yours to change")))]
pub async fn change_agreement(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((id, change)): Path<(u64, String)>,
    Body(b): Body<AgreementChange>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let agreement = AgreementId(id);
    let missing = |field: &str| ApiError::invalid(format!("{field} is required"));
    let (roles, action): (&[ParticipantKind], Action) = match change.as_str() {
        "ceiling" => {
            let ceiling = b.ceiling.as_deref().ok_or_else(|| missing("ceiling"))?;
            (OPERATOR, Action::ChangeCeiling { agreement, ceiling: parsed("ceiling", ceiling)? })
        }
        "revoke" => {
            let reason = b.reason.ok_or_else(|| missing("reason"))?;
            (OPERATOR, Action::RevokeAgreement { agreement, reason })
        }
        "stock" => {
            let stock = b.stock.as_deref().map(|s| parsed::<Quantity>("stock", s)).transpose()?;
            (&[ParticipantKind::Supplier], Action::SetStock { agreement, stock })
        }
        _ => return Err(ApiError::not_found("agreement change")),
    };
    operate(&state, &session, &headers, roles, action, |e| match e {
        Event::CeilingChanged { agreement, ceiling } => {
            Some(json!({ "agreement": agreement.0, "ceiling": ceiling.to_string() }))
        }
        Event::AgreementRevoked { agreement, .. } => {
            Some(json!({ "agreement": agreement.0, "revoked": true }))
        }
        Event::StockChanged { agreement, stock, .. } => {
            Some(json!({ "agreement": agreement.0, "stock": stock.map(|s| s.to_string()) }))
        }
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/direct-order-limits`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLimit {
    region: String,
    category: String,
    /// The limit in yuan; `null` clears it.
    limit: Option<String>,
}

/// `POST /api/v1/direct-order-limits`: the direct-order limit of a category in a region (D-4).
#[utoipa::path(post, path = "/api/v1/direct-order-limits", request_body = SetLimit, tag = "reference",
    responses((status = 201, description = "Set"), (status = 403, description = "Operators only")))]
pub async fn set_limit(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<SetLimit>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let action = Action::SetDirectOrderLimit {
        region: parsed("region", &b.region)?,
        category: parsed("category", &b.category)?,
        limit: b.limit.as_deref().map(|l| parsed::<Amount>("limit", l)).transpose()?,
    };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::DirectOrderLimitSet { region, category, limit } => Some(json!({
            "region": region.to_string(), "category": category.to_string(),
            "limit": limit.map(|l| l.to_string()),
        })),
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/calendar`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadCalendar {
    year: i32,
    /// Weekdays off, `YYYY-MM-DD`.
    holidays: Vec<String>,
    /// Weekend days worked in exchange (调休), `YYYY-MM-DD`.
    #[serde(default)]
    workdays: Vec<String>,
    /// The inquiry notice period in working days, when it changes.
    notice_working_days: Option<u32>,
}

fn dates(field: &str, texts: &[String]) -> Result<Vec<time::Date>, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    texts
        .iter()
        .map(|t| {
            time::Date::parse(t, &format)
                .map_err(|_| ApiError::invalid(format!("{field}: {t:?} is not a date YYYY-MM-DD")))
        })
        .collect()
}

/// `POST /api/v1/calendar`: a year's working-day calendar, and the inquiry notice period.
#[utoipa::path(post, path = "/api/v1/calendar", request_body = LoadCalendar, tag = "reference",
    responses((status = 201, description = "Loaded"), (status = 400, description = "A date outside the year, or malformed"),
              (status = 403, description = "Operators only")))]
pub async fn load_calendar(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<LoadCalendar>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // One request, one command: with a notice period the calendar and the period are set by one
    // command, so an idempotency key covers both and a refusal leaves both unchanged.
    let (year, holidays, workdays) =
        (b.year, dates("holidays", &b.holidays)?, dates("workdays", &b.workdays)?);
    let action = match b.notice_working_days {
        Some(notice_working_days) => {
            Action::LoadCalendarWithNotice { year, holidays, workdays, notice_working_days }
        }
        None => Action::LoadCalendar { year, holidays, workdays },
    };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::CalendarLoaded { year, holidays, workdays } => Some(json!({
            "year": year, "holidays": holidays.len(), "workdays": workdays.len(),
        })),
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/negotiation-rules`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NegotiationRules {
    /// Counters a supplier may make per negotiation, 0 to 10.
    max_counters: u32,
}

/// `POST /api/v1/negotiation-rules`: how many counters a supplier may make (N-2).
#[utoipa::path(post, path = "/api/v1/negotiation-rules", request_body = NegotiationRules, tag = "reference",
    responses((status = 201, description = "Set"), (status = 403, description = "Operators only")))]
pub async fn set_negotiation_rules(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<NegotiationRules>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let action = Action::SetNegotiationRules { max_counters: b.max_counters };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::NegotiationRulesSet { max_counters } => {
            Some(json!({ "max_counters": max_counters }))
        }
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/budgets`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocateBudget {
    purchaser: u64,
    fiscal_year: i32,
    project: String,
    line_code: String,
    amount: String,
}

/// `POST /api/v1/budgets`: opens a budget line (预算指标) for a purchasing unit.
#[utoipa::path(post, path = "/api/v1/budgets", request_body = AllocateBudget, tag = "budgets",
    responses((status = 201, description = "Opened"), (status = 403, description = "Operators only")))]
pub async fn allocate_budget(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<AllocateBudget>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let allocation = Allocation {
        purchaser: ParticipantId(b.purchaser),
        fiscal_year: b.fiscal_year,
        project: b.project,
        line_code: b.line_code,
        amount: parsed("amount", &b.amount)?,
    };
    operate(&state, &session, &headers, OPERATOR, Action::AllocateBudget(allocation), |e| match e {
        Event::BudgetLineOpened { line, .. } => Some(json!({ "line": line.0 })),
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/budgets/{id}/adjust`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustBudget {
    /// The new allocated total, never below what is held, committed and paid.
    allocated: String,
    reason: String,
}

/// `POST /api/v1/budgets/{id}/adjust`: sets a line's allocation to a new total (追加调整).
#[utoipa::path(post, path = "/api/v1/budgets/{id}/adjust", request_body = AdjustBudget, tag = "budgets",
    params(("id" = u64, Path, description = "Budget line")),
    responses((status = 201, description = "Adjusted"), (status = 422, description = "Below what is already spoken for")))]
pub async fn adjust_budget(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    super::body::Path(id): super::body::Path<u64>,
    Body(b): Body<AdjustBudget>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let action = Action::AdjustBudget {
        line: BudgetLineId(id),
        allocated: parsed("allocated", &b.allocated)?,
        reason: b.reason,
    };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::BudgetAdjusted { line, allocated, .. } => {
            Some(json!({ "line": line.0, "allocated": allocated.to_string() }))
        }
        _ => None,
    })
    .await
}

/// Body of `POST /api/v1/users`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterUser {
    participant: u64,
    login: String,
    password: String,
}

/// `POST /api/v1/users`: a user account of a participant; the password is hashed (argon2) here
/// and never journaled in the clear.
#[utoipa::path(post, path = "/api/v1/users", request_body = RegisterUser, tag = "reference",
    responses((status = 201, description = "Opened"), (status = 409, description = "The login is taken")))]
pub async fn register_user(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(b): Body<RegisterUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    session.require(OPERATOR)?;
    super::accounts::policy(&b.login, &b.password)?;
    let hash = super::accounts::hash(b.password).await?;
    let action = Action::RegisterUser {
        participant: ParticipantId(b.participant),
        login: b.login,
        password_hash: hash,
    };
    operate(&state, &session, &headers, OPERATOR, action, |e| match e {
        Event::UserRegistered { user, participant, login } => {
            Some(json!({ "user": user.0, "participant": participant.0, "login": login }))
        }
        _ => None,
    })
    .await
}
