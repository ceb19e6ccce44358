//! The marketplace node as the system tests run it: the `gateway` command line, unchanged.

fn main() -> anyhow::Result<()> {
    gateway::cli::main()
}
