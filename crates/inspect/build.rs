//! Embeds the catalogues the provider registry lists
//! (`config/catalog/providers.toml`): adding a provider is adding files.

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/catalog");
    let registry = dir.join("providers.toml");
    println!("cargo::rerun-if-changed={}", registry.display());
    let table: toml::Table = std::fs::read_to_string(&registry)?.parse()?;
    let providers = table
        .get("provider")
        .and_then(toml::Value::as_array)
        .ok_or("providers.toml: no [[provider]] entries")?;
    let mut out = String::from("pub const BUNDLED: &[(&str, &str)] = &[\n");
    let mut resolvers = String::from("pub const RESOLVERS: &[(&str, &str)] = &[\n");
    let mut breadths = String::from("pub const BREADTHS: &[(&str, &str)] = &[\n");
    for p in providers {
        let file = p
            .get("catalog")
            .and_then(toml::Value::as_str)
            .ok_or("providers.toml: a provider without `catalog`")?;
        if let Some(resolve) = p.get("resolve").and_then(toml::Value::as_str) {
            let path = dir.join(resolve);
            println!("cargo::rerun-if-changed={}", path.display());
            resolvers.push_str(&format!(
                "    ({resolve:?}, include_str!({:?})),\n",
                path.display().to_string()
            ));
        }
        if let Some(breadth) = p.get("breadth").and_then(toml::Value::as_str) {
            let path = dir.join(breadth);
            println!("cargo::rerun-if-changed={}", path.display());
            breadths.push_str(&format!(
                "    ({breadth:?}, include_str!({:?})),\n",
                path.display().to_string()
            ));
        }
        let path = dir.join(file);
        println!("cargo::rerun-if-changed={}", path.display());
        if !path.exists() {
            // A provider just registered: `scopegate catalog generate` (this
            // binary) writes its catalogue, and the next build embeds it. A
            // test fails while a registered provider is not bundled.
            println!("cargo::warning=config/catalog/{file} is not generated yet: not bundled");
            continue;
        }
        out.push_str(&format!(
            "    ({file:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    resolvers.push_str("];\n");
    out.push_str(&resolvers);
    breadths.push_str("];\n");
    out.push_str(&breadths);
    let dest = Path::new(&std::env::var("OUT_DIR")?).join("bundled.rs");
    std::fs::write(dest, out)?;
    Ok(())
}
