//! Config parser and validation: any text gives a config or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use photo3d::config::Config;

fuzz_target!(|text: &str| {
    if let Ok(config) = Config::from_toml(text) {
        if config.validate().is_ok() {
            let _ = config.samples_per_side();
        }
    }
});
