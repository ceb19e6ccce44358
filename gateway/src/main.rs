//! `gateway`: the marketplace's process. Everything it does lives in the library (`gateway::cli`).

/// See `gateway::Allocator`.
#[global_allocator]
static ALLOCATOR: gateway::Allocator = gateway::Allocator;

fn main() -> anyhow::Result<()> {
    gateway::cli::main()
}
