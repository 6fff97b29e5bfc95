//! The `tessera` command: the server and the administration tasks around it.

use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;
use tessera::access::Role;
use tessera::audit::Actor;
use tessera::clients::delivery::Delivery;
use tessera::clients::{self, ClientSpec};
use tessera::clock::{Clock, SystemClock};
use tessera::config::Settings;
use tessera::db::models::organization;
use tessera::db::models::{user, user_role};
use tessera::domain::{
    ApplicationType, CategoryName, ClientName, Email, ExpireOld, Grants, Locale, OrganizationName,
    Origins, Password, PersonName, RedirectUris, ScopeDescription, ScopeToken, UserKind, Username,
};
use tessera::oauth::keys::{KeyStore, SigningAlg};
use tessera::organizations::{self, OrganizationError};
use tessera::roles;
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
    /// Manage the scope catalog.
    #[command(subcommand)]
    Scopes(ScopesCommand),
}

#[derive(Subcommand)]
enum ScopesCommand {
    /// Add a scope to the catalog, in its category (made when new).
    Create {
        name: String,
        #[arg(long)]
        category: String,
        /// What the scope lets an application do, for the person asked to consent.
        #[arg(long)]
        description: String,
    },
    /// List the catalog by category.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Add a secret to an application and print it, once.
    Add {
        client_id: String,
        /// How long the current secrets keep working: 1d, 7d, 30d (any count of s, m, h,
        /// d) or never (the default: until disabled).
        #[arg(long, default_value = "never")]
        expire_old: String,
        /// show: print the secret (the default); owner: mail the owner a one-time link to
        /// collect it, and print no secret.
        #[arg(long, default_value = "show", value_parser = parse_delivery)]
        deliver: Delivery,
        #[arg(long)]
        json: bool,
    },
    /// List an application's secrets by prefix, never the secrets.
    List {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Disable the secret with this visible prefix: refused at once.
    Disable { client_id: String, prefix: String },
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
    /// Deactivate an OAuth application: refused at once, its tokens cut off.
    Deactivate {
        /// The application's client id.
        client_id: String,
    },
    /// Activate an OAuth application again.
    Activate {
        /// The application's client id.
        client_id: String,
    },
    /// Manage an application's secrets.
    #[command(subcommand)]
    Secrets(SecretsCommand),
}

#[derive(Args)]
struct CreateClient {
    /// Organization name; the default organization when omitted.
    #[arg(long)]
    org: Option<String>,
    #[arg(long)]
    name: String,
    /// service, web or public. Without it the type follows from the grants.
    #[arg(long = "type", required_unless_present = "grants")]
    app_type: Option<String>,
    /// client_credentials, password or authorization_code; repeat for several. A service
    /// account or public client has its own; a web application defaults to
    /// authorization_code.
    #[arg(long = "grant")]
    grants: Vec<String>,
    /// A redirect URI; repeat for several.
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// A JavaScript origin of a browser application; repeat for several.
    #[arg(long = "origin")]
    origins: Vec<String>,
    /// A scope from the catalog; repeat for several.
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Allow the implicit grant.
    #[arg(long)]
    implicit: bool,
    /// Username of the owner, whom client_credentials tokens act as.
    #[arg(long)]
    owner: Option<String>,
    /// For customer users (storefront) rather than the back-office.
    #[arg(long)]
    frontend: bool,
    /// Create it deactivated.
    #[arg(long)]
    inactive: bool,
    /// show: print the secret (the default); owner: mail the owner a one-time link to
    /// collect it, and print no secret.
    #[arg(long, default_value = "show", value_parser = parse_delivery)]
    deliver: Delivery,
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
    /// Give a back-office user a role in an organization (replacing the role held there).
    Grant {
        #[arg(long)]
        username: String,
        /// Organization name.
        #[arg(long)]
        org: String,
        /// org-admin, app-manager or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Take away a user's role in an organization.
    Revoke {
        #[arg(long)]
        username: String,
        #[arg(long)]
        org: String,
    },
    /// List the users with their roles.
    List {
        #[arg(long)]
        json: bool,
    },
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
    /// A global administrator: every organization, and the installation's settings.
    #[arg(long, alias = "global-admin", conflicts_with = "customer")]
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

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| "expected org-admin, app-manager or viewer".to_owned())
}

fn main() -> ExitCode {
    match tessera::logging::LogFormat::from_env() {
        Ok(format) => tessera::logging::init(format),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    let cli = Cli::parse();
    match run(cli.command.unwrap_or(Command::Serve)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
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
        Command::Users(UsersCommand::Grant {
            username,
            org,
            role,
        }) => change_role(&settings, &username, &org, Some(role)),
        Command::Users(UsersCommand::Revoke { username, org }) => {
            change_role(&settings, &username, &org, None)
        }
        Command::Users(UsersCommand::List { json }) => list_users(&settings, json),
        Command::Clients(ClientsCommand::Create(args)) => create_client(&settings, args),
        Command::Clients(ClientsCommand::List { json }) => list_clients(&settings, json),
        Command::Clients(ClientsCommand::Deactivate { client_id }) => {
            set_client_active(&settings, &client_id, false)
        }
        Command::Clients(ClientsCommand::Activate { client_id }) => {
            set_client_active(&settings, &client_id, true)
        }
        Command::Clients(ClientsCommand::Secrets(command)) => secrets_command(&settings, command),
        Command::Scopes(command) => scopes_command(&settings, command),
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let issuer = settings.base_url().to_owned();
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
            ", global administrator"
        } else {
            ""
        }
    );
    Ok(())
}

/// Grants `role` in `org`, or revokes the role held there when `role` is `None`.
fn change_role(
    settings: &Settings,
    username: &str,
    org: &str,
    role: Option<Role>,
) -> anyhow::Result<()> {
    let pool = open_database(settings, &SystemClock)?;
    let mut conn = pool.get()?;
    let user = user::find_by_username(&mut conn, &username.to_lowercase())?
        .ok_or_else(|| anyhow::anyhow!("no user named {username}"))?;
    let organization = organization::find_by_name(&mut conn, org)?
        .ok_or_else(|| anyhow::anyhow!("no organization named {org}"))?;
    let now = SystemClock.now();
    match role {
        Some(role) => {
            roles::grant(
                &mut conn,
                user.id,
                organization.id,
                role,
                &Actor::CommandLine,
                now,
            )?;
            println!(
                "{} is {} in {}",
                user.username,
                role.as_str(),
                organization.name
            );
        }
        None => {
            roles::revoke(
                &mut conn,
                user.id,
                organization.id,
                &Actor::CommandLine,
                now,
            )?;
            println!("{} has no role in {}", user.username, organization.name);
        }
    }
    Ok(())
}

fn list_users(settings: &Settings, json: bool) -> anyhow::Result<()> {
    let pool = open_database(settings, &SystemClock)?;
    let mut conn = pool.get()?;
    let users = user::list(&mut conn)?;
    let roles = user_role::all_named(&mut conn)?;
    let roles_of = |id: i64| roles.iter().filter(move |r| r.user_id == id);
    if json {
        let rows: Vec<_> = users
            .iter()
            .map(|u| {
                serde_json::json!({
                    "username": u.username,
                    "email": u.email,
                    "kind": u.kind,
                    "enabled": u.enabled,
                    "global_admin": u.is_admin,
                    "roles": roles_of(u.id)
                        .map(|r| serde_json::json!({"organization": r.organization, "role": r.role}))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    for u in &users {
        let mut roles: Vec<String> = roles_of(u.id)
            .map(|r| format!("{} in {}", r.role, r.organization))
            .collect();
        if u.is_admin {
            roles.insert(0, "global administrator".to_owned());
        }
        println!(
            "{}\t{}\t{}\t{}",
            u.username,
            u.kind,
            if u.enabled { "enabled" } else { "disabled" },
            if roles.is_empty() {
                "-".to_owned()
            } else {
                roles.join(", ")
            }
        );
    }
    Ok(())
}

/// The spec's type, grants and browser fields from `--type` and what goes with it.
fn typed_spec(mut spec: ClientSpec, args: &CreateClient) -> anyhow::Result<ClientSpec> {
    let Some(raw) = &args.app_type else {
        return Ok(spec);
    };
    let kind = ApplicationType::parse(raw)?;
    let grants = match kind {
        ApplicationType::Service => Grants::parse(["client_credentials"])?,
        ApplicationType::Public => Grants::parse(["authorization_code"])?,
        ApplicationType::Web if args.grants.is_empty() => Grants::parse(["authorization_code"])?,
        ApplicationType::Web => Grants::parse(args.grants.iter().map(String::as_str))?,
    };
    kind.check_grants(&grants, args.implicit)?;
    let lines = |values: &[String]| values.join("\n");
    let joined = |errors: Vec<tessera::domain::Invalid>| {
        anyhow::anyhow!(
            errors
                .into_iter()
                .map(|e| e.0)
                .collect::<Vec<_>>()
                .join("\n")
        )
    };
    spec.app_type = kind;
    spec.grants = grants;
    spec.implicit_allowed = args.implicit;
    spec.redirect_uris = RedirectUris::parse_lines(&lines(&args.redirect_uris)).map_err(joined)?;
    spec.origins = Origins::parse_lines(&lines(&args.origins)).map_err(joined)?;
    Ok(spec)
}

fn create_client(settings: &Settings, args: CreateClient) -> anyhow::Result<()> {
    let name = ClientName::parse(&args.name)?;
    let grants = if args.grants.is_empty() {
        Grants::parse(["client_credentials"])?
    } else {
        Grants::parse(args.grants.iter().map(String::as_str))?
    };
    let scopes = args
        .scopes
        .iter()
        .map(|s| ScopeToken::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
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
        scopes,
        active: !args.inactive,
        ..typed_spec(
            ClientSpec::legacy(org.id, name, grants, owner_user_id, args.frontend),
            &args,
        )?
    };
    let (actor, now) = (Actor::CommandLine, SystemClock.now());
    let (client, secret) = match args.deliver {
        Delivery::Show => clients::register(&mut conn, &spec, None, &actor, now)?,
        Delivery::Owner => {
            tessera::mail::templates::set_public_url(&settings.issuer);
            let ttl = settings.credential_link_ttl;
            let client = clients::register_for_owner(&mut conn, &spec, None, ttl, &actor, now)?;
            (client, None)
        }
    };
    let secret = secret.as_ref().map(|s| s.expose());
    let sent = args.deliver == Delivery::Owner && client.confidential;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"client_id": client.client_id, "client_secret": secret, "sent_to_owner": sent})
        );
    } else {
        println!("client_id:     {}", client.client_id);
        if let Some(secret) = secret {
            println!("client_secret: {secret}");
            println!("Store the secret now: it is not shown again.");
        }
        if sent {
            println!("{SENT_TO_OWNER}");
        }
    }
    Ok(())
}

/// What the command line says instead of a secret sent to the owner.
const SENT_TO_OWNER: &str = "The owner was sent a one-time link to collect the client secret; \
                             it is not printed. The mail goes out when the server runs.";

fn parse_delivery(raw: &str) -> Result<Delivery, String> {
    Delivery::parse(raw).map_err(|e| e.0)
}

fn set_client_active(settings: &Settings, client_id: &str, active: bool) -> anyhow::Result<()> {
    let pool = open_database(settings, &SystemClock)?;
    let mut conn = pool.get()?;
    let client = tessera::db::models::client::find_by_client_id(&mut conn, client_id)?
        .ok_or_else(|| anyhow::anyhow!("no OAuth application with client id {client_id}"))?;
    let (id, now) = (client.id, SystemClock.now());
    let changed = if active {
        clients::activate(&mut conn, id, &Actor::CommandLine, now)?
    } else {
        clients::deactivate(&mut conn, id, &Actor::CommandLine, now)?
    };
    println!(
        "{} is {}",
        changed.name,
        if changed.active {
            "active"
        } else {
            "deactivated"
        }
    );
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

fn find_client(
    conn: &mut tessera::db::DbConn,
    client_id: &str,
) -> anyhow::Result<tessera::db::models::client::Client> {
    tessera::db::models::client::find_by_client_id(conn, client_id)?
        .ok_or_else(|| anyhow::anyhow!("no application with client id {client_id}"))
}

fn secrets_command(settings: &Settings, command: SecretsCommand) -> anyhow::Result<()> {
    use tessera::clients::secrets::{self, Status};
    use tessera::db::models::client_secret;
    let pool = open_database(settings, &SystemClock)?;
    let mut conn = pool.get()?;
    let now = SystemClock.now();
    match command {
        SecretsCommand::Add {
            client_id,
            expire_old,
            deliver: Delivery::Owner,
            json,
        } => {
            let expire_old = ExpireOld::parse(&expire_old)?;
            let client = find_client(&mut conn, &client_id)?;
            tessera::mail::templates::set_public_url(&settings.issuer);
            let ttl = settings.credential_link_ttl;
            let actor = Actor::CommandLine;
            let send = tessera::clients::delivery::send_secret;
            send(&mut conn, client.id, expire_old, ttl, &actor, now)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"client_id": client.client_id, "client_secret": null, "sent_to_owner": true})
                );
            } else {
                println!("{SENT_TO_OWNER}");
            }
        }
        SecretsCommand::Add {
            client_id,
            expire_old,
            deliver: Delivery::Show,
            json,
        } => {
            let expire_old = ExpireOld::parse(&expire_old)?;
            let client = find_client(&mut conn, &client_id)?;
            let (_, created, secret) =
                secrets::add(&mut conn, client.id, expire_old, &Actor::CommandLine, now)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"client_id": client.client_id, "client_secret": secret.expose(), "prefix": created.prefix})
                );
            } else {
                println!("client_secret: {}", secret.expose());
                println!("Store the secret now: it is not shown again.");
            }
        }
        SecretsCommand::List { client_id, json } => {
            let client = find_client(&mut conn, &client_id)?;
            let rows: Vec<serde_json::Value> =
                client_secret::list_for_client(&mut conn, client.id)?
                    .into_iter()
                    .map(|s| {
                        serde_json::json!({
                            "prefix": s.prefix,
                            "status": Status::of(&s, now).as_str(),
                            "created_at": s.created_at.and_utc().to_rfc3339(),
                            "last_used_at": s.last_used_at.map(|t| t.and_utc().to_rfc3339()),
                            "expires_at": s.expires_at.map(|t| t.and_utc().to_rfc3339()),
                        })
                    })
                    .collect();
            if json {
                println!("{}", serde_json::Value::Array(rows));
            } else {
                println!(
                    "{:<10}  {:<9}  {:<25}  EXPIRES",
                    "PREFIX", "STATUS", "CREATED"
                );
                for row in rows {
                    println!(
                        "{:<10}  {:<9}  {:<25}  {}",
                        row["prefix"].as_str().unwrap_or_default(),
                        row["status"].as_str().unwrap_or_default(),
                        row["created_at"].as_str().unwrap_or_default(),
                        row["expires_at"].as_str().unwrap_or("never"),
                    );
                }
            }
        }
        SecretsCommand::Disable { client_id, prefix } => {
            let client = find_client(&mut conn, &client_id)?;
            let matching: Vec<_> = client_secret::list_for_client(&mut conn, client.id)?
                .into_iter()
                .filter(|s| s.prefix == prefix && Status::of(s, now).is_live())
                .collect();
            let [secret] = matching.as_slice() else {
                anyhow::bail!(
                    "{} working secrets have the prefix {prefix}",
                    matching.len()
                );
            };
            secrets::disable(&mut conn, client.id, secret.id, &Actor::CommandLine, now)?;
            println!("disabled the secret {prefix}");
        }
    }
    Ok(())
}

