//! The `fieldline` binary: a thin shell over `fieldline_server::cli`.

fn main() -> std::process::ExitCode {
    fieldline_server::cli::main()
}
