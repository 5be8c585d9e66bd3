//! `advisor`: the function app's one executable. Everything testable lives in the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = advisor::cli::Cli::parse();
    match advisor::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("advisor: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
