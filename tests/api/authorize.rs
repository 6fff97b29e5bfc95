//! The authorization endpoint: the code flow with PKCE, the sign-in (SSO) and consent
//! dialogs, prompts, errors that redirect and errors that must not, code exchange and
//! replay, implicit by opt-in, and /account (RFC 6749 §4.1, §4.2; RFC 7636; RFC 9207;
//! RFC 9700 §2.1, §4.1, §4.2.4, §4.7, §4.16).

use crate::authorize_support::*;
use crate::both_backends;
use crate::helpers::*;
use crate::oauth_support::*;
use tessera::audit::AuditAction;

async fn the_code_flow_with_pkce_issues_tokens_for_the_person_rfc_6749_section_4_1(
    backend: Backend,
) {
    // RFC 6749 §4.1.2, §4.1.4; RFC 9207 §2: the redirect carries code, state and iss;
    // the exchange answers an access and a refresh token whose sub is the person.
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    let ann = person(&app, "ann");
    let browser = Browser::new(&app);
    let pkce = pkce();
    let back = browser
        .sign_in_and_allow(&code_query(&client, &pkce, &[("scope", "read")]), "ann")
        .await;
    let params = redirect_params(&back);
    assert_eq!(params["state"], STATE);
    assert_eq!(params["iss"], "http://tessera.test");
    let tokens =
        expect_tokens(exchange(&app, &client, &params["code"], Some(&pkce.verifier)).await).await;
    assert_eq!(tokens["scope"], "read");
    let claims = jwt_part(str_of(&tokens, "access_token"), 1);
    assert_eq!(claims["sub"], ann.to_string());
    assert_eq!(claims["client_id"], client.client_id.as_str());
    let who: serde_json::Value = me(&app, "/api/me", str_of(&tokens, "access_token"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(who["user"]["username"], "ann");
    // RFC 6749 §6: the refresh token rotates as the password grant's do.
    let refreshed =
        expect_tokens(refresh(&app, &client, str_of(&tokens, "refresh_token")).await).await;
    assert!(refreshed["refresh_token"].is_string());
}
both_backends!(the_code_flow_with_pkce_issues_tokens_for_the_person_rfc_6749_section_4_1);

async fn a_public_client_exchanges_its_code_with_the_verifier_alone_rfc_7636_section_4_5(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "spa", false);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let pkce = pkce();
    let back = browser
        .sign_in_and_allow(&code_query(&client, &pkce, &[]), "ann")
        .await;
    let code = redirect_params(&back)["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", client.client_id.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let tokens = expect_tokens(post(&app, "/oauth2-token", &form).await).await;
    assert_eq!(tokens["scope"], "read write");
}
both_backends!(a_public_client_exchanges_its_code_with_the_verifier_alone_rfc_7636_section_4_5);

async fn a_wrong_verifier_or_a_missing_one_is_invalid_grant_rfc_7636_section_4_6(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let pkce = pkce();
    let back = browser
        .sign_in_and_allow(&code_query(&client, &pkce, &[]), "ann")
        .await;
    let code = redirect_params(&back)["code"].clone();
    let other = crate::authorize_support::pkce();
    let (status, body) =
        error_of(exchange(&app, &client, &code, Some(&other.verifier)).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (status, body) = error_of(exchange(&app, &client, &code, None).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    // The right verifier still works: a failed check does not spend the code.
    expect_tokens(exchange(&app, &client, &code, Some(&pkce.verifier)).await).await;
}
both_backends!(a_wrong_verifier_or_a_missing_one_is_invalid_grant_rfc_7636_section_4_6);

async fn a_verifier_without_a_challenge_is_refused_rfc_9700_section_4_8(backend: Backend) {
    // With PKCE relaxed to public clients, a confidential one may omit the challenge;
    // a verifier sent anyway means something is amiss.
    let app = TestApp::builder(backend)
        .setting("TESSERA_PKCE_REQUIRED", "public")
        .spawn()
        .await;
    let client = web_app(&app, "portal", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let query: Vec<(String, String)> = code_query(&client, &pkce(), &[])
        .into_iter()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .collect();
    let back = browser.sign_in_and_allow(&query, "ann").await;
    let code = redirect_params(&back)["code"].clone();
    let (status, body) =
        error_of(exchange(&app, &client, &code, Some(&pkce().verifier)).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    expect_tokens(exchange(&app, &client, &code, None).await).await;
}
both_backends!(a_verifier_without_a_challenge_is_refused_rfc_9700_section_4_8);

async fn pkce_is_required_and_plain_refused_unless_allowed_rfc_7636_section_4_4_1(
    backend: Backend,
) {
    // RFC 9700 §2.1.1: S256 is required of every client by default; `plain` only for an
    // application an administrator marked so.
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    let browser = Browser::new(&app);
    let pkce = pkce();
    let without: Vec<(String, String)> = code_query(&client, &pkce, &[])
        .into_iter()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .collect();
    let params = redirect_params(&location(&browser.authorize(&without).await));
    assert_eq!(params["error"], "invalid_request");
    assert_eq!(params["state"], STATE);
    assert_eq!(params["iss"], "http://tessera.test");
    let plain = code_query(&client, &pkce, &[])
        .into_iter()
        .map(|(k, v)| {
            if k == "code_challenge_method" {
                (k, "plain".to_owned())
            } else {
                (k, v)
            }
        })
        .collect::<Vec<_>>();
    let params = redirect_params(&location(&browser.authorize(&plain).await));
    assert_eq!(params["error"], "invalid_request");
    assert!(params["error_description"].contains("plain"), "{params:?}");
    set_options(&app, &client, false, true, false);
    let response = browser.authorize(&plain).await;
    assert!(
        location(&response).starts_with("/account/authorize?request="),
        "{}",
        location(&response)
    );
}
both_backends!(pkce_is_required_and_plain_refused_unless_allowed_rfc_7636_section_4_4_1);

async fn an_unknown_client_or_unregistered_redirect_uri_shows_a_page_and_never_redirects_rfc_6749_section_4_1_2_1(
    backend: Backend,
) {
    // RFC 9700 §4.1: no open redirector.
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    let browser = Browser::new(&app);
    let pkce = pkce();
    let cases: Vec<Vec<(String, String)>> = vec![
        code_query(&client, &pkce, &[])
            .into_iter()
            .map(|(k, v)| {
                if k == "client_id" {
                    (k, "nobody".to_owned())
                } else {
                    (k, v)
                }
            })
            .collect(),
        code_query(&client, &pkce, &[])
            .into_iter()
            .map(|(k, v)| {
                if k == "redirect_uri" {
                    (k, "https://evil.example/callback".to_owned())
                } else {
                    (k, v)
                }
            })
            .collect(),
        code_query(&client, &pkce, &[])
            .into_iter()
            .map(|(k, v)| {
                if k == "redirect_uri" {
                    (k, format!("{REDIRECT_URI}/"))
                } else {
                    (k, v)
                }
            })
            .collect(),
        code_query(
            &client,
            &pkce,
            &[("redirect_uri", "https://evil.example/callback")],
        ),
        code_query(&client, &pkce, &[])
            .into_iter()
            .filter(|(k, _)| k != "client_id")
            .collect(),
    ];
    for query in cases {
        let response = browser.authorize(&query).await;
        assert_eq!(response.status(), 400, "{query:?}");
        assert!(response.headers().get("location").is_none(), "{query:?}");
        let page = response.text().await.unwrap();
        assert!(page.contains("data-testid=\"authorize-error\""), "{page}");
    }
    // A deactivated application is unknown too.
    tessera::db::models::client::set_active(
        &mut app.conn(),
        client.id,
        false,
        tessera::clock::Clock::now(app.clock.as_ref()),
    )
    .unwrap();
    let response = browser.authorize(&code_query(&client, &pkce, &[])).await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}
both_backends!(an_unknown_client_or_unregistered_redirect_uri_shows_a_page_and_never_redirects_rfc_6749_section_4_1_2_1);

async fn request_errors_go_back_to_the_application_with_state_and_iss_rfc_6749_section_4_1_2_1(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    let browser = Browser::new(&app);
    let pkce = pkce();
    let with = |key: &str, value: &str| -> Vec<(String, String)> {
        code_query(&client, &pkce, &[])
            .into_iter()
            .map(|(k, v)| {
                if k == key {
                    (k, value.to_owned())
                } else {
                    (k, v)
                }
            })
            .collect()
    };
    let cases = [
        (
            with("response_type", "code id_token"),
            "unsupported_response_type",
        ),
        (with("response_type", "token"), "unauthorized_client"),
        (
            code_query(&client, &pkce, &[("scope", "read admin")]),
            "invalid_scope",
        ),
        (
            code_query(&client, &pkce, &[("scope", "read\"")]),
            "invalid_scope",
        ),
        (
            code_query(&client, &pkce, &[("state", "again")]),
            "invalid_request",
        ),
        (with("code_challenge", "short"), "invalid_request"),
        (
            code_query(&client, &pkce, &[("prompt", "none login")]),
            "invalid_request",
        ),
    ];
    for (query, error) in cases {
        let response = browser.authorize(&query).await;
        assert_eq!(response.status(), 303, "{query:?}");
        let params = redirect_params(&location(&response));
        assert_eq!(params["error"], error, "{query:?}");
        assert_eq!(params["iss"], "http://tessera.test");
        assert!(params.contains_key("error_description"));
    }
    // An application without the code grant is unauthorized_client.
    let other = app
        .application("machine")
        .grants(&["client_credentials"])
        .register();
    diesel::RunQueryDsl::execute(
        diesel::update(diesel::QueryDsl::find(
            tessera::db::schema::clients::table,
            other.id,
        ))
        .set(diesel::ExpressionMethods::eq(
            tessera::db::schema::clients::redirect_uris,
            REDIRECT_URI,
        )),
        &mut *app.conn(),
    )
    .unwrap();
    let params = redirect_params(&location(
        &browser.authorize(&code_query(&other, &pkce, &[])).await,
    ));
    assert_eq!(params["error"], "unauthorized_client");
    assert_eq!(params["state"], STATE);
}
both_backends!(
    request_errors_go_back_to_the_application_with_state_and_iss_rfc_6749_section_4_1_2_1
);

async fn deny_sends_access_denied_back_rfc_6749_section_4_1_2_1(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let started = browser.authorize(&code_query(&client, &pkce(), &[])).await;
    let page = browser.follow(&started).await.text().await.unwrap();
    let signed_in = browser.sign_in(&page, "ann", USER_PASSWORD).await;
    let page = browser.follow(&signed_in).await.text().await.unwrap();
    let denied = browser.decide(&page, "deny").await;
    let params = redirect_params(&location(&denied));
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], STATE);
    // The pending request is answered once: posting the dialog again is refused.
    let again = browser.decide(&page, "allow").await;
    assert_eq!(again.status(), 400);
}
both_backends!(deny_sends_access_denied_back_rfc_6749_section_4_1_2_1);

async fn single_sign_on_authorizes_a_second_application_without_a_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = web_app(&app, "portal", true);
    let second = web_app(&app, "shop", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    browser
        .sign_in_and_allow(&code_query(&first, &pkce(), &[]), "ann")
        .await;
    let started = browser.authorize(&code_query(&second, &pkce(), &[])).await;
    let page = browser.follow(&started).await.text().await.unwrap();
    assert!(page.contains("shop wants to access your account"), "{page}");
    assert!(
        page.contains("data-testid=\"signed-in-person\">ann<"),
        "{page}"
    );
    let allowed = browser.decide(&page, "allow").await;
    assert!(redirect_params(&location(&allowed)).contains_key("code"));
}
both_backends!(single_sign_on_authorizes_a_second_application_without_a_password);

async fn consent_is_remembered_and_asked_again_for_a_new_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    browser
        .sign_in_and_allow(&code_query(&client, &pkce(), &[("scope", "read")]), "ann")
        .await;
    // The same scope again: straight back with a code.
    let response = browser
        .authorize(&code_query(&client, &pkce(), &[("scope", "read")]))
        .await;
    assert!(redirect_params(&location(&response)).contains_key("code"));
    // A new scope: the consent page again.
    let response = browser
        .authorize(&code_query(&client, &pkce(), &[("scope", "read write")]))
        .await;
    let page = browser.follow(&response).await.text().await.unwrap();
    // The catalog's category and description of each scope asked.
    assert!(page.contains("<h2>Tests</h2>"), "{page}");
    assert!(page.contains("<code>write</code> — Use write"), "{page}");
    let allowed = browser.decide(&page, "allow").await;
    assert!(redirect_params(&location(&allowed)).contains_key("code"));
    let granted =
        tessera::audit::with_action(&mut app.conn(), AuditAction::ConsentGranted).unwrap();
    assert_eq!(granted.len(), 2);
    assert_eq!(granted[1].detail, "scope: read write");
}
both_backends!(consent_is_remembered_and_asked_again_for_a_new_scope);

async fn an_application_marked_skip_consent_asks_no_consent(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "intranet", true);
    set_options(&app, &client, true, false, false);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let started = browser.authorize(&code_query(&client, &pkce(), &[])).await;
    let page = browser.follow(&started).await.text().await.unwrap();
    let signed_in = browser.sign_in(&page, "ann", USER_PASSWORD).await;
    let answered = browser.follow(&signed_in).await;
    assert!(redirect_params(&location(&answered)).contains_key("code"));
}
both_backends!(an_application_marked_skip_consent_asks_no_consent);

async fn prompt_none_answers_login_required_then_consent_required_then_a_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    let other = web_app(&app, "shop", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let none = [("prompt", "none")];
    let params = redirect_params(&location(
        &browser
            .authorize(&code_query(&client, &pkce(), &none))
            .await,
    ));
    assert_eq!(
        (params["error"].as_str(), params["state"].as_str()),
        ("login_required", STATE)
    );
    browser
        .sign_in_and_allow(&code_query(&other, &pkce(), &[]), "ann")
        .await;
    let params = redirect_params(&location(
        &browser
            .authorize(&code_query(&client, &pkce(), &none))
            .await,
    ));
    assert_eq!(params["error"], "consent_required");
    let params = redirect_params(&location(
        &browser.authorize(&code_query(&other, &pkce(), &none)).await,
    ));
    assert!(params.contains_key("code"), "{params:?}");
}
both_backends!(prompt_none_answers_login_required_then_consent_required_then_a_code);

async fn prompt_login_and_prompt_consent_force_their_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    browser
        .sign_in_and_allow(&code_query(&client, &pkce(), &[]), "ann")
        .await;
    let response = browser
        .authorize(&code_query(&client, &pkce(), &[("prompt", "login")]))
        .await;
    let page = browser.follow(&response).await.text().await.unwrap();
    assert!(page.contains("Sign in to continue to portal"), "{page}");
    app.clock.advance(chrono::TimeDelta::seconds(1));
    let signed_in = browser.sign_in(&page, "ann", USER_PASSWORD).await;
    let answered = browser.follow(&signed_in).await;
    assert!(redirect_params(&location(&answered)).contains_key("code"));
    let response = browser
        .authorize(&code_query(&client, &pkce(), &[("prompt", "consent")]))
        .await;
    let page = browser.follow(&response).await.text().await.unwrap();
    assert!(page.contains("wants to access your account"), "{page}");
}
both_backends!(prompt_login_and_prompt_consent_force_their_pages);

async fn not_you_signs_out_and_shows_the_sign_in_page_for_the_same_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = web_app(&app, "portal", true);
    let client = web_app(&app, "shop", true);
    person(&app, "ann");
    let bob = person(&app, "bob");
    let browser = Browser::new(&app);
    browser
        .sign_in_and_allow(&code_query(&first, &pkce(), &[]), "ann")
        .await;
    let pkce = pkce();
    let started = browser.authorize(&code_query(&client, &pkce, &[])).await;
    let page = browser.follow(&started).await.text().await.unwrap();
    let csrf = hidden_field(&page, "csrf_token").unwrap();
    let request = hidden_field(&page, "request").unwrap();
    let switched = browser
        .post(
            "/account/switch",
            &[("csrf_token", &csrf), ("request", &request)],
        )
        .await;
    let page = browser.follow(&switched).await.text().await.unwrap();
    assert!(page.contains("Sign in to continue to shop"), "{page}");
    let signed_in = browser.sign_in(&page, "bob", USER_PASSWORD).await;
    let page = browser.follow(&signed_in).await.text().await.unwrap();
    let allowed = browser.decide(&page, "allow").await;
    let code = redirect_params(&location(&allowed))["code"].clone();
    let tokens = expect_tokens(exchange(&app, &client, &code, Some(&pkce.verifier)).await).await;
    assert_eq!(
        jwt_part(str_of(&tokens, "access_token"), 1)["sub"],
        bob.to_string()
    );
}
both_backends!(not_you_signs_out_and_shows_the_sign_in_page_for_the_same_request);

