//! The OAuth Applications grid: filters, sort and pages from the query string.

use crate::applications::create_application;
use crate::both_backends;
use crate::helpers::*;
use tessera::db::models::client;

/// The application names in a grid page, in order.
fn grid_names(html: &str) -> Vec<String> {
    html.split("data-testid=\"application-row\"")
        .skip(1)
        .map(|row| {
            let link = &row[row.find("<a href=").unwrap()..];
            let text = &link[link.find('>').unwrap() + 1..];
            text[..text.find("</a>").unwrap()].to_owned()
        })
        .collect()
}

both_backends! {
    async fn the_grid_filters_sorts_and_pages_from_the_query_string(backend: Backend) {
        let app = spawn_app(backend).await;
        app.signed_in_admin().await;
        for name in ["Alpha Shop", "beta sync", "Gamma", "alphabet soup"] {
            create_application(&app, name).await;
            app.clock.advance(chrono::TimeDelta::seconds(1));
        }
        let gamma = client::list_all(&mut app.conn()).unwrap().into_iter().find(|c| c.name == "Gamma").unwrap();
        client::set_active(&mut app.conn(), gamma.id, false, app.state.now()).unwrap();

        let names = grid_names;
        let page = app.get("/admin/oauth-applications?name=ALPHA&sort=name&dir=asc").await.text().await.unwrap();
        assert_eq!(names(&page), ["Alpha Shop", "alphabet soup"]);
        let page = app.get("/admin/oauth-applications?sort=name&dir=desc").await.text().await.unwrap();
        assert_eq!(names(&page), ["Gamma", "beta sync", "alphabet soup", "Alpha Shop"], "case does not matter");
        let page = app.get("/admin/oauth-applications?status=inactive").await.text().await.unwrap();
        assert_eq!(names(&page), ["Gamma"]);
        let page = app.get("/admin/oauth-applications?status=active&sort=created&dir=asc").await.text().await.unwrap();
        assert_eq!(names(&page), ["Alpha Shop", "beta sync", "alphabet soup"]);
        let page = app.get("/admin/oauth-applications?grant=password").await.text().await.unwrap();
        assert_eq!(names(&page).len(), 4);
        let page = app.get("/admin/oauth-applications?sort=name&dir=asc&per_page=10&page=1").await.text().await.unwrap();
        assert!(page.contains("1–4 of 4"));
        let page = app.get("/admin/oauth-applications?name=%25").await.text().await.unwrap();
        assert!(page.contains("No OAuth applications match these filters."), "% is literal");
        let page = app.get("/admin/oauth-applications?page=abc&per_page=-1&sort=nope").await;
        assert_eq!(page.status(), 200, "nonsense parameters fall back to defaults");
    }

    async fn the_grid_pages_through_many_applications(backend: Backend) {
        let app = spawn_app(backend).await;
        app.signed_in_admin().await;
        let owner = app.create_user("owner", "owner's long password", "backoffice", false);
        let org = tessera::db::models::organization::find_by_name(&mut app.conn(), "Default").unwrap().unwrap();
        for i in 0..23 {
            let spec = tessera::clients::ClientSpec::legacy(
                org.id,
                tessera::domain::ClientName::parse(&format!("App {i:02}")).unwrap(),
                tessera::domain::Grants::parse(["client_credentials"]).unwrap(),
                Some(owner.id),
                false,
            );
            let actor = tessera::clients::Actor { user_id: None, name: "test", ip: None };
            tessera::clients::register(&mut app.conn(), &spec, true, None, &actor, app.state.now()).unwrap();
        }
        let page = app.get("/admin/oauth-applications?sort=name&dir=asc&per_page=10&page=3").await.text().await.unwrap();
        assert!(page.contains("21–23 of 23"));
        assert!(page.contains("Page 3 of 3"));
        assert!(page.contains("App 22") && !page.contains("App 19"));
        assert!(page.contains("rel=\"prev\""));
        assert!(!page.contains("rel=\"next\""));
        let mine = app.get(&format!("/admin/oauth-applications?owner={}", owner.id)).await.text().await.unwrap();
        assert!(mine.contains("of 23"));
    }

    async fn an_empty_grid_says_so(backend: Backend) {
        let app = spawn_app(backend).await;
        app.signed_in_admin().await;
        let page = app.get("/admin/oauth-applications").await.text().await.unwrap();
        assert!(page.contains("No OAuth applications yet."));
    }

    async fn the_grid_filters_by_organization(backend: Backend) {
        let app = spawn_app(backend).await;
        app.signed_in_admin().await;
        create_application(&app, "At home").await;
        let owner = tessera::db::models::user::find_by_username(&mut app.conn(), "owner").unwrap().unwrap();
        let acme = tessera::db::models::organization::create(&mut app.conn(), "Acme", app.state.now()).unwrap();
        let spec = tessera::clients::ClientSpec::legacy(
            acme.id,
            tessera::domain::ClientName::parse("Abroad").unwrap(),
            tessera::domain::Grants::parse(["password"]).unwrap(),
            Some(owner.id),
            false,
        );
        let actor = tessera::clients::Actor { user_id: None, name: "test", ip: None };
        tessera::clients::register(&mut app.conn(), &spec, true, None, &actor, app.state.now()).unwrap();
        let page = app.get(&format!("/admin/oauth-applications?organization={}", acme.id)).await.text().await.unwrap();
        assert_eq!(grid_names(&page), ["Abroad"]);
        assert!(page.contains(&format!("<option value=\"{}\" selected>Acme</option>", acme.id)));
        let all = app.get("/admin/oauth-applications").await.text().await.unwrap();
        assert_eq!(grid_names(&all).len(), 2);
    }
}
