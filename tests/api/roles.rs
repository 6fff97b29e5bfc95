//! Roles per organization: every back-office route and method, for every role, against a
//! record of the user's own organization and of another (an IDOR sweep); the grid and its
//! counts per role; self-service on and off; role changes on the next request; the command
//! line. (ASVS 5.0 8.2.1, 8.2.2: function- and data-level authorization on the server;
//! 8.3.1: enforced at the service layer, not by hiding links.)

use crate::both_backends;
use crate::helpers::*;
use tessera::access::Role;
use tessera::audit::AuditAction;
use tessera::clock::Clock;

const PASSWORD: &str = "a long password for roles";

/// Who is signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Global,
    OrgAdmin,
    AppManager,
    Viewer,
    /// A back-office user without a role, self-service on.
    SelfService,
}

const EVERYONE: [Who; 5] = [
    Who::Global,
    Who::OrgAdmin,
    Who::AppManager,
    Who::Viewer,
    Who::SelfService,
];

impl Who {
    fn username(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::OrgAdmin => "org-admin",
            Self::AppManager => "app-manager",
            Self::Viewer => "viewer",
            Self::SelfService => "self-service",
        }
    }

    fn role(self) -> Option<Role> {
        match self {
            Self::OrgAdmin => Some(Role::OrgAdmin),
            Self::AppManager => Some(Role::AppManager),
            Self::Viewer => Some(Role::Viewer),
            Self::Global | Self::SelfService => None,
        }
    }
}

/// What a request must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The page (200) or the change (303 elsewhere than sign-in).
    Allowed,
    /// 403: the record is visible, the action is not the role's.
    Forbidden,
    /// 404: the record is not the user's to see, and its existence is not confirmed.
    Hidden,
    /// 200 with the form again and a message beside the named field; nothing changes.
    Refused(&'static str),
}

use Outcome::{Allowed as A, Forbidden as F, Hidden as H};

/// A browser of its own, signed in as one user.
struct Browser {
    http: reqwest::Client,
    address: String,
}

impl Browser {
    async fn sign_in(app: &TestApp, username: &str) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        let browser = Self {
            http,
            address: app.address.clone(),
        };
        let page = browser.get("/admin/login").await.text().await.unwrap();
        let form = [
            ("username", username),
            ("password", PASSWORD),
            ("csrf_token", &csrf_token(&page)),
        ];
        let response = browser
            .http
            .post(format!("{}/admin/login", browser.address))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_redirects_to(&response, "/admin");
        browser
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    async fn html(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// Posts `fields` with the session's CSRF token, as the page's form would.
    async fn post(&self, path: &str, fields: &[(&str, String)]) -> reqwest::Response {
        let csrf = csrf_token(&self.html("/admin").await);
        let mut form = vec![("csrf_token".to_owned(), csrf)];
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.clone())));
        self.http
            .post(format!("{}{path}", self.address))
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

/// Two organizations; the signed-in user's own is the default one.
struct World {
    app: TestApp,
    own: i64,
    other: i64,
}

impl World {
    async fn new(backend: Backend) -> Self {
        Self::with(TestApp::builder(backend)).await
    }

    async fn with(builder: TestAppBuilder) -> Self {
        let app = builder.spawn().await;
        let own =
            tessera::db::models::organization::find_by_name(&mut app.conn(), DEFAULT_ORGANIZATION)
                .unwrap()
                .unwrap()
                .id;
        let other = app.organization("Other");
        let world = Self { app, own, other };
        for who in EVERYONE {
            let user = world.member(who.username(), own, who == Who::Global);
            if let Some(role) = who.role() {
                world.grant(user.id, own, role);
            }
        }
        world
    }

    /// A back-office user of `organization` (password `PASSWORD`).
    fn member(
        &self,
        username: &str,
        organization: i64,
        global: bool,
    ) -> tessera::db::models::user::User {
        let user = self
            .app
            .create_user(username, PASSWORD, "backoffice", global);
        let mut conn = self.app.conn();
        diesel::update(tessera::db::schema::users::table.find(user.id))
            .set(tessera::db::schema::users::organization_id.eq(organization))
            .execute(&mut conn)
            .unwrap();
        self.app.user_row(user.id)
    }

