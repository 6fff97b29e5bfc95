//! The `tessera` command: the server and the administration tasks around it.

use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;
use tessera::audit::Actor;
use tessera::clients::{self, ClientSpec};
use tessera::clock::{Clock, SystemClock};
use tessera::config::Settings;
use tessera::db::models::organization;
use tessera::db::models::user;
use tessera::domain::{
    ClientName, Email, Grants, Locale, OrganizationName, Password, PersonName, UserKind, Username,
};
use tessera::oauth::keys::{KeyStore, SigningAlg};
use tessera::organizations::{self, OrganizationError};
use tessera::startup::{Application, open_database};
use tessera::users::{self, NewAccount, UserError};

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "OAuth 2.0 applications back-office and authorization server"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage organizations.
    #[command(subcommand)]
    Orgs(OrgsCommand),
    /// Manage users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage OAuth applications.
    #[command(subcommand)]
    Clients(ClientsCommand),
}

#[derive(Subcommand)]
enum ClientsCommand {
    /// Create an OAuth application and print its client id and secret, once.
    Create(CreateClient),
    /// List the OAuth applications.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct CreateClient {
    /// Organization name; the default organization when omitted.
    #[arg(long)]
    org: Option<String>,
    #[arg(long)]
    name: String,
    /// client_credentials or password; repeat for both.
    #[arg(long = "grant", required = true)]
    grants: Vec<String>,
    /// Username of the owner, whom client_credentials tokens act as.
    #[arg(long)]
    owner: Option<String>,
    /// For customer users (storefront) rather than the back-office.
    #[arg(long)]
    frontend: bool,
    /// Create it deactivated.
    #[arg(long)]
    inactive: bool,
    /// Print `{"client_id": ..., "client_secret": ...}`.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new signing key beside the existing ones; the newest key of the configured
    /// algorithm signs after the next start.
    Generate {
        /// ES256, RS256 or EdDSA; by default the configured TESSERA_SIGNING_ALG (ES256).
        #[arg(long, value_parser = parse_alg)]
        alg: Option<SigningAlg>,
    },
}

#[derive(Subcommand)]
enum OrgsCommand {
    /// Create an organization.
    Create { name: String },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a user. The password comes from TESSERA_USER_PASSWORD or a prompt.
    Create(CreateUser),
}

#[derive(Args)]
struct CreateUser {
    #[arg(long)]
    username: String,
    #[arg(long)]
    email: String,
    #[arg(long)]
    full_name: Option<String>,
    /// Organization name; the default organization when omitted.
    #[arg(long)]
    org: Option<String>,
    /// May sign in to the back-office.
    #[arg(long, conflicts_with = "customer")]
    admin: bool,
    /// A customer (storefront) user rather than a back-office one.
    #[arg(long)]
    customer: bool,
    /// The language of their notices, like en, de or pt-BR.
    #[arg(long, default_value = "en")]
    locale: String,
}

