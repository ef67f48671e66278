//! The `ccelab` command. Everything is in the library's [`ccelab::cli`].

fn main() {
    std::process::exit(ccelab::cli::main(std::env::args_os()));
}