    fn grant(&self, user_id: i64, organization: i64, role: Role) {
        let now = self.app.clock.now();
        tessera::roles::grant(
            &mut self.app.conn(),
            user_id,
            organization,
            role,
            &actor(),
            now,
        )
        .unwrap();
    }

    fn user_id(&self, who: Who) -> i64 {
        self.app.existing_user(who.username()).id
    }

    /// A fresh application of `organization`, owned by `owner`.
    fn application(&self, organization: i64, owner: i64) -> i64 {
        let name = format!("app {}", tessera::domain::secret::random_hex(4));
        self.app
            .application(&name)
            .organization(organization)
            .owner(owner)
            .register()
            .id
    }

    /// A fresh user of `organization`, holding a viewer role there (so it has one to revoke).
    fn target_user(&self, organization: i64) -> i64 {
        let name = format!("member-{}", tessera::domain::secret::random_hex(4));
        let user = self.member(&name, organization, false);
        self.grant(user.id, organization, Role::Viewer);
        user.id
    }

    fn applications_in(&self, organization: i64) -> usize {
        tessera::db::models::client::list_all(&mut self.app.conn())
            .unwrap()
            .into_iter()
            .filter(|c| c.organization_id == organization)
            .count()
    }
}

use diesel::prelude::*;

/// Who posts, to which form, which fields, and what they must get.
type FormCase = (Who, String, Vec<(&'static str, String)>, Outcome);

#[track_caller]
fn assert_outcome(response_status: u16, location: &str, body: &str, expected: Outcome, what: &str) {
    match expected {
        Outcome::Allowed => assert!(
            response_status == 200 || (response_status == 303 && location != "/admin/login"),
            "{what}: expected allowed, got {response_status} {location}"
        ),
        Outcome::Forbidden => assert_eq!(response_status, 403, "{what}"),
        Outcome::Hidden => assert_eq!(response_status, 404, "{what}"),
        Outcome::Refused(field) => {
            assert_eq!(response_status, 200, "{what}");
            assert!(
                body.contains(&format!("data-testid=\"error-{field}\"")),
                "{what}: expected a message beside {field}"
            );
        }
    }
}

async fn check(
    browser: &Browser,
    method: &str,
    path: &str,
    fields: &[(&str, String)],
    expected: Outcome,
    what: &str,
) {
    let response = if method == "GET" {
        browser.get(path).await
    } else {
        browser.post(path, fields).await
    };
    let status = response.status().as_u16();
    let location = location(&response);
    let body = response.text().await.unwrap();
    assert_outcome(status, &location, &body, expected, what);
}

/// The application routes, and what each role gets on an application of its own
/// organization (self-service: its own application), in the order
/// global, organization administrator, application manager, viewer, self-service.
const APPLICATION_ROUTES: &[(&str, &str, [Outcome; 5])] = &[
    ("GET", "", [A, A, A, A, A]),
    ("GET", "/edit", [A, A, A, F, A]),
    ("POST", "/edit", [A, A, A, F, A]),
    ("POST", "/activate", [A, A, A, F, F]),
    ("GET", "/deactivate", [A, A, A, F, A]),
    ("POST", "/deactivate", [A, A, A, F, A]),
    ("GET", "/delete", [A, A, F, F, A]),
    ("POST", "/delete", [A, A, F, F, A]),
];

/// The user routes, on a user of the own organization.
const USER_ROUTES: &[(&str, &str, [Outcome; 5])] = &[
    ("GET", "", [A, A, A, A, H]),
    ("GET", "/edit", [A, A, F, F, H]),
    ("POST", "/edit", [A, A, F, F, H]),
    ("POST", "/enable", [A, A, F, F, H]),
    ("GET", "/disable", [A, A, F, F, H]),
    ("POST", "/disable", [A, A, F, F, H]),
    ("POST", "/roles", [A, A, F, F, H]),
    ("POST", "/roles/{org}/revoke", [A, A, F, F, H]),
];

/// Routes of the whole installation: global administrators only.
const INSTALLATION_ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/organizations"),
    ("POST", "/admin/organizations"),
    ("GET", "/admin/organizations/{own}/edit"),
    ("POST", "/admin/organizations/{own}/edit"),
    ("GET", "/admin/notifications"),
];

fn index(who: Who) -> usize {
    EVERYONE.iter().position(|w| *w == who).unwrap()
}

fn application_fields(who: Who, owner: i64, path: &str) -> Vec<(&'static str, String)> {
    if !path.ends_with("/edit") {
        return Vec::new();
    }
    let mut fields = vec![
        (
            "name",
            format!("renamed {}", tessera::domain::secret::random_hex(3)),
        ),
        ("grants", "client_credentials".to_owned()),
        ("active", "on".to_owned()),
    ];
    if who != Who::SelfService {
        fields.push(("owner_user_id", owner.to_string()));
    }
    fields
}

fn user_fields(organization: i64, path: &str) -> Vec<(&'static str, String)> {
    if path.ends_with("/roles") {
        return vec![
            ("organization_id", organization.to_string()),
            ("role", "app-manager".to_owned()),
        ];
    }
    if !path.ends_with("/edit") {
        return Vec::new();
    }
    vec![
        ("email", "member@example.com".to_owned()),
        ("kind", "backoffice".to_owned()),
        ("organization_id", organization.to_string()),
    ]
}

/// ASVS 5.0 8.2.1 (function level) and 8.2.2 (data level, IDOR): each route × method × role,
/// on a record of the user's organization and of another.
async fn every_route_answers_each_role_by_the_records_organization(backend: Backend) {
    let world = World::new(backend).await;
    let other_owner = world.member("other-owner", world.other, false).id;
    let own_owner = world.member("own-owner", world.own, false).id;
    for who in EVERYONE {
        let browser = Browser::sign_in(&world.app, who.username()).await;
        let me = world.user_id(who);
        for (method, suffix, expected) in APPLICATION_ROUTES {
            let owner = if who == Who::SelfService {
                me
            } else {
                own_owner
            };
            let own_app = world.application(world.own, owner);
            let other_app = world.application(world.other, other_owner);
            if *suffix == "/activate" {
                world.app.deactivate_application(own_app);
                world.app.deactivate_application(other_app);
            }
            for (id, owner, expected, side) in [
                (own_app, owner, expected[index(who)], "own"),
                (
                    other_app,
                    other_owner,
                    if who == Who::Global { A } else { H },
                    "other",
                ),
            ] {
                let path = format!("{APPLICATIONS}/{id}{suffix}");
                let fields = application_fields(who, owner, &path);
                check(
                    &browser,
                    method,
                    &path,
                    &fields,
                    expected,
                    &format!("{who:?} {method} {path} ({side})"),
                )
                .await;
            }
            if who == Who::SelfService {
                // Someone else's application of the same organization is not theirs either.
                let theirs = world.application(world.own, own_owner);
                let path = format!("{APPLICATIONS}/{theirs}{suffix}");
                let fields = application_fields(who, own_owner, &path);
                check(
                    &browser,
                    method,
                    &path,
                    &fields,
                    H,
                    &format!("{who:?} {method} {path} (not mine)"),
                )
                .await;
            }
        }
        for (method, suffix, expected) in USER_ROUTES {
            let own_user = world.target_user(world.own);
            let other_user = world.target_user(world.other);
            if *suffix == "/enable" {
                world.app.disable_user(own_user);
                world.app.disable_user(other_user);
            }
            for (id, org, expected, side) in [
                (own_user, world.own, expected[index(who)], "own"),
                (
                    other_user,
                    world.other,
                    if who == Who::Global { A } else { H },
                    "other",
                ),
            ] {
                let path = format!(
                    "/admin/users/{id}{}",
                    suffix.replace("{org}", &org.to_string())
                );
                let fields = user_fields(org, &path);
                check(
                    &browser,
                    method,
                    &path,
                    &fields,
                    expected,
                    &format!("{who:?} {method} {path} ({side})"),
                )
                .await;
            }
        }
        for (method, path) in INSTALLATION_ROUTES {
            let path = path.replace("{own}", &world.own.to_string());
            let fields = [(
                "name",
                format!("Org {}", tessera::domain::secret::random_hex(3)),
            )];
            let expected = if who == Who::Global { A } else { H };
            check(
                &browser,
                method,
                &path,
                &fields,
                expected,
                &format!("{who:?} {method} {path}"),
            )
            .await;
        }
    }
}
both_backends!(every_route_answers_each_role_by_the_records_organization);

/// ASVS 5.0 8.2.2: a form field naming another organization's record is refused.
async fn a_form_naming_another_organizations_record_is_refused(backend: Backend) {
    let world = World::new(backend).await;
    let other = world.other.to_string();
    let stranger = world.member("stranger", world.other, false).id.to_string();
    let colleague = world.target_user(world.own);
    let grants = || ("grants", "client_credentials".to_owned());
    // (who, form, fields, expected)
    let table: Vec<FormCase> = vec![
        (
            Who::OrgAdmin,
            NEW_APPLICATION.into(),
            vec![
                ("name", "x".into()),
                grants(),
                ("organization_id", other.clone()),
            ],
            Outcome::Refused("organization"),
        ),
        (
            Who::AppManager,
            NEW_APPLICATION.into(),
            vec![
                ("name", "x".into()),
                grants(),
                ("organization_id", other.clone()),
            ],
            Outcome::Refused("organization"),
        ),
        (
            Who::SelfService,
            NEW_APPLICATION.into(),
            vec![
                ("name", "x".into()),
                grants(),
                ("organization_id", other.clone()),
            ],
            Outcome::Refused("organization"),
        ),
        (
            Who::Viewer,
            NEW_APPLICATION.into(),
            vec![
                ("name", "x".into()),
                grants(),
                ("organization_id", other.clone()),
            ],
            H,
        ),
        (
            Who::OrgAdmin,
            NEW_APPLICATION.into(),
            vec![
                ("name", "x".into()),
                grants(),
                ("owner_user_id", stranger.clone()),
            ],
            Outcome::Refused("owner"),
        ),
        (
            Who::AppManager,
            NEW_APPLICATION.into(),
            vec![
                ("name", "x".into()),
                grants(),
                ("owner_user_id", stranger.clone()),
            ],
            Outcome::Refused("owner"),
        ),
        (
            Who::OrgAdmin,
            "/admin/users/new".into(),
            vec![
                ("username", "newbie".into()),
                ("email", "n@example.com".into()),
                ("kind", "backoffice".into()),
                ("password", PASSWORD.into()),
                ("password_confirm", PASSWORD.into()),
                ("organization_id", other.clone()),
            ],
            Outcome::Refused("organization"),
        ),
        (
            Who::OrgAdmin,
            format!("/admin/users/{colleague}/edit"),
            vec![
                ("email", "c@example.com".into()),
                ("kind", "backoffice".into()),
                ("organization_id", other.clone()),
            ],
            Outcome::Refused("organization"),
        ),
        (
            Who::OrgAdmin,
            format!("/admin/users/{colleague}/roles"),
            vec![
                ("organization_id", other.clone()),
                ("role", "org-admin".into()),
            ],
            H,
        ),
        (
            Who::OrgAdmin,
            format!("/admin/users/{colleague}/edit"),
            vec![
                ("email", "c@example.com".into()),
                ("kind", "backoffice".into()),
                ("organization_id", world.own.to_string()),
                ("is_admin", "on".into()),
            ],
            F,
        ),
    ];
    for (who, path, fields, expected) in table {
        let browser = Browser::sign_in(&world.app, who.username()).await;
        check(
            &browser,
            "POST",
            &path,
            &fields,
            expected,
            &format!("{who:?} POST {path} {fields:?}"),
        )
        .await;
    }
    assert_eq!(
        world.applications_in(world.other),
        0,
        "nothing was created in the other organization"
    );
    let row = world.app.user_row(colleague);
    assert_eq!(row.organization_id, Some(world.own), "the colleague stayed");
    assert!(!row.is_admin, "nobody but a global administrator names one");
    let newbie =
        tessera::db::models::user::find_by_username(&mut world.app.conn(), "newbie").unwrap();
    assert!(
        newbie.is_none(),
        "no user was created in the other organization"
    );
    let roles = tessera::db::models::user_role::for_user(&mut world.app.conn(), colleague).unwrap();
    assert!(
        roles.iter().all(|r| r.organization_id == world.own),
        "no role in the other organization"
    );
}
both_backends!(a_form_naming_another_organizations_record_is_refused);

/// The grid's total, read from its pager ("1–2 of 2").
fn grid_total(html: &str) -> i64 {
    let pager = &html[html.find("data-testid=\"pager\"").expect("a pager")..];
    let of = pager.find(" of ").unwrap() + 4;
    pager[of..]
        .split('<')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// ASVS 5.0 8.2.2: lists, counts and filters show only what the role may see.
async fn the_grid_its_counts_and_its_filters_show_each_role_only_its_organizations(
    backend: Backend,
) {
    let world = World::new(backend).await;
    let own_owner = world.member("own-owner", world.own, false).id;
    let other_owner = world.member("other-owner", world.other, false).id;
    let mine = world.user_id(Who::SelfService);
    world.application(world.own, own_owner);
    world.application(world.own, mine);
    for _ in 0..3 {
        world.application(world.other, other_owner);
    }
    for (who, total, filter) in [
        (Who::Global, 5, true),
        (Who::OrgAdmin, 2, false),
        (Who::AppManager, 2, false),
        (Who::Viewer, 2, false),
        (Who::SelfService, 1, false),
    ] {
        let browser = Browser::sign_in(&world.app, who.username()).await;
        let grid = browser.html(APPLICATIONS).await;
        assert_eq!(grid_total(&grid), total, "{who:?} grid");
        assert_eq!(
            grid.contains("name=\"organization\""),
            filter,
            "{who:?} organization filter"
        );
        assert!(
            !grid.contains("Other") || who == Who::Global,
            "{who:?} never sees the other organization's name"
        );
        let everywhere = browser
            .html(&format!("{APPLICATIONS}?organization={}", world.other))
            .await;
        let expected = if who == Who::Global { 3 } else { 0 };
        assert_eq!(
            grid_total(&everywhere),
            expected,
            "{who:?} filtering by another organization"
        );
        let dashboard = browser.html("/admin").await;
        assert!(
            dashboard.contains(&format!(
                "<span class=\"num\">{total}</span> OAuth applications"
            )),
            "{who:?} dashboard count"
        );
        assert_eq!(
            dashboard.contains("href=\"/admin/organizations\""),
            who == Who::Global,
            "{who:?} navigation"
        );
        assert_eq!(
            dashboard.contains("href=\"/admin/notifications\""),
            who == Who::Global,
            "{who:?} navigation"
        );
        let users = match who {
            Who::Global => Some(7),
            Who::SelfService => None,
            _ => Some(6),
        };
        if let Some(users) = users {
            let tile = format!("<span class=\"num\">{users}</span> users");
            assert!(
                dashboard.contains(&tile),
                "{who:?} counts the users it may see"
            );
        }
        assert_eq!(
            dashboard.contains("href=\"/admin/users\""),
            who != Who::SelfService,
            "{who:?} navigation"
        );
    }
    // A role in a second organization brings the Organization filter and field.
    world.grant(world.user_id(Who::Viewer), world.other, Role::AppManager);
    let browser = Browser::sign_in(&world.app, Who::Viewer.username()).await;
    let grid = browser.html(APPLICATIONS).await;
    assert_eq!(grid_total(&grid), 5);
    assert!(grid.contains("name=\"organization\""));
    let form = browser.html(NEW_WEB_APPLICATION).await;
    assert!(
        !form.contains("name=\"organization_id\""),
        "creates only where it manages: one organization"
    );
}
both_backends!(the_grid_its_counts_and_its_filters_show_each_role_only_its_organizations);

/// ASVS 5.0 8.2.2: self-service reaches only the user's own applications, and only while on.
async fn self_service_users_manage_their_own_applications_only_while_the_setting_is_on(
    backend: Backend,
) {
    let world = World::new(backend).await;
    let browser = Browser::sign_in(&world.app, Who::SelfService.username()).await;
    let me = world.user_id(Who::SelfService);
    let page = browser.html(NEW_WEB_APPLICATION).await;
    let key = hidden_field(&page, "creation_key").unwrap();
    let response = browser
        .post(
            NEW_APPLICATION,
            &[
                ("creation_key", key),
                ("name", "Mine".into()),
                ("grants", "client_credentials".into()),
                ("owner_user_id", world.user_id(Who::Global).to_string()),
            ],
        )
        .await;
    assert_eq!(response.status(), 200, "the one-time secret page");
    let created = tessera::db::models::client::list_for_owner(&mut world.app.conn(), me).unwrap();
    assert_eq!(
        created.len(),
        1,
        "created for themselves, whatever owner was posted"
    );
    assert_eq!(created[0].organization_id, world.own);
    let mine = browser.html(&format!("{APPLICATIONS}?owner={me}")).await;
    assert!(mine.contains("My OAuth applications") && mine.contains("Mine"));

    let off = World::with(TestApp::builder(backend).setting("TESSERA_SELF_SERVICE", "false")).await;
    let mine_id = off.application(off.own, off.user_id(Who::SelfService));
    let browser = Browser::sign_in(&off.app, Who::SelfService.username()).await;
    assert_eq!(browser.get(NEW_APPLICATION).await.status(), 404);
    assert_eq!(browser.get(&application_path(mine_id)).await.status(), 404);
    assert_eq!(grid_total(&browser.html(APPLICATIONS).await), 0);
}
both_backends!(self_service_users_manage_their_own_applications_only_while_the_setting_is_on);

/// ASVS 5.0 8.3.1 (authorization read on the server for each request) and 16.3.2 (changes
/// to authorization are logged).
async fn a_role_change_takes_effect_on_the_next_request_and_is_audited(backend: Backend) {
    let world = World::new(backend).await;
    let owner = world.member("own-owner", world.own, false).id;
    let id = world.application(world.own, owner);
    let viewer = Browser::sign_in(&world.app, Who::Viewer.username()).await;
    assert_eq!(
        viewer.get(&application_action(id, "edit")).await.status(),
        403
    );
    let admin = Browser::sign_in(&world.app, Who::OrgAdmin.username()).await;
    let viewer_id = world.user_id(Who::Viewer);
    let granted = admin
        .post(
            &format!("/admin/users/{viewer_id}/roles"),
            &[
                ("organization_id", world.own.to_string()),
                ("role", "app-manager".into()),
            ],
        )
        .await;
    assert_redirects_to(&granted, &format!("/admin/users/{viewer_id}"));
    assert_eq!(
        viewer.get(&application_action(id, "edit")).await.status(),
        200,
        "same session, next request"
    );
    let revoked = admin
        .post(
            &format!("/admin/users/{viewer_id}/roles/{}/revoke", world.own),
            &[],
        )
        .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(
        viewer.get(&application_path(id)).await.status(),
        404,
        "no role, no sight"
    );
    let mut conn = world.app.conn();
    let grants = tessera::audit::with_action(&mut conn, AuditAction::RoleGranted).unwrap();
    let revokes = tessera::audit::with_action(&mut conn, AuditAction::RoleRevoked).unwrap();
    assert!(
        grants
            .iter()
            .any(|e| e.actor == "org-admin" && e.target_id == Some(viewer_id))
    );
    assert_eq!(revokes.len(), 1);
    assert_eq!(revokes[0].actor, "org-admin");
}
both_backends!(a_role_change_takes_effect_on_the_next_request_and_is_audited);

fn tessera_cli(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.current_dir(dir).args(args).env("RUST_LOG", "warn");
    for (k, _) in std::env::vars() {
        if k.starts_with("TESSERA_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("TESSERA_USER_PASSWORD", PASSWORD);
    cmd.output().expect("run tessera")
}

#[test]
fn the_command_line_grants_lists_and_revokes_roles() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = tessera_cli(dir.path(), args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["orgs", "create", "Other"]);
    let boss = run(&[
        "users",
        "create",
        "--username",
        "boss",
        "--email",
        "b@example.com",
        "--global-admin",
    ]);
    assert!(boss.contains("global administrator"));
    run(&[
        "users",
        "create",
        "--username",
        "bob",
        "--email",
        "bob@example.com",
    ]);
    run(&[
        "users",
        "grant",
        "--username",
        "bob",
        "--org",
        "Other",
        "--role",
        "app-manager",
    ]);
    run(&[
        "users",
        "grant",
        "--username",
        "bob",
        "--org",
        "Default",
        "--role",
        "viewer",
    ]);
    let listed: serde_json::Value =
        serde_json::from_str(&run(&["users", "list", "--json"])).unwrap();
    let bob = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "bob")
        .unwrap();
    assert_eq!(
        bob["roles"],
        serde_json::json!([
            {"organization": "Default", "role": "viewer"},
            {"organization": "Other", "role": "app-manager"}
        ])
    );
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == "boss" && u["global_admin"] == true)
    );
    run(&["users", "revoke", "--username", "bob", "--org", "Other"]);
    let text = run(&["users", "list"]);
    let line = text.lines().find(|l| l.starts_with("bob\t")).unwrap();
    assert!(line.ends_with("viewer in Default"), "{line}");
    let bad = tessera_cli(
        dir.path(),
        &[
            "users",
            "grant",
            "--username",
            "bob",
            "--org",
            "Other",
            "--role",
            "owner",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("org-admin, app-manager or viewer"));
    let none = tessera_cli(
        dir.path(),
        &["users", "revoke", "--username", "bob", "--org", "Other"],
    );
    assert!(!none.status.success(), "revoking a role not held fails");
}

/// A method, a path, the posted fields and what each role gets.
type RouteCase = (
    &'static str,
    String,
    Vec<(&'static str, String)>,
    [Outcome; 5],
);

/// Secret rotation, sign-in and consent settings, the scope catalog, notice templates and an
/// organization's consent screen: what each role gets.
async fn the_newer_pages_answer_each_role(backend: Backend) {
    let world = World::new(backend).await;
    let self_service = world.user_id(Who::SelfService);
    let own_app = world.application(world.own, self_service);
    let other_owner = world.member("other-owner", world.other, false).id;
    let other_app = world.application(world.other, other_owner);
    // global, organization administrator, application manager, viewer, self-service
    let routes: Vec<RouteCase> = vec![
        ("GET", "/admin/scopes".into(), vec![], [A, A, A, A, H]),
        (
            "POST",
            "/admin/scopes/categories".into(),
            vec![("name", "Roles".into())],
            [A, H, H, H, H],
        ),
        (
            "GET",
            "/admin/emails/templates".into(),
            vec![],
            [A, A, A, A, H],
        ),
        (
            "GET",
            format!("{APPLICATIONS}/{own_app}/secrets/new"),
            vec![],
            [A, A, A, F, A],
        ),
        (
            "GET",
            format!("{APPLICATIONS}/{own_app}/authorization"),
            vec![],
            [A, A, A, F, A],
        ),
        (
            "GET",
            format!("{APPLICATIONS}/{other_app}/secrets/new"),
            vec![],
            [A, H, H, H, H],
        ),
        (
            "GET",
            format!("/admin/organizations/{}/consent-screen", world.own),
            vec![],
            [A, A, F, F, H],
        ),
        (
            "GET",
            format!("/admin/organizations/{}/consent-screen", world.other),
            vec![],
            [A, H, H, H, H],
        ),
    ];
    for who in EVERYONE {
        let browser = Browser::sign_in(&world.app, who.username()).await;
        for (method, path, fields, expected) in &routes {
            check(
                &browser,
                method,
                path,
                fields,
                expected[index(who)],
                &format!("{who:?} {method} {path}"),
            )
            .await;
        }
    }
}
both_backends!(the_newer_pages_answer_each_role);
