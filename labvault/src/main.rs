//! `labvault server`: run the lab server on its own.

use clap::{Parser, Subcommand};
use labvault::{Server, ServerConfig, Storage};
use std::{net::SocketAddr, path::PathBuf};

#[derive(Parser)]
#[command(
    name = "labvault",
    version,
    about = "A Vault-API-compatible lab server for training labs and tests (not a secret store)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve Vault's API.
    Server {
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8200")]
        listen: SocketAddr,
        /// Keep data in this directory (encrypted); without it, data lives in memory.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Like `vault server -dev`: initialize with one key share, unseal, mount `secret/`
        /// (KV v2), and print the unseal key and root token.
        #[arg(long)]
        dev: bool,
        /// With `--dev`: use this as the root token (like `-dev-root-token-id`).
        #[arg(long, requires = "dev")]
        dev_root_token_id: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let Command::Server {
        listen,
        data,
        dev,
        dev_root_token_id,
    } = Cli::parse().command;
    let storage = data.map_or(Storage::Memory, Storage::Directory);
    let server = Server::start(ServerConfig {
        listen,
        storage,
        dev,
        dev_root_token: dev_root_token_id,
    })
    .await?;
    println!("labvault listening on {}", server.url());
    if let Some(credentials) = &server.dev {
        // Printed, never logged: this is what `vault server -dev` shows its user.
        println!("\nDev mode: initialized and unsealed; secret/ is KV v2.\n");
        println!("    export VAULT_ADDR='{}'", server.url());
        println!("    Unseal Key: {}", credentials.unseal_key);
        println!("    Root Token: {}\n", credentials.root_token);
    }
    tokio::signal::ctrl_c().await?;
    server.stop().await;
    Ok(())
}
