//! `gateway`: the marketplace's process. Everything it does lives in the library (`gateway::cli`).

fn main() -> anyhow::Result<()> {
    gateway::cli::main()
}