async fn a_replayed_code_is_refused_and_revokes_what_it_issued_rfc_6749_section_4_1_2(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let pkce = pkce();
    let back = browser
        .sign_in_and_allow(&code_query(&client, &pkce, &[]), "ann")
        .await;
    let code = redirect_params(&back)["code"].clone();
    let tokens = expect_tokens(exchange(&app, &client, &code, Some(&pkce.verifier)).await).await;
    let (status, body) = error_of(exchange(&app, &client, &code, Some(&pkce.verifier)).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) =
        error_of(refresh(&app, &client, str_of(&tokens, "refresh_token")).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert_eq!(
        me(&app, "/api/me", str_of(&tokens, "access_token"))
            .await
            .status(),
        401
    );
    assert_eq!(
        tessera::audit::with_action(&mut app.conn(), AuditAction::AuthorizationCodeReused)
            .unwrap()
            .len(),
        1
    );
}
both_backends!(a_replayed_code_is_refused_and_revokes_what_it_issued_rfc_6749_section_4_1_2);

async fn of_two_concurrent_exchanges_of_one_code_exactly_one_succeeds(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let pkce = pkce();
    let back = browser
        .sign_in_and_allow(&code_query(&client, &pkce, &[]), "ann")
        .await;
    let code = redirect_params(&back)["code"].clone();
    let (a, b) = tokio::join!(
        exchange(&app, &client, &code, Some(&pkce.verifier)),
        exchange(&app, &client, &code, Some(&pkce.verifier)),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 400]);
}
both_backends!(of_two_concurrent_exchanges_of_one_code_exactly_one_succeeds);

