//! The `tessera` command: the server and the administration tasks around it.

use clap::{Args, Parser, Subcommand};
use diesel::Connection;
use std::process::ExitCode;
use tessera::clock::{Clock, SystemClock};
use tessera::config::Settings;
use tessera::db::models::organization;
use tessera::db::models::user::{self, NewUser};
use tessera::domain::{Email, OrganizationName, Password, UserKind, Username};
use tessera::oauth::keys::{KeyStore, SigningAlg};
use tessera::startup::{Application, open_database};

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
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new signing key beside the existing ones; the newest key of the configured
    /// algorithm signs after the next start.
    Generate {
        #[arg(long, default_value = "ES256", value_parser = parse_alg)]
        alg: SigningAlg,
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
            let kid = KeyStore::generate(&settings.keys_dir, alg)?;
            println!("{}", settings.keys_dir.join(format!("{kid}.pem")).display());
            Ok(())
        }
        Command::Orgs(OrgsCommand::Create { name }) => {
            let name = OrganizationName::parse(&name)?;
            let pool = open_database(&settings, &SystemClock)?;
            let mut conn = pool.get()?;
            if organization::find_by_name(&mut conn, name.as_str())?.is_some() {
                anyhow::bail!("an organization named {} already exists", name.as_str());
            }
            let org = organization::create(&mut conn, name.as_str(), SystemClock.now())?;
            println!("created organization {} (id {})", org.name, org.id);
            Ok(())
        }
        Command::Users(UsersCommand::Create(args)) => create_user(&settings, args),
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let issuer = settings.issuer.clone();
        let app = Application::build(settings).await?;
        tracing::info!("Tessera is listening on port {}", app.port());
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
    let full_name = args.full_name.unwrap_or_default();
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
    let now = SystemClock.now();
    let created = conn.transaction(|conn| -> anyhow::Result<user::User> {
        if user::find_by_username(conn, username.as_str())?.is_some() {
            anyhow::bail!("a user named {} already exists", username.as_str());
        }
        let org_name = args.org.as_deref().unwrap_or(organization::DEFAULT_NAME);
        let org = organization::find_by_name(conn, org_name)?
            .ok_or_else(|| anyhow::anyhow!("no organization named {org_name}"))?;
        Ok(user::create(
            conn,
            &NewUser {
                username: username.as_str(),
                email: email.as_str(),
                full_name: full_name.trim(),
                password_hash: &password_hash,
                kind: kind.as_str(),
                is_admin: args.admin,
                enabled: true,
                organization_id: Some(org.id),
                created_at: now,
                updated_at: now,
            },
        )?)
    })?;
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
