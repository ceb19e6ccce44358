//! Shared set-up of the marketplace's benchmarks: province-sized workloads and the naive baselines
//! they are measured against in the same run.

pub mod auctions;
pub mod naive;
pub mod quotes;
pub mod timing;
pub mod workload;

/// Every bench links this crate, so every bench is measured on the marketplace's own allocator,
/// as the gateway runs.
#[global_allocator]
static ALLOCATOR: gateway::Allocator = gateway::Allocator;