async fn the_exchange_needs_the_same_redirect_uri_and_a_live_code_rfc_6749_section_4_1_3(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    let other = web_app(&app, "shop", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let pkce = pkce();
    let back = browser
        .sign_in_and_allow(&code_query(&client, &pkce, &[]), "ann")
        .await;
    let code = redirect_params(&back)["code"].clone();
    let no_uri = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let (status, body) = error_of(token_request(&app, &client, &no_uri).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // Another application cannot spend it.
    let (status, _) = error_of(exchange(&app, &other, &code, Some(&pkce.verifier)).await).await;
    assert_eq!(status, 400);
    // 60 seconds later it has expired.
    app.clock.advance(chrono::TimeDelta::seconds(61));
    let (status, body) = error_of(exchange(&app, &client, &code, Some(&pkce.verifier)).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}
both_backends!(the_exchange_needs_the_same_redirect_uri_and_a_live_code_rfc_6749_section_4_1_3);

async fn implicit_answers_in_the_fragment_only_where_enabled_rfc_9700_section_2_1_2(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "legacy", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let query: Vec<(String, String)> = [
        ("response_type", "token"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("state", STATE),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let refused = location(&browser.authorize(&query).await);
    assert!(
        refused.starts_with(&format!("{REDIRECT_URI}#")),
        "{refused}"
    );
    assert_eq!(redirect_params(&refused)["error"], "unauthorized_client");
    set_options(&app, &client, false, false, true);
    let back = browser.sign_in_and_allow(&query, "ann").await;
    assert!(back.starts_with(&format!("{REDIRECT_URI}#")), "{back}");
    let params = redirect_params(&back);
    assert_eq!(params["token_type"], "Bearer");
    assert_eq!(params["expires_in"], "3600");
    assert_eq!(params["scope"], "read write");
    assert_eq!(params["state"], STATE);
    assert_eq!(params["iss"], "http://tessera.test");
    assert!(!params.contains_key("refresh_token"));
    assert_eq!(
        me(&app, "/api/me", &params["access_token"]).await.status(),
        200
    );
}
both_backends!(implicit_answers_in_the_fragment_only_where_enabled_rfc_9700_section_2_1_2);

async fn revoking_from_account_kills_the_refresh_and_access_tokens_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let pkce = pkce();
    let back = browser
        .sign_in_and_allow(&code_query(&client, &pkce, &[("scope", "read")]), "ann")
        .await;
    let code = redirect_params(&back)["code"].clone();
    let tokens = expect_tokens(exchange(&app, &client, &code, Some(&pkce.verifier)).await).await;
    let page = browser
        .http
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("data-client-id=\"{}\"", client.client_id)),
        "{page}"
    );
    assert!(page.contains(">read<"), "{page}");
    let csrf = hidden_field(&page, "csrf_token").unwrap();
    let revoked = browser
        .post(
            "/account/revoke",
            &[("csrf_token", &csrf), ("client_id", &client.client_id)],
        )
        .await;
    assert_eq!(revoked.status(), 303);
    let (status, _) =
        error_of(refresh(&app, &client, str_of(&tokens, "refresh_token")).await).await;
    assert_eq!(status, 400);
    assert_eq!(
        me(&app, "/api/me", str_of(&tokens, "access_token"))
            .await
            .status(),
        401
    );
    let page = browser
        .http
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("no-connections"), "{page}");
    assert_eq!(
        tessera::audit::with_action(&mut app.conn(), AuditAction::ConsentRevoked)
            .unwrap()
            .len(),
        1
    );
    // Consent is asked again next time.
    let response = browser
        .authorize(&code_query(
            &client,
            &crate::authorize_support::pkce(),
            &[("scope", "read")],
        ))
        .await;
    assert!(
        location(&response).starts_with("/account/authorize"),
        "{}",
        location(&response)
    );
    // Sign out ends the SSO session.
    let signed_out = browser
        .post("/account/sign-out", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(signed_out.status(), 303);
    let page = browser
        .http
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sign in to your account"), "{page}");
}
both_backends!(revoking_from_account_kills_the_refresh_and_access_tokens_at_once);

async fn sign_in_failures_are_throttled_asvs_6_3_1(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let started = browser.authorize(&code_query(&client, &pkce(), &[])).await;
    let page = browser.follow(&started).await.text().await.unwrap();
    for _ in 0..5 {
        let failed = browser.sign_in(&page, "ann", "not the password").await;
        assert_eq!(failed.status(), 200);
        assert!(
            failed
                .text()
                .await
                .unwrap()
                .contains("Invalid username or password.")
        );
    }
    let locked = browser.sign_in(&page, "ann", USER_PASSWORD).await;
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().get("retry-after").is_some());
    assert_eq!(
        tessera::audit::with_action(&mut app.conn(), AuditAction::SsoSignInFailed)
            .unwrap()
            .len(),
        5
    );
}
both_backends!(sign_in_failures_are_throttled_asvs_6_3_1);

async fn only_enabled_users_of_the_applications_organization_and_kind_may_sign_in(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    app.user("carol", "customer");
    let browser = Browser::new(&app);
    let started = browser.authorize(&code_query(&client, &pkce(), &[])).await;
    let page = browser.follow(&started).await.text().await.unwrap();
    let refused = browser.sign_in(&page, "carol", USER_PASSWORD).await;
    assert_eq!(refused.status(), 200);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Invalid username or password.")
    );
}
both_backends!(only_enabled_users_of_the_applications_organization_and_kind_may_sign_in);

