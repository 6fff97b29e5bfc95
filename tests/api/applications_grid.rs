//! The OAuth Applications grid: filters, sort and pages from the query string.

use crate::both_backends;
use crate::helpers::*;

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

async fn the_grid_filters_sorts_and_pages_from_the_query_string(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let mut created = Vec::new();
    for name in ["Alpha Shop", "beta sync", "Gamma", "alphabet soup"] {
        created.push(app.application(name).create_in_back_office().await);
        app.clock.advance(chrono::TimeDelta::seconds(1));
    }
    app.deactivate_application(created[2].id);

    let names = grid_names;
    let page = app
        .get(&format!("{APPLICATIONS}?name=ALPHA&sort=name&dir=asc"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(names(&page), ["Alpha Shop", "alphabet soup"]);
    let page = app
        .get(&format!("{APPLICATIONS}?sort=name&dir=desc"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        names(&page),
        ["Gamma", "beta sync", "alphabet soup", "Alpha Shop"],
        "case does not matter"
    );
    let page = app
        .get(&format!("{APPLICATIONS}?status=inactive"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(names(&page), ["Gamma"]);
    let page = app
        .get(&format!(
            "{APPLICATIONS}?status=active&sort=created&dir=asc"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(names(&page), ["Alpha Shop", "beta sync", "alphabet soup"]);
    let page = app
        .get(&format!("{APPLICATIONS}?grant=password"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(names(&page).len(), 4);
    let page = app
        .get(&format!(
            "{APPLICATIONS}?sort=name&dir=asc&per_page=10&page=1"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("1–4 of 4"));
    let page = app
        .get(&format!("{APPLICATIONS}?name=%25"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("No OAuth applications match these filters."),
        "% is literal"
    );
    let page = app
        .get(&format!("{APPLICATIONS}?page=abc&per_page=-1&sort=nope"))
        .await;
    assert_eq!(
        page.status(),
        200,
        "nonsense parameters fall back to defaults"
    );
}
both_backends!(the_grid_filters_sorts_and_pages_from_the_query_string);

async fn the_grid_pages_through_many_applications(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let owner = app.create_user("owner", "owner's long password", "backoffice", false);
    for i in 0..23 {
        app.application(&format!("App {i:02}"))
            .owner(owner.id)
            .register();
    }
    let page = app
        .get(&format!(
            "{APPLICATIONS}?sort=name&dir=asc&per_page=10&page=3"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("21–23 of 23"));
    assert!(page.contains("Page 3 of 3"));
    assert!(page.contains("App 22") && !page.contains("App 19"));
    assert!(page.contains("rel=\"prev\""));
    assert!(!page.contains("rel=\"next\""));
    let mine = app
        .get(&format!("{APPLICATIONS}?owner={}", owner.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(mine.contains("of 23"));
}
both_backends!(the_grid_pages_through_many_applications);

async fn an_empty_grid_says_so(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    let page = app.get(APPLICATIONS).await.text().await.unwrap();
    assert!(page.contains("No OAuth applications yet."));
}
both_backends!(an_empty_grid_says_so);

async fn the_grid_filters_by_organization(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_admin().await;
    app.application("At home").create_in_back_office().await;
    let acme = app.organization("Acme");
    // An owner must be of the application's organization; this one needs none.
    app.application("Abroad")
        .grants(&["password"])
        .without_owner()
        .organization(acme)
        .register();
    let page = app
        .get(&format!("{APPLICATIONS}?organization={}", acme))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(grid_names(&page), ["Abroad"]);
    assert!(page.contains(&format!(
        "<option value=\"{}\" selected>Acme</option>",
        acme
    )));
    let all = app.get(APPLICATIONS).await.text().await.unwrap();
    assert_eq!(grid_names(&all).len(), 2);
}
both_backends!(the_grid_filters_by_organization);
