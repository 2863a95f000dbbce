use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Commit mimalloc's arenas on demand instead of eagerly (option 4 of mimalloc v3's
    // `mi_option_e`, `mi_option_arena_eager_commit`; its default, 2, commits them eagerly where
    // the OS overcommits). At 10M pairs this takes 1.5-3.5 s of system time (page faults) and
    // 0.4-1.6 s of wall time off; at 1M-3M the difference is within the noise (BENCHMARKS.md).
    // Set before the work allocates its arenas, unless MIMALLOC_ARENA_EAGER_COMMIT says
    // otherwise (=2 gives mimalloc's default back, to compare).
    if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none() {
        // SAFETY: a plain setter of a global option, called before any other thread exists.
        unsafe { libmimalloc_sys::mi_option_set(4, 0) };
    }
    let cli = shadowgate::cli::Cli::parse();
    let code = match shadowgate::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