async fn dialogs_are_never_cached_never_framed_and_the_sso_cookie_is_lax_and_http_only_rfc_9700_section_4_16(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let client = web_app(&app, "portal", true);
    person(&app, "ann");
    let browser = Browser::new(&app);
    let started = browser.authorize(&code_query(&client, &pkce(), &[])).await;
    assert_eq!(header(&started, "cache-control"), "no-store");
    let page = browser.follow(&started).await;
    assert_eq!(header(&page, "cache-control"), "no-store");
    assert!(header(&page, "content-security-policy").contains("frame-ancestors 'none'"));
    let page = page.text().await.unwrap();
    let signed_in = browser.sign_in(&page, "ann", USER_PASSWORD).await;
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("tessera_sso="))
        .expect("the SSO cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    // 256 bits in the cookie; only their hash in the database.
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("tessera_sso=");
    assert_eq!(value.len(), 43);
    let stored: Vec<String> = diesel::RunQueryDsl::load(
        diesel::QueryDsl::select(
            tessera::db::schema::sso_sessions::table,
            tessera::db::schema::sso_sessions::token_hash,
        ),
        &mut *app.conn(),
    )
    .unwrap();
    assert_eq!(
        stored,
        vec![tessera::domain::SecretHash::of(value).into_string()]
    );
}
both_backends!(dialogs_are_never_cached_never_framed_and_the_sso_cookie_is_lax_and_http_only_rfc_9700_section_4_16);

