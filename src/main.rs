use clap::Parser;

fn main() {
    sense::train::malloc::keep_freed_buffers();
    let cli = sense::cli::Cli::parse();
    std::process::exit(sense::cli::run(cli));
}
