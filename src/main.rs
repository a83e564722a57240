use clap::Parser;

fn main() {
    let cli = sense::cli::Cli::parse();
    std::process::exit(sense::cli::run(cli));
}