async fn the_metadata_lists_the_authorization_endpoint_rfc_8414_section_2(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc: serde_json::Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["authorization_endpoint"],
        "http://tessera.test/oauth2-authorize"
    );
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        doc["response_types_supported"],
        serde_json::json!(["code", "token"])
    );
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("authorization_code"))
    );
}
both_backends!(the_metadata_lists_the_authorization_endpoint_rfc_8414_section_2);

async fn administrators_set_application_options_and_the_consent_screen_from_the_back_office(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let csrf = app.signed_in_admin().await;
    let client = web_app(&app, "portal", true);
    person(&app, "ann");
    let saved = app
        .post_form(
            &format!("/admin/oauth-applications/{}/authorization", client.id),
            &[("csrf_token", &csrf), ("skip_consent", "on")],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let options =
        tessera::db::models::client::authorize_options(&mut app.conn(), client.id).unwrap();
    assert!(options.skip_consent && !options.allow_plain_pkce && !options.allow_implicit);
    // Back to asking, to see the consent screen below.
    set_options(&app, &client, false, false, false);

    let org = tessera::db::models::organization::find_by_name(&mut app.conn(), "Default")
        .unwrap()
        .unwrap();
    let path = format!("/admin/organizations/{}/consent-screen", org.id);
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("display_name", "Acme Retail"),
        ("support_email", "help@acme.example"),
        ("privacy_policy_url", "https://acme.example/privacy"),
        ("terms_of_service_url", "javascript:alert(1)"),
    ];
    let refused = app.post_form(&path, &form).await;
    assert_eq!(refused.status(), 200);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Enter an https:// address.")
    );
    form[4].1 = "https://acme.example/terms";
    assert_eq!(app.post_form(&path, &form).await.status(), 303);

    let browser = Browser::new(&app);
    let started = browser.authorize(&code_query(&client, &pkce(), &[])).await;
    let page = browser.follow(&started).await.text().await.unwrap();
    assert!(page.contains("Sign in to continue to portal"), "{page}");
    assert!(page.contains("Acme Retail"), "{page}");
    let signed_in = browser.sign_in(&page, "ann", USER_PASSWORD).await;
    let page = browser.follow(&signed_in).await.text().await.unwrap();
    assert!(
        page.contains("data-testid=\"organization\">Acme Retail<"),
        "{page}"
    );
    assert!(page.contains("mailto:help@acme.example"), "{page}");
    assert!(
        page.contains("href=\"https://acme.example/privacy\""),
        "{page}"
    );
    assert!(
        page.contains("href=\"https://acme.example/terms\""),
        "{page}"
    );
    for action in [
        AuditAction::ClientAuthorizationUpdated,
        AuditAction::OrganizationConsentScreenUpdated,
    ] {
        assert_eq!(
            tessera::audit::with_action(&mut app.conn(), action)
                .unwrap()
                .len(),
            1,
            "{action:?}"
        );
    }
}
both_backends!(administrators_set_application_options_and_the_consent_screen_from_the_back_office);

