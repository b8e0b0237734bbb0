//! The `scatter` binary: [`scatter::program::main`] does everything.

fn main() -> std::process::ExitCode {
    scatter::program::main()
}
