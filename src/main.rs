use clap::Parser;

fn main() {
    sense::train::malloc::keep_freed_buffers(
        std::env::var(sense::train::malloc::ENV).ok().as_deref(),
    );
    let cli = sense::cli::Cli::parse();
    std::process::exit(sense::cli::run(cli));
}