async fn a_post_request_and_a_loopback_redirect_on_any_port_work_rfc_8252_section_7_3(
    backend: Backend,
) {
    // RFC 6749 §3.1: the endpoint takes POST too. RFC 8252 §7.3: a native
    // application's loopback redirect may use any port.
    let app = spawn_app(backend).await;
    let client = web_app(&app, "desktop", false);
    diesel::RunQueryDsl::execute(
        diesel::update(diesel::QueryDsl::find(
            tessera::db::schema::clients::table,
            client.id,
        ))
        .set(diesel::ExpressionMethods::eq(
            tessera::db::schema::clients::redirect_uris,
            "http://127.0.0.1/callback",
        )),
        &mut *app.conn(),
    )
    .unwrap();
    person(&app, "ann");
    let browser = Browser::new(&app);
    browser
        .sign_in_and_allow(
            &code_query(&web_app(&app, "portal", true), &pkce(), &[]),
            "ann",
        )
        .await;
    let pkce = pkce();
    let mut form = code_query(&client, &pkce, &[]);
    for (k, v) in form.iter_mut() {
        if k == "redirect_uri" {
            *v = "http://127.0.0.1:51004/callback".to_owned();
        }
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let started = browser.post("/oauth2-authorize", &form).await;
    let page = browser.follow(&started).await.text().await.unwrap();
    let allowed = browser.decide(&page, "allow").await;
    let back = location(&allowed);
    assert!(
        back.starts_with("http://127.0.0.1:51004/callback?code="),
        "{back}"
    );
    let other_path = form
        .iter()
        .map(|(k, v)| {
            if *k == "redirect_uri" {
                (*k, "http://127.0.0.1:51004/other")
            } else {
                (*k, *v)
            }
        })
        .collect::<Vec<_>>();
    assert_eq!(
        browser
            .post("/oauth2-authorize", &other_path)
            .await
            .status(),
        400
    );
}
both_backends!(a_post_request_and_a_loopback_redirect_on_any_port_work_rfc_8252_section_7_3);