fn parse_alg(s: &str) -> Result<SigningAlg, String> {
    s.parse()
}

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    match run(cli.command.unwrap_or(Command::Serve)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,actix_server=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run(command: Command) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    match command {
        Command::Serve => serve(settings),
        Command::Migrate => {
            open_database(&settings, &SystemClock)?;
            println!("database is up to date");
            Ok(())
        }
        Command::Keys(KeysCommand::Generate { alg }) => {
            let kid = KeyStore::generate(&settings.keys_dir, alg.unwrap_or(settings.signing_alg))?;
            println!("{}", settings.keys_dir.join(format!("{kid}.pem")).display());
            Ok(())
        }
        Command::Orgs(OrgsCommand::Create { name }) => {
            let name = OrganizationName::parse(&name)?;
            let pool = open_database(&settings, &SystemClock)?;
            let mut conn = pool.get()?;
            let now = SystemClock.now();
            let org = match organizations::create(&mut conn, &name, &Actor::CommandLine, now) {
                Err(OrganizationError::NameTaken) => {
                    anyhow::bail!("an organization named {} already exists", name.as_str())
                }
                other => other?,
            };
            println!("created organization {} (id {})", org.name, org.id);
            Ok(())
        }
        Command::Users(UsersCommand::Create(args)) => create_user(&settings, args),
        Command::Clients(ClientsCommand::Create(args)) => create_client(&settings, args),
        Command::Clients(ClientsCommand::List { json }) => list_clients(&settings, json),
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let issuer = settings.issuer.clone();
        let ip = settings.bind.ip();
        let app = Application::build(settings).await?;
        tracing::info!("Tessera is listening on http://{ip}:{}", app.port());
        match app.setup_link() {
            Some(link) => tracing::info!(
                "no administrator yet: open {link} to create the first one (the link works once), \
                 or run `tessera users create --admin`"
            ),
            None => tracing::info!("back-office: {issuer}/admin"),
        }
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn create_user(settings: &Settings, args: CreateUser) -> anyhow::Result<()> {
    let username = Username::parse(&args.username)?;
    let email = Email::parse(&args.email)?;
    let locale = Locale::parse(&args.locale)?;
    let full_name = args
        .full_name
        .as_deref()
        .map(PersonName::parse)
        .transpose()?;
    let password = match std::env::var("TESSERA_USER_PASSWORD") {
        Ok(p) => p,
        Err(_) => rpassword::prompt_password(format!("Password for {}: ", username.as_str()))?,
    };
    let password = Password::parse(&password)?;
    let kind = if args.customer {
        UserKind::Customer
    } else {
        UserKind::Backoffice
    };
    let password_hash = tessera::passwords::hash(password.expose())?;

    let pool = open_database(settings, &SystemClock)?;
    let mut conn = pool.get()?;
    let org_name = args.org.as_deref().unwrap_or(organization::DEFAULT_NAME);
    let org = organization::find_by_name(&mut conn, org_name)?
        .ok_or_else(|| anyhow::anyhow!("no organization named {org_name}"))?;
    let account = NewAccount {
        username,
        email,
        full_name,
        kind,
        is_admin: args.admin,
        organization_id: Some(org.id),
        password_hash,
        locale,
    };
    let created = match users::create(&mut conn, &account, &Actor::CommandLine, SystemClock.now()) {
        Err(UserError::UsernameTaken) => {
            anyhow::bail!("a user named {} already exists", account.username.as_str())
        }
        other => other?,
    };
    println!(
        "created {} user {} (id {}){}",
        kind.label().to_lowercase(),
        created.username,
        created.id,
        if created.is_admin {
            ", administrator"
        } else {
            ""
        }
    );
    Ok(())
}

fn create_client(settings: &Settings, args: CreateClient) -> anyhow::Result<()> {
    let name = ClientName::parse(&args.name)?;
    let grants = Grants::parse(args.grants.iter().map(String::as_str))?;
    let pool = open_database(settings, &SystemClock)?;
    let mut conn = pool.get()?;
    let org_name = args.org.as_deref().unwrap_or(organization::DEFAULT_NAME);
    let org = organization::find_by_name(&mut conn, org_name)?
        .ok_or_else(|| anyhow::anyhow!("no organization named {org_name}"))?;
    let owner_user_id = match &args.owner {
        Some(username) => Some(
            user::find_by_username(&mut conn, &username.to_lowercase())?
                .ok_or_else(|| anyhow::anyhow!("no user named {username}"))?
                .id,
        ),
        None => None,
    };
    let spec = ClientSpec {
        organization_id: org.id,
        name,
        grants,
        owner_user_id,
        frontend: args.frontend,
        active: !args.inactive,
    };
    let (client, secret) = clients::register(
        &mut conn,
        &spec,
        None,
        &Actor::CommandLine,
        SystemClock.now(),
    )?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"client_id": client.client_id, "client_secret": secret.expose()})
        );
    } else {
        println!("client_id:     {}", client.client_id);
        println!("client_secret: {}", secret.expose());
        println!("Store the secret now: it is not shown again.");
    }
    Ok(())
}

fn list_clients(settings: &Settings, json: bool) -> anyhow::Result<()> {
    let pool = open_database(settings, &SystemClock)?;
    let mut conn = pool.get()?;
    let orgs: std::collections::HashMap<i64, String> = organization::list(&mut conn)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let users: std::collections::HashMap<i64, String> = user::list(&mut conn)?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let rows: Vec<serde_json::Value> = tessera::db::models::client::list_all(&mut conn)?
        .into_iter()
        .map(|c| {
            serde_json::json!({
                "client_id": c.client_id,
                "name": c.name,
                "organization": orgs.get(&c.organization_id),
                "owner": c.owner_user_id.and_then(|id| users.get(&id)),
                "grants": c.grants().iter().map(|g| g.as_str()).collect::<Vec<_>>(),
                "frontend": c.frontend,
                "active": c.active,
                "created_at": c.created_at.and_utc().to_rfc3339(),
                "last_used_at": c.last_used_at.map(|t| t.and_utc().to_rfc3339()),
            })
        })
        .collect();
    if json {
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    println!(
        "{:<32}  {:<8}  {:<30}  {:<16}  GRANTS",
        "CLIENT ID", "ACTIVE", "NAME", "OWNER"
    );
    for row in rows {
        println!(
            "{:<32}  {:<8}  {:<30}  {:<16}  {}",
            row["client_id"].as_str().unwrap_or_default(),
            if row["active"].as_bool().unwrap_or(false) {
                "yes"
            } else {
                "no"
            },
            row["name"].as_str().unwrap_or_default(),
            row["owner"].as_str().unwrap_or("-"),
            row["grants"]
                .as_array()
                .map(|g| g
                    .iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(","))
                .unwrap_or_default(),
        );
    }
    Ok(())
}
