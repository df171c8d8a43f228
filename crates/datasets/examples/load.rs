//! Loads a dataset the way the runner does and prints its shapes, files and load time.
//!
//! `cargo run -p datasets --release --example load -- mnist [DATA_DIR]`

use std::time::Instant;

use datasets::DataSource;

fn main() -> Result<(), datasets::DatasetError> {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "mnist".to_owned());
    let source = DataSource::from_env().with_data_dir(args.next().map(Into::into));

    let start = Instant::now();
    let loaded = datasets::load(&name, &source)?;
    let elapsed = start.elapsed();

    println!(
        "{}: train {:?}, test {:?}, loaded in {:.3} s",
        loaded.name,
        loaded.train.features.dim(),
        loaded.test.features.dim(),
        elapsed.as_secs_f64()
    );
    for file in &loaded.files {
        println!("{}  {}", file.sha256, file.path.display());
    }
    Ok(())
}