fn scopes_command(settings: &Settings, command: ScopesCommand) -> anyhow::Result<()> {
    use tessera::db::models::scope;
    let pool = open_database(settings, &SystemClock)?;
    let mut conn = pool.get()?;
    match command {
        ScopesCommand::Create {
            name,
            category,
            description,
        } => {
            let spec = tessera::scopes::ScopeSpec {
                name: ScopeToken::parse(&name)?,
                category: CategoryName::parse(&category)?,
                description: ScopeDescription::parse(&description)?,
            };
            let created =
                tessera::scopes::create(&mut conn, &spec, &Actor::CommandLine, SystemClock.now())?;
            println!("created scope {} (id {})", created.name, created.id);
        }
        ScopesCommand::List { json } => {
            let rows: Vec<serde_json::Value> = scope::list(&mut conn)?
                .into_iter()
                .map(|r| {
                    serde_json::json!({
                        "name": r.scope.name,
                        "category": r.category,
                        "description": r.scope.description,
                        "used_by": r.used_by,
                    })
                })
                .collect();
            if json {
                println!("{}", serde_json::Value::Array(rows));
            } else {
                println!(
                    "{:<30}  {:<20}  {:<8}  DESCRIPTION",
                    "SCOPE", "CATEGORY", "USED BY"
                );
                for row in rows {
                    println!(
                        "{:<30}  {:<20}  {:<8}  {}",
                        row["name"].as_str().unwrap_or_default(),
                        row["category"].as_str().unwrap_or_default(),
                        row["used_by"],
                        row["description"].as_str().unwrap_or_default(),
                    );
                }
            }
        }
    }
    Ok(())
}
